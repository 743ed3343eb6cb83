"""Hostile sizes (issue 10): every count that expands into pods is bounded before anything is
made -- replicas, Job/CronJob parallelism, DaemonSets x nodes, declared Pods, ``--nodes`` --
with one line naming the file, document and field, and ``--max-pods`` to raise the limit."""

from __future__ import annotations

import subprocess
import sys
import tracemalloc
from pathlib import Path

import pytest

from podpath.errors import InputError
from podpath.normalize import normalize
from podpath.normalize.workloads import MAX_PODS, MSG_TOO_MANY_DECLARED, MSG_TOO_MANY_PODS
from podpath.sources.manifests import parse_text

SRC = Path(__file__).resolve().parent.parent / "src"
TEMPLATE = "template: {metadata: {labels: {a: b}}, spec: {containers: [{name: c}]}}"


def _deployment(replicas: int, name: str = "big") -> str:
    return (
        f"apiVersion: apps/v1\nkind: Deployment\nmetadata: {{name: {name}, namespace: shop}}\n"
        f"spec:\n  replicas: {replicas}\n  {TEMPLATE}\n"
    )


def _daemonset(name: str) -> str:
    return (
        f"apiVersion: apps/v1\nkind: DaemonSet\nmetadata: {{name: {name}, namespace: shop}}\n"
        f"spec:\n  {TEMPLATE}\n"
    )


CRONJOB = f"""apiVersion: batch/v1
kind: CronJob
metadata: {{name: nightly, namespace: shop}}
spec:
  schedule: "@daily"
  jobTemplate:
    spec:
      parallelism: 100000000
      {TEMPLATE}
"""


def _refused(text: str, **kwargs: int) -> InputError:
    with pytest.raises(InputError) as info:
        normalize(parse_text(text.encode(), "big.yaml"), **kwargs)
    return info.value


@pytest.mark.parametrize("replicas", [10**12, 10**8, MAX_PODS + 1])
def test_huge_replicas_are_refused_before_expanding(replicas: int) -> None:
    tracemalloc.start()
    try:
        err = _refused(_deployment(replicas))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 5_000_000  # nothing was expanded
    assert str(err) == (
        "big.yaml: document 0: Deployment shop/big: field spec.replicas: "
        + MSG_TOO_MANY_PODS.format(what="this Deployment", total=replicas, limit=MAX_PODS)
    )


def test_the_limit_is_the_total_over_workloads() -> None:
    text = _deployment(150_000, "a") + "---\n" + _deployment(60_000, "b")
    err = _refused(text)
    assert err.obj == "Deployment shop/b" and err.field == "spec.replicas"


def test_max_pods_raises_and_lowers_the_limit() -> None:
    assert len(normalize(parse_text(_deployment(6).encode(), "x.yaml")).pods) == 6
    err = _refused(_deployment(6), max_pods=5)
    assert "more than the limit of 5" in str(err)


def test_cronjob_parallelism_is_bounded() -> None:
    err = _refused(CRONJOB)
    assert err.field == "spec.jobTemplate.spec.parallelism"
    assert err.obj == "CronJob shop/nightly"


def test_daemonsets_times_nodes_is_bounded() -> None:
    text = "---\n".join(_daemonset(f"ds{i}") for i in range(3))
    err = _refused(text, node_count=100_000)
    assert err.obj == "DaemonSet shop/ds2" and err.field == "spec (one pod per node)"
    assert "300000 pods" in str(err)


def test_declared_pods_count_too() -> None:
    pod = (
        "apiVersion: v1\nkind: Pod\nmetadata: {{name: p{i}}}\nspec: {{containers: [{{name: c}}]}}\n"
    )
    text = "---\n".join(pod.format(i=i) for i in range(3))
    err = _refused(text, max_pods=2)
    assert str(err) == MSG_TOO_MANY_DECLARED.format(total=3, limit=2)


@pytest.mark.parametrize("nodes", [0, 10**12])
def test_node_count_is_bounded(nodes: int) -> None:
    err = _refused(_deployment(1), node_count=nodes)
    assert err.field == "--nodes"


