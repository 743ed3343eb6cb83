"""The data plane on a dual-stack model: both families brought up where the kernel allows it,
and probed per family against the model's verdict for that family.

A connection is of one family, an ipBlock matches only addresses of its own family
(https://kubernetes.io/docs/concepts/services-networking/network-policies/#ipblock,
https://kubernetes.io/docs/concepts/services-networking/dual-stack/), Services get a ClusterIP
per family of ``ipFamilies`` and cluster DNS answers A and AAAA
(https://github.com/kubernetes/dns/blob/master/docs/specification.md 2.3.1). Planning, rules
and checks are tested everywhere; ``up`` -> ``probe`` -> ``down`` as root (skipped elsewhere).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
import yaml
from dnslib import QTYPE, DNSRecord

from podpath.api import load_cluster
from podpath.cluster import Cluster
from podpath.cluster.settings import Settings
from podpath.dataplane.dnsserver import DNSAnswerer
from podpath.dataplane.generate import DUAL_STACK_CIDRS, random_cluster
from podpath.dataplane.lifecycle import plan_state
from podpath.dataplane.netns import ipv6_supported
from podpath.dataplane.nft import policy_ruleset, service_ruleset
from podpath.dataplane.plan import MSG_NO_IPV6, NODE6_NET, build_plan
from podpath.dataplane.policy import compile_policies
from podpath.dataplane.probe import render_table, summarize
from podpath.dataplane.probe_checks import build_checks
from podpath.engine.policy import evaluate
from podpath.engine.policy_verdict import PodPeer
from podpath.model.core import Protocol
from test_dataplane import CAN_RUN, ROUTED, SMALL, _leftovers, _podpath

FIXTURE = Path(__file__).parent / "data" / "dataplane" / "dual-stack.yaml"
SERVICE_CIDR = "10.96.0.0/16,fd00:10:96::/112"
POD_CIDR = "10.244.0.0/16,fd00:10:244::/56"
CIDRS = ["--service-cidr", SERVICE_CIDR, "--pod-cidr", POD_CIDR]
needs_root = pytest.mark.skipif(not CAN_RUN, reason="needs root, Linux, ip and nft")
needs_ipv6 = pytest.mark.skipif(not ipv6_supported(), reason="the kernel has IPv6 disabled")


@pytest.fixture(scope="module")
def cluster() -> Cluster:
    return load_cluster(
        [str(FIXTURE)], settings=Settings(pod_cidr=POD_CIDR, service_cidr=SERVICE_CIDR)
    )


def test_plan_gives_pods_and_nodes_both_families(cluster: Cluster) -> None:
    plan = build_plan(cluster, ipv6=True)
    assert plan.families == (4, 6) and plan.dual_stack
    assert {p.key: (p.ip, p.ip6) for p in plan.pods} == {
        "app/client": ("10.244.0.2", "fd00:10:244::2"),
        "app/db": ("10.244.1.2", "fd00:10:244:1::2"),
        "app/web-1": ("10.244.0.3", "fd00:10:244::3"),
        "app/web-2": ("10.244.1.3", "fd00:10:244:1::3"),
    }
    # node-1's IPv6 InternalIP; node-2 has none: an address only the data plane uses
    assert [(n.ip6, n.ip6_modelled) for n in plan.nodes] == [
        ("fc00:f853:ccd:e793::2", True),
        (f"{NODE6_NET}2", False),
    ]
    state = plan_state(plan)
    assert state["families"] == ["ipv4", "ipv6"]
    assert all("ip6" in p for p in state["pods"])


def test_a_kernel_without_ipv6_brings_up_ipv4_only_and_says_so(cluster: Cluster) -> None:
    plan = build_plan(cluster, ipv6=False)
    assert plan.families == (4,) and plan.dual_stack
    assert all(p.ip6 is None for p in plan.pods) and all(n.ip6 is None for n in plan.nodes)
    assert [s for s in plan.skipped if "IPv6" in s] == [MSG_NO_IPV6]
    assert "\n" not in MSG_NO_IPV6
    rules = compile_policies(cluster, plan)
    assert all(":" not in a.destination for a in rules.ingress)
    node = plan.nodes[0]
    assert "ip6" not in service_ruleset(cluster, plan, node) + policy_ruleset(plan, node, rules)
    assert plan_state(plan)["families"] == ["ipv4"]


def test_a_single_stack_model_is_planned_as_before(tmp_path: Path) -> None:
    path = tmp_path / "small.yaml"
    path.write_text(SMALL)
    plan = build_plan(load_cluster([str(path)]), ipv6=True)
    assert plan.families == (4,) and not plan.dual_stack and not plan.skipped
    state = plan_state(plan)
    assert "families" not in state and all("ip6" not in p for p in state["pods"])


@pytest.mark.parametrize(
    ("files", "supported"),
    [
        ({}, False),  # booted with ipv6.disable=1: no /proc/sys/net/ipv6
        ({"all": "0", "default": "0"}, True),
        ({"all": "1", "default": "0"}, False),
        ({"all": "0", "default": "1"}, False),
    ],
)
def test_ipv6_supported_reads_proc(files: dict[str, str], supported: bool, tmp_path: Path) -> None:
    root = tmp_path / "ipv6"
    for name, value in files.items():
        (root / "conf" / name).mkdir(parents=True)
        (root / "conf" / name / "disable_ipv6").write_text(value + "\n")
    assert ipv6_supported(str(root)) is supported


def test_ip6_service_rules_per_family(cluster: Cluster) -> None:
    plan = build_plan(cluster, ipv6=True)
    node1, node2 = plan.nodes
    v6 = service_ruleset(cluster, plan, node1, family=6)
    v4 = service_ruleset(cluster, plan, node1)
    assert v6.startswith("table ip6 pp-svc {") and v4.startswith("table ip pp-svc {")
    assert "ip6 daddr fd00:10:96::1 tcp dport 5432" in v6  # db: an IPv6-only Service
    assert "5432" not in v4
    assert "dnat ip6 to numgen random mod 2 map" in v6  # web's two IPv6 endpoints
    assert "dnat ip6 to jhash ip6 saddr mod 2" in v6  # web-sticky: sessionAffinity ClientIP
    assert "dnat ip6 to [fd00:10:244:1::2]:5432" in v6
    # NodePort on the node's IPv6 InternalIP; node-2 has none in the model: none there
    assert "ip6 daddr fc00:f853:ccd:e793::2 tcp dport 30081" in v6
    assert "dport 30081" not in service_ruleset(cluster, plan, node2, family=6)
    assert "snat ip6 to fc00:f853:ccd:e793::2" in v6  # hairpin and NodePort source NAT
    assert "fd00:" not in v4 and "fc00:" not in v4
    pol = policy_ruleset(plan, node1, compile_policies(cluster, plan), 6)
    assert pol.startswith("table ip6 pp-pol {")
    assert "meta l4proto ipv6-icmp accept" in pol  # neighbour discovery
    assert "ip6 saddr fc00:f853:ccd:e793::2 accept" in pol


def _random(seed: int, tmp_path: Path, pods: int = 16) -> Path:
    path = tmp_path / f"dual-{seed}.yaml"
    path.write_text(
        yaml.safe_dump_all(random_cluster(seed, pods=pods, policies=16, dual_stack=True))
    )
    return path


def _addr(plan: object, key: str, family: int) -> str:
    pod = plan.pod(key)  # type: ignore[attr-defined]
    return str(pod.ip6 if family == 6 else pod.ip)


def test_compiled_pod_flows_are_the_per_family_verdicts(cluster: Cluster) -> None:
    """Every (source pod, destination pod, port, family): an element exactly when
    ``evaluate`` allows it for that family (a matrix over "any address" would let IPv4 into
    db, whose ipBlock is IPv6)."""
    plan = build_plan(cluster, ipv6=True)
    allows = compile_policies(cluster, plan).ingress
    elements = {(a.source, a.protocol, a.port, a.destination) for a in allows}
    every = {
        (a.protocol, a.port, a.destination) for a in allows if a.source in ("::/0", "0.0.0.0/0")
    }
    for family in (4, 6):
        for dst in plan.pods:
            target = PodPeer(cluster.pod_by_key[dst.key], family=family)
            for lst in dst.listeners:
                for src in plan.pods:
                    peer = PodPeer(cluster.pod_by_key[src.key], family=family)
                    want = evaluate(cluster, peer, target, lst.port, Protocol(lst.protocol)).allowed
                    flow = (lst.protocol, lst.port, _addr(plan, dst.key, family))
                    got = (_addr(plan, src.key, family), *flow) in elements or flow in every
                    assert got == want, (family, src.key, dst.key, lst.port)
    db4, db6 = _addr(plan, "app/db", 4), _addr(plan, "app/db", 6)
    assert ("fd00:10:244::2", "TCP", 5432, db6) in elements
    pods4 = {p.ip for p in plan.pods}
    assert not any(a.destination == db4 and a.source in pods4 | {"0.0.0.0/0"} for a in allows)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_random_dual_stack_flows_are_the_per_family_verdicts(seed: int, tmp_path: Path) -> None:
    """Random clusters with IPv6 ipBlocks and every ipFamilyPolicy: each pod's elements, per
    family, are exactly what ``evaluate`` allows for that family."""
    cluster = load_cluster([str(_random(seed, tmp_path))], settings=Settings(**DUAL_STACK_CIDRS))
    plan = build_plan(cluster, ipv6=True)
    assert plan.families == (4, 6)
    allows = compile_policies(cluster, plan).ingress
    elements = {(a.source, a.protocol, a.port, a.destination) for a in allows}
    every = {
        (a.protocol, a.port, a.destination) for a in allows if a.source in ("::/0", "0.0.0.0/0")
    }
    pods = [p for p in plan.pods if not p.host_network]
    for family in (4, 6):
        for dst in pods:
            target = PodPeer(cluster.pod_by_key[dst.key], family=family)
            for lst in dst.listeners:
                for src in pods:
                    peer = PodPeer(cluster.pod_by_key[src.key], family=family)
                    want = evaluate(cluster, peer, target, lst.port, Protocol(lst.protocol)).allowed
                    flow = (lst.protocol, lst.port, _addr(plan, dst.key, family))
                    got = (_addr(plan, src.key, family), *flow) in elements or flow in every
                    assert got == want, (family, src.key, dst.key, lst.port)


def _checks(
    cluster: Cluster, ipv6: bool = True
) -> dict[tuple[str, str, int, int | None], set[str]]:
    state = plan_state(build_plan(cluster, ipv6=ipv6))
    return {
        (c.source, c.target, c.port, c.family): set(c.expected)
        for c in build_checks(cluster, state)
    }


@pytest.mark.parametrize(
    ("src", "dst", "port", "family", "expected"),
    [
        # db admits only IPv6 pod addresses (ipBlock fd00:10:244::/56)
        ("app/client", "app/db", 5432, 6, {"answered app/db"}),
        ("app/client", "app/db", 5432, 4, {"timeout"}),
        # web's 8080 admits only IPv4 pod addresses (ipBlock 10.244.0.0/16)
        ("app/client", "app/web-2", 8080, 4, {"answered app/web-2"}),
        ("app/client", "app/web-2", 8080, 6, {"timeout"}),
        # ... and UDP 5000 from client in both families (a pod selector has no family)
        ("app/client", "app/web-2", 5000, 6, {"answered app/web-2"}),
        # Service VIPs by name, A or AAAA: db is IPv6 only
        ("app/client", "svc:app/db", 5432, 6, {"answered app/db"}),
        ("app/client", "svc:app/web", 80, 4, {"answered app/web-1", "answered app/web-2"}),
        ("app/client", "svc:app/web", 80, 6, {"timeout"}),
        ("app/client", "svc:app/web", 5000, 6, {"answered app/web-1", "answered app/web-2"}),
        ("app/db", "svc:app/web-sticky", 80, 4, {"answered app/web-1", "answered app/web-2"}),
        # the internet client is IPv4 only
        ("app/client", "internet", 443, 4, {"answered internet"}),
    ],
)
def test_checks_expect_the_verdict_of_their_family(
    cluster: Cluster, src: str, dst: str, port: int, family: int, expected: set[str]
) -> None:
    assert _checks(cluster)[(src, dst, port, family)] == expected


def test_every_check_of_a_dual_stack_model_has_its_family(cluster: Cluster) -> None:
    checks = _checks(cluster)
    assert {k[3] for k in checks} == {4, 6}
    assert ("app/client", "svc:app/db", 5432, 4) not in checks  # db has no IPv4 ClusterIP
    assert not any(k[0] == "internet" and k[3] == 6 for k in checks)
    assert {k[3] for k in _checks(cluster, ipv6=False)} == {4}  # the kernel has no IPv6


def test_dns_answers_aaaa_with_the_modelled_records(cluster: Cluster) -> None:
    answerer = DNSAnswerer(cluster)

    def ask(name: str, qtype: str) -> list[str]:
        reply = answerer.answer(bytes(DNSRecord.question(name, qtype).pack()))
        assert reply is not None
        return [
            str(rr.rdata) for rr in DNSRecord.parse(reply).rr if rr.rtype == getattr(QTYPE, qtype)
        ]

    assert ask("web.app.svc.cluster.local", "A") == ["10.96.0.2"]
    assert ask("web.app.svc.cluster.local", "AAAA") == ["fd00:10:96::2"]
    assert ask("db.app.svc.cluster.local", "AAAA") == ["fd00:10:96::1"]
    assert ask("db.app.svc.cluster.local", "A") == []


def test_probe_result_keys_per_family(cluster: Cluster, tmp_path: Path) -> None:
    """The single-stack result is unchanged (no family keys); a dual-stack one labels every
    disagreement and counts each family (docs/contract.md)."""
    dual = plan_state(build_plan(cluster, ipv6=True))
    checks = build_checks(cluster, dual)
    reals = ["timeout"] * len(checks)
    result = summarize(checks, reals, 0, dual)
    assert set(result) == {"checked", "agree", "retried", "disagreements", "families"}
    assert set(result["families"]) == {"ipv4", "ipv6"}
    assert sum(f["checked"] for f in result["families"].values()) == result["checked"]
    assert {d["family"] for d in result["disagreements"]} == {"ipv4", "ipv6"}
    table = render_table(result)
    assert "ipv6: checked" in table.splitlines()[0] and "FAMILY" in table
    path = tmp_path / "small.yaml"
    path.write_text(SMALL)
    single_cluster = load_cluster([str(path)])
    single = plan_state(build_plan(single_cluster, ipv6=True))
    checks = build_checks(single_cluster, single)
    result = summarize(checks, ["timeout"] * len(checks), 0, single)
    assert set(result) == {"checked", "agree", "retried", "disagreements"}
    assert all(
        set(d) == {"from", "to", "port", "model", "real", "expected"}
        for d in result["disagreements"]
    )
    assert "FAMILY" not in render_table(result) and "ipv" not in render_table(result)


@pytest.mark.dataplane
@needs_root
@needs_ipv6
@pytest.mark.parametrize("seed", [2, 4])  # seeds whose families differ in some verdicts
def test_random_dual_stack_cluster_agrees(seed: int, tmp_path: Path) -> None:
    path = _random(seed, tmp_path, pods=24)
    state = tmp_path / "state"
    cidrs = [
        "--pod-cidr",
        DUAL_STACK_CIDRS["pod_cidr"],
        "--service-cidr",
        DUAL_STACK_CIDRS["service_cidr"],
    ]
    _up_probe_agrees(path, cidrs, state, 0)


def _up_probe_agrees(path: Path, cidrs: list[str], state: Path, more_than: int) -> None:
    """up, probe (no disagreement, more than ``more_than`` checks in each family), down, and
    nothing of ours left."""
    try:
        up = _podpath("up", "-f", str(path), *cidrs, state=state)
        assert up.returncode == 0, up.stderr
        probe = _podpath("probe", "--format", "json", "--timeout", "0.5", state=state)
        result = json.loads(probe.stdout)
        assert result["disagreements"] == []
        assert all(v["checked"] > more_than for v in result["families"].values())
    finally:
        down = _podpath("down", state=state)
        assert down.returncode == 0, down.stderr
    assert _leftovers() == []


def _exec(state: Path, pod: str, code: str) -> str:
    done = _podpath("exec", pod, "--", sys.executable, "-c", code, state=state, timeout=30)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


CONNECT = """
import socket
s = socket.socket(socket.AF_INET6 if ':' in {ip!r} else socket.AF_INET)
s.settimeout(2)
try:
    s.connect(({ip!r}, {port}))
    print(s.recv(200).decode().strip())
