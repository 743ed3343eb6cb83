"""The data plane: the modelled network built with network namespaces and nftables."""