def test_the_cli_says_it_in_one_line_exit_2(tmp_path: Path) -> None:
    path = tmp_path / "big.yaml"
    path.write_text(_deployment(10**12))
    env = {"PYTHONPATH": str(SRC), "PATH": "/usr/bin:/bin"}
    done = subprocess.run(
        [sys.executable, "-m", "podpath.cli", "pods", "-f", str(path)],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
        check=False,
    )
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "field spec.replicas" in lines[0] and "--max-pods" in lines[0]
    raised = subprocess.run(
        [sys.executable, "-m", "podpath.cli", "pods", "-f", str(path), "--max-pods", "10"],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
        check=False,
    )
    assert raised.returncode == 2 and "limit of 10 " in raised.stderr


def test_the_pod_cidr_capacity_is_checked_when_allocating() -> None:
    from podpath.cluster import Settings, resolve

    inventory = normalize(parse_text(_deployment(1000).encode(), "x.yaml"))
    with pytest.raises(InputError, match="pod CIDR 10.0.0.0/22 has no /24 left"):
        resolve(inventory, Settings(pod_cidr="10.0.0.0/22"))


SERVICES = "".join(
    f"---\napiVersion: v1\nkind: Service\nmetadata: {{name: s{i}, namespace: shop}}\n"
    f"spec: {{type: LoadBalancer, ports: [{{port: 80}}]}}\n"
    for i in range(3)
)


@pytest.mark.parametrize("pool", ["10.0.0.0/8", "fd00::/64", "10.0.0.1-10.255.255.255"])
def test_a_huge_lb_pool_is_never_expanded(pool: str) -> None:
    """A /8 or an IPv6 /64 given to --lb-pool: only the addresses Services take are made."""
    from podpath.cluster import Settings, resolve

    tracemalloc.start()
    try:
        cluster = resolve(
            normalize(parse_text(SERVICES.encode(), "x.yaml")), Settings(lb_pool=pool)
        )
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 50_000_000
    ips = [s.lb_ingress for s in cluster.services if s.name.startswith("s")]
    assert len({ip for ip in ips}) == 3 and all(ips)


@pytest.mark.parametrize("pool", ["10.0.0.1-fd00::1", "10.0.0.0/33", "bogus"])
def test_a_bad_lb_pool_is_refused_even_without_load_balancers(pool: str) -> None:
    from podpath.cluster import Settings, resolve

    with pytest.raises(InputError, match="invalid address pool") as info:
        resolve(normalize(parse_text(_deployment(1).encode(), "x.yaml")), Settings(lb_pool=pool))
    assert info.value.field == "--lb-pool"


def test_a_full_service_cidr_is_an_input_error() -> None:
    """The API server: "failed to allocate a serviceIP: range is full"; never StopIteration."""
    from podpath.cluster import Settings, resolve

    inventory = normalize(parse_text(SERVICES.encode(), "x.yaml"))
    with pytest.raises(InputError, match="service CIDR 10.96.0.0/30 has no address left") as info:
        resolve(inventory, Settings(service_cidr="10.96.0.0/30"))
    assert info.value.field == "--service-cidr"


@pytest.mark.parametrize(
    "args",
    [
        ["--to", "shop/api:" + "1" * 5000],
        ["--to", "svc:shop/catalog", "--port", "1" * 5000],
        ["--to", "svc:shop/catalog", "--port", "1" * 5000 + "/TCP"],
    ],
)
def test_a_port_of_thousands_of_digits_is_one_line_exit_2(args: list[str]) -> None:
    """Python's int() refuses more than 4300 digits with a ValueError: refused before it."""
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "podpath.cli",
            "trace",
            "-f",
            "examples/shop",
            "--from",
            "shop/frontend",
            *args,
        ],
        capture_output=True,
        text=True,
        timeout=60,
        env={"PYTHONPATH": str(SRC), "PATH": "/usr/bin:/bin"},
        cwd=SRC.parent,
        check=False,
    )
    assert done.returncode == 2, done.stderr[-300:]
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "port out of range 1-65535" in lines[0] and len(lines[0]) < 200
