"""``trace --to``: the forms DST takes (podpath.analyze.trace.question).

- ``HOST:PORT`` is what applications write in their environment variables: Online Boutique's
  frontend has ``CART_SERVICE_ADDR=cartservice:7070`` and the cart ``REDIS_ADDR=redis-cart:6379``
  (GoogleCloudPlatform/microservices-demo, release/kubernetes-manifests.yaml). The port is
  split off; ``cartservice:7070`` is never a DNS name. An IPv6 address takes a port in
  brackets only (RFC 3986 section 3.2.2, ``[fd00::1]:80``).
- ``NS/WORKLOAD`` (and ``NS/KIND/WORKLOAD``) as ``--from`` takes it: the workload's pods.
- A host without a scheme, as ``podpath route`` takes it: ``shop.example.com/api``.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from podpath.analyze.trace.dispatch import trace
from podpath.analyze.trace.question import split_port, with_port
from podpath.analyze.trace.values import PortSpec, TraceError, TraceResult
from podpath.api import load_cluster
from podpath.cli import main
from podpath.cluster import Cluster
from podpath.model.core import Protocol

SCENARIOS = Path(__file__).parent / "scenarios"
BOUTIQUE = Path(__file__).parent / "data" / "trace" / "boutique.yaml"
OPTIONS = SCENARIOS / "trace-options" / "cluster.yaml"


@pytest.fixture(scope="module")
def boutique() -> Cluster:
    return load_cluster([str(BOUTIQUE)])


@pytest.fixture(scope="module")
def options() -> Cluster:
    return load_cluster([str(OPTIONS)])


def path(result: TraceResult) -> tuple[object, ...]:
    return (
        result.verdict,
        result.drop,
        tuple((h.step, h.detail) for h in result.hops),
        tuple((e.pod, e.ip, e.port, e.verdict) for e in result.endpoints),
    )


@pytest.mark.parametrize(
    ("text", "split"),
    [
        ("cartservice:7070", ("cartservice", 7070)),
        ("redis-cart:6379", ("redis-cart", 6379)),
        ("frontend:80", ("frontend", 80)),
        (
            "cartservice.default.svc.cluster.local:7070",
            ("cartservice.default.svc.cluster.local", 7070),
        ),
        ("cartservice", ("cartservice", None)),
        ("10.96.0.2:7070", ("10.96.0.2", 7070)),
        ("10.96.0.2", ("10.96.0.2", None)),
        ("[fd00::1]:80", ("fd00::1", 80)),
        ("[::1]:80", ("::1", 80)),
        ("[::1]", ("::1", None)),
        ("::1", ("::1", None)),
        ("fd00::1", ("fd00::1", None)),
        ("svc:default/cartservice:7070", ("svc:default/cartservice", 7070)),
        ("svc:default/cartservice", ("svc:default/cartservice", None)),
        ("default/redis-cart:6379", ("default/redis-cart", 6379)),
        ("cartservice:grpc", ("cartservice:grpc", None)),
    ],
)
def test_split_port(text: str, split: tuple[str, int | None]) -> None:
    assert split_port(text) == split


@pytest.mark.parametrize("text", ["cartservice:0", "cartservice:65536", "[::1]:70000"])
def test_a_port_out_of_range_is_refused(text: str) -> None:
    with pytest.raises(TraceError, match="out of range"):
        split_port(text)


@pytest.mark.parametrize(
    ("given", "port", "expected"),
    [
        (PortSpec(None), 7070, PortSpec(7070)),
        (PortSpec(7070), 7070, PortSpec(7070)),
        (PortSpec(7070, Protocol.UDP), 7070, PortSpec(7070, Protocol.UDP)),
        (PortSpec(None, Protocol.UDP), 53, PortSpec(53, Protocol.UDP)),
        (PortSpec(80), None, PortSpec(80)),
    ],
)
def test_with_port(given: PortSpec, port: int | None, expected: PortSpec) -> None:
    assert with_port(given, port, "x") == expected


@pytest.mark.parametrize("given", [PortSpec(80), PortSpec("grpc")])
def test_a_different_port_is_a_conflict(given: PortSpec) -> None:
    with pytest.raises(TraceError, match="says port 7070 but --port says"):
        with_port(given, 7070, "cartservice:7070")


@pytest.mark.parametrize(
    ("src", "dst", "same_as"),
    [
        ("default/frontend", "cartservice:7070", ("cartservice", "7070")),
        ("default/cartservice", "redis-cart:6379", ("redis-cart", "6379")),
        ("default/frontend", "cartservice.default:7070", ("cartservice.default", "7070")),
        ("default/frontend", "svc:default/cartservice:7070", ("svc:default/cartservice", "7070")),
        ("default/frontend", "10.96.0.2:7070", ("10.96.0.2", "7070")),
        ("internet", "svc:default/frontend-external:80", ("svc:default/frontend-external", "80")),
    ],
)
def test_host_port_is_the_host_on_that_port(
    boutique: Cluster, src: str, dst: str, same_as: tuple[str, str]
) -> None:
    result = trace(boutique, src, dst)
    assert result.verdict == "allowed"
    assert path(result) == path(trace(boutique, src, *same_as))
    assert not any(":7070 " in h.detail or "NXDOMAIN" in h.detail for h in result.hops)


def test_host_port_with_the_same_port_and_a_protocol(boutique: Cluster) -> None:
    result = trace(boutique, "default/frontend", "cartservice:7070", "7070/TCP")
    assert path(result) == path(trace(boutique, "default/frontend", "cartservice", "7070"))


def test_cli_host_port_conflict_is_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    args = ["trace", "--from", "default/frontend", "--to", "cartservice:7070", "--port", "80"]
    with pytest.raises(SystemExit) as exc:
        main([*args, "-f", str(BOUTIQUE)])
    assert exc.value.code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [
        "podpath: error: --to cartservice:7070 says port 7070 but --port says 80: give one"
    ]


@pytest.mark.parametrize("dst", ["default/frontend", "default/deployment/frontend"])
def test_to_a_workload_traces_its_pods(boutique: Cluster, dst: str) -> None:
    pods = [p.key for p in boutique.pods if p.owner is not None and p.owner.name == "frontend"]
    result = trace(boutique, "default/cartservice", dst, "8080")
    assert len(pods) == 2
    assert [e.pod for e in result.endpoints] == pods
    assert [h.step for h in result.hops] == ["source", "pod", "pod", "policy"]
    (note,) = result.notes
    assert note == f"default/Deployment/frontend: its 2 pod(s) are traced: {', '.join(pods)}"


def test_to_a_pod_by_its_name(boutique: Cluster) -> None:
    pod = next(p for p in boutique.pods if p.key.startswith("default/redis-cart-"))
    result = trace(boutique, "default/cartservice", pod.key, "6379")
    assert [e.pod for e in result.endpoints] == [pod.key] and not result.notes


def test_to_an_unknown_workload(boutique: Cluster) -> None:
    with pytest.raises(TraceError, match="no pod or workload 'default/nope'"):
        trace(boutique, "default/frontend", "default/nope", "80")


def test_a_host_without_a_scheme_from_outside_is_a_url(options: Cluster) -> None:
    bare = trace(options, "internet", "shop.example.com/")
    assert path(bare) == path(trace(options, "internet", "http://shop.example.com/"))
    assert bare.paths and bare.verdict == "partial"


def test_a_host_and_path_without_a_scheme_from_inside_is_a_url(boutique: Cluster) -> None:
    result = trace(boutique, "default/frontend", "frontend-external.default.svc.cluster.local/")
    name = "frontend-external.default.svc.cluster.local"
    assert path(result) == path(trace(boutique, "default/frontend", name, "80"))
    assert result.verdict == "allowed"


def test_a_host_with_a_port_and_path_without_a_scheme(boutique: Cluster) -> None:
    result = trace(boutique, "default/frontend", "cartservice.default:7070/cart")
    assert path(result) == path(trace(boutique, "default/frontend", "cartservice.default", "7070"))


# (src, dst, --port, the port trace's JSON echoes: --port as given, else the one DST names)
PORT_ECHO: list[tuple[str, str, str | None, str | None]] = [
    ("default/frontend", "cartservice:7070", None, "7070"),
    ("default/frontend", "cartservice:7070", "7070/TCP", "7070/TCP"),
    ("default/frontend", "svc:default/cartservice:7070", None, "7070"),
    ("default/frontend", "[fd00::1]:8080", None, "8080"),
    ("default/frontend", "cartservice", "7070", "7070"),
    ("default/frontend", "cartservice", None, None),
    # a URL from inside: its port, or its scheme's
    ("default/frontend", "http://cartservice:7070/", None, "7070"),
    ("default/frontend", "https://cartservice/", None, "443"),
    ("internet", "svc:default/frontend-external:80", None, "80"),
    # an L4 load balancer asked by URL: the URL's port
    ("internet", "http://172.18.255.200/", None, "80"),
]


@pytest.mark.parametrize(("src", "dst", "port", "echo"), PORT_ECHO, ids=[c[1] for c in PORT_ECHO])
def test_json_echoes_the_port_the_connection_goes_to(
    capsys: pytest.CaptureFixture[str], src: str, dst: str, port: str | None, echo: str | None
) -> None:
    args = ["trace", "--from", src, "--to", dst, "--format", "json", "-f", str(BOUTIQUE)]
    with pytest.raises(SystemExit) as exc:
        main([*args, *(["--port", port] if port else [])])
    assert exc.value.code in (0, None)
    assert json.loads(capsys.readouterr().out)["port"] == echo


def test_a_url_asked_of_an_entry_point_keeps_the_given_port(options: Cluster) -> None:
    assert trace(options, "internet", "http://shop.example.com:80/").port is None
    assert trace(options, "internet", "http://shop.example.com/", "80").port == 80
    assert trace(options, "shop/client", "web:80").port == 80