except OSError as exc:
    print(type(exc).__name__)
"""


@pytest.mark.dataplane
@needs_root
@needs_ipv6
def test_dual_stack_up_probe_down(tmp_path: Path) -> None:
    """``up`` gives every pod both addresses, ``probe`` agrees in both families (ipBlocks of
    one family, IPv6 Service VIPs through ``ip6`` DNAT, AAAA answers), ``down`` leaves
    nothing."""
    state = tmp_path / "state"
    try:
        up = _podpath("up", "-f", str(FIXTURE), *CIDRS, state=state)
        assert up.returncode == 0, up.stderr
        assert "IPv6" not in up.stderr and "pods on 2 nodes (IPv4 and IPv6);" in up.stdout
        probe = _podpath("probe", "--format", "json", "--timeout", "0.5", state=state)
        result = json.loads(probe.stdout)
        assert result["disagreements"] == [] and probe.returncode == 0
        assert result["checked"] == result["agree"]
        assert {k: v["disagree"] for k, v in result["families"].items()} == {"ipv4": 0, "ipv6": 0}
        assert all(v["checked"] > 0 for v in result["families"].values())
        # by hand: the IPv6 VIP of db (IPv6 only) answers a pod over IPv6, db's IPv4 address
        # is dropped (its ipBlock is IPv6), AAAA comes from the cluster DNS
        answer = _exec(state, "app/client", CONNECT.format(ip="fd00:10:96::1", port=5432))
        assert answer == "app/db from fd00:10:244::2"
        assert (
            _exec(state, "app/client", CONNECT.format(ip="10.244.1.2", port=5432)) == "TimeoutError"
        )
        hosts = _podpath("exec", "app/client", "--", "getent", "ahostsv6", "db", state=state)
        assert "fd00:10:96::1" in hosts.stdout
    finally:
        down = _podpath("down", state=state)
        assert down.returncode == 0, down.stderr
    assert _leftovers() == []


@pytest.mark.dataplane
@needs_root
# `up` leaves its agent running by design (the CLI process then exits); run in-process, the
# Popen object of that agent is collected while it runs
@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
def test_without_kernel_ipv6_up_brings_up_ipv4_only_and_never_fails(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``up`` on a kernel without IPv6 (simulated: this machine's IPv6 is not switched off
    for a test) builds IPv4, says so in one line, and ``probe`` checks IPv4 only."""
    from podpath.api import load_raw
    from podpath.dataplane import netns
    from podpath.dataplane.lifecycle import up
    from podpath.dataplane.recorded import rebuild, record_input
    from podpath.dataplane.statedir import locked

    monkeypatch.setattr(netns, "ipv6_supported", lambda *_: False)
    settings = Settings(pod_cidr=POD_CIDR, service_cidr=SERVICE_CIDR)
    record = record_input(load_raw([str(FIXTURE)]), settings, None)
    state = tmp_path / "state"
    try:
        with locked(state, create=True) as sd:
            assert sd is not None
            built = up(rebuild(record), record, sd)
        assert built["families"] == ["ipv4"]
        assert [s for s in built["skipped"] if "IPv6" in s] == [MSG_NO_IPV6]
        assert all("ip6" not in p for p in built["pods"])
        probe = _podpath("probe", "--format", "json", "--timeout", "0.5", state=state)
        result = json.loads(probe.stdout)
        assert result["disagreements"] == [] and probe.returncode == 0
        assert list(result["families"]) == ["ipv4"]
        no_v6 = CONNECT.format(ip="fd00:10:244:1::2", port=5432)
        assert _exec(state, "app/client", no_v6) in ("OSError", "TimeoutError")
    finally:
        down = _podpath("down", state=state)
        assert down.returncode == 0, down.stderr
    assert _leftovers() == []


