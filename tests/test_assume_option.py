"""``--assume NAME=on|off`` switches the documented policy assumptions from the command line
(matrix, explain, check); the answers change exactly where an assumption decided them."""

from __future__ import annotations

import json

from click.testing import CliRunner

from podpath.cli import cli
from podpath.errors import InputError

SHOP = ["-f", "examples/shop"]


def _allowed(args: list[str], src_prefix: str, dst_prefix: str, port: str) -> bool:
    result = CliRunner().invoke(cli, ["matrix", *SHOP, "--port", port, "--format", "json", *args])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    i = next(k for k, p in enumerate(data["pods"]) if p.startswith(src_prefix))
    j = next(k for k, p in enumerate(data["pods"]) if p.startswith(dst_prefix))
    k = data["ports"].index(f"{port}/TCP")
    return any(cell[:2] == [i, j] and k in cell[2] for cell in data["allowed"])


def test_host_network_pod_on_the_same_node_is_node_traffic_by_default() -> None:
    # node-exporter runs on the host network; the payments pod on worker-2 sits next to it
    src, dst = "monitoring/node-exporter-54zdd", "payments/payments-2glmh6cc7z-cdr9h"
    assert _allowed([], src, dst, "8080")
    assert not _allowed(
        ["--assume", "node-traffic-allowed=off", "--assume", "host-network-as-node=off"],
        src,
        dst,
        "8080",
    )


def test_unknown_assumption_is_a_usage_error() -> None:
    result = CliRunner().invoke(cli, ["explain", "shop/frontend", *SHOP, "--assume", "x=on"])
    assert isinstance(result.exception, InputError)
    assert result.exception.field == "--assume"
