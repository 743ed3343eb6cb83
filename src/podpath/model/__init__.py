"""The podpath model: small immutable values, one module per layer of the network."""