@pytest.mark.dataplane
@needs_root
@needs_ipv6
def test_a_failed_dual_stack_up_leaves_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A step failing after the IPv6 side is wired (here loading the nftables rules): ``up``
    removes everything it made before the error reaches the user."""
    from podpath.api import load_raw
    from podpath.dataplane import netns
    from podpath.dataplane.lifecycle import up
    from podpath.dataplane.recorded import rebuild, record_input
    from podpath.dataplane.statedir import locked

    def broken(name: str, ruleset: str) -> None:
        assert "table ip6 pp-svc" in ruleset
        raise netns.DataplaneError(f"nft in {name}: no")

    monkeypatch.setattr(netns, "nft_load", broken)
    settings = Settings(pod_cidr=POD_CIDR, service_cidr=SERVICE_CIDR)
    record = record_input(load_raw([str(FIXTURE)]), settings, None)
    with locked(tmp_path / "state", create=True) as sd:
        assert sd is not None
        with pytest.raises(netns.DataplaneError, match="nft in"):
            up(rebuild(record), record, sd)
    assert _leftovers() == []


def _dual_stack_shop(folder: Path) -> Path:
    """examples/shop made dual-stack: each node's podCIDRs gain an IPv6 range and every
    Service asks for ``ipFamilyPolicy: PreferDualStack``."""
    from test_dataplane import EXAMPLES_SHOP

    for source in EXAMPLES_SHOP.rglob("*.yaml"):
        docs = list(yaml.safe_load_all(source.read_text()))
        objects = [d for d in docs if isinstance(d, dict)]
        objects += [i for d in objects for i in d.get("items") or () if isinstance(i, dict)]
        for doc in objects:
            spec = doc.get("spec")
            if doc.get("kind") == "Service" and isinstance(spec, dict):
                spec["ipFamilyPolicy"] = "PreferDualStack"
            if doc.get("kind") == "Node" and isinstance(spec, dict) and spec.get("podCIDRs"):
                third = spec["podCIDRs"][0].split(".")[2]
                spec["podCIDRs"] = [spec["podCIDRs"][0], f"fd00:10:244:{third}::/64"]
        target = folder / source.relative_to(EXAMPLES_SHOP)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(yaml.safe_dump_all(docs))
    return folder


@pytest.mark.dataplane
@needs_root
@needs_ipv6
def test_examples_shop_dual_stack_agrees(tmp_path: Path) -> None:
    """The whole shop (DNS pods, the Ingress and Gateway proxies, NodePorts, load balancers,
    its policies) in both families."""
    shop = _dual_stack_shop(tmp_path / "shop")
    _up_probe_agrees(shop, CIDRS, tmp_path / "state", 1000)


@pytest.mark.dataplane
@needs_root
@needs_ipv6
def test_an_ingress_to_an_ipv6_only_service_agrees(tmp_path: Path) -> None:
    """The Ingress proxy reaches a backend Service that has only an IPv6 ClusterIP
    (``ipFamilies: [IPv6]``) over IPv6, through the ``ip6`` Service NAT and policy."""
    path = tmp_path / "routed.yaml"
    text = ROUTED.replace(
        "metadata: {name: web, namespace: app}\nspec:\n  selector:",
        "metadata: {name: web, namespace: app}\nspec:\n  ipFamilies: [IPv6]\n  selector:",
    )
    assert text != ROUTED
    path.write_text(text)
    state = tmp_path / "state"
    try:
        up = _podpath("up", "-f", str(path), *CIDRS, state=state)
        assert up.returncode == 0, up.stderr
        probe = _podpath("probe", "--format", "json", "--timeout", "0.5", state=state)
        result = json.loads(probe.stdout)
        assert result["disagreements"] == [] and result["checked"] > 0
    finally:
        down = _podpath("down", state=state)
        assert down.returncode == 0, down.stderr
    assert _leftovers() == []
