"""NetworkPolicy conformance, single connections: addresses outside the cluster, nodes,
host-network pods, extra pods, and the switchable assumptions (evaluator and matrix).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest

from podpath.cluster import Cluster
from podpath.engine.matrix import reachability
from podpath.engine.policy import evaluate
from podpath.engine.policy_rules import peer_for_ip
from podpath.engine.policy_verdict import Assumptions, Peer, PodPeer
from podpath.model.core import Protocol
from policy_conformance_helpers import (
    BOTH,
    DOCS,
    E2E,
    EGR,
    ING,
    REF,
    build,
    model,
    np,
    ns_sel,
    pod_sel,
)

#: Extra objects some flows use: node n2, a host-network pod on n2 (namespace x, pod: h), and
#: w/odd, whose container port named serve-80-tcp is 8080 (named ports resolve per pod).
EXTRA: list[dict[str, Any]] = [
    {
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": {"name": "n2"},
        "status": {"addresses": [{"type": "InternalIP", "address": "192.168.0.2"}]},
    },
    {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "w"}},
    {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "h", "namespace": "x", "labels": {"pod": "h"}},
        "spec": {"nodeName": "n2", "hostNetwork": True, "containers": [{"name": "c"}]},
        "status": {"podIP": "192.168.0.2"},
    },
    {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "odd", "namespace": "w", "labels": {"pod": "odd"}},
        "spec": {
            "nodeName": "n2",
            "containers": [
                {"name": "c", "ports": [{"containerPort": 8080, "name": "serve-80-tcp"}]}
            ],
        },
        "status": {"podIP": "10.4.0.1"},
    },
]


@dataclass(frozen=True)
class Flow:
    """``src -> dst`` (``NS/POD`` or ``ip:ADDRESS``) on ``port/protocol``; ``tier`` and a
    ``reason`` substring are checked when given."""

    src: str
    dst: str
    port: int
    allowed: bool
    protocol: str = "TCP"
    tier: str = ""
    reason: str = ""


@dataclass(frozen=True)
class FlowCase:
    name: str
    source: str
    objects: tuple[dict[str, Any], ...]
    flows: tuple[Flow, ...]
    assumptions: Assumptions = field(default_factory=Assumptions)


def _peer(cluster: Cluster, text: str) -> Peer:
    if text.startswith("ip:"):
        return peer_for_ip(cluster, text[3:])
    return PodPeer(cluster.pod_by_key[text])


def check_flows(case: FlowCase) -> None:
    cluster = build(model(dual_stack=True) + EXTRA + list(case.objects))
    wrong: list[str] = []
    for f in case.flows:
        src, dst = _peer(cluster, f.src), _peer(cluster, f.dst)
        protocol = Protocol(f.protocol)
        v = evaluate(cluster, src, dst, f.port, protocol, case.assumptions)
        where = f"{f.src} -> {f.dst} {f.port}/{f.protocol}"
        if v.allowed != f.allowed:
            wrong.append(f"{where}: want {f.allowed}, evaluate {v.allowed} {v.reasons}")
        if f.tier and str(v.tier) != f.tier:
            wrong.append(f"{where}: want tier {f.tier}, got {v.tier} {v.reasons}")
        if f.reason and not any(f.reason in r for r in v.reasons):
            wrong.append(f"{where}: want a reason with {f.reason!r}, got {v.reasons}")
        if isinstance(src, PodPeer) and isinstance(dst, PodPeer):
            key = (f.port, protocol)
            m = reachability(cluster, ports=[key], assumptions=case.assumptions)
            index = {p.key: i for i, p in enumerate(m.pods)}
            fast = m.is_allowed(index[src.pod.key], index[dst.pod.key], key)
            if fast != f.allowed:
                wrong.append(f"{where}: want {f.allowed}, matrix {fast}")
    assert not wrong, "\n".join(wrong)


A_SELF = Assumptions(self_traffic_allowed=True)
A_NO_NODE = Assumptions(node_traffic_allowed=False)
A_HOST_AS_POD = Assumptions(host_network_as_node=False)

FLOW_CASES = [
    FlowCase(
        "ip-block-outside-the-cluster-with-except",
        DOCS + " (ipBlock: cidr minus except)",
        (
            np(
                "egress-public",
                "x",
                pod_sel(pod="a"),
                policyTypes=EGR,
                egress=[
                    {
                        "to": [
                            {
                                "ipBlock": {
                                    "cidr": "0.0.0.0/0",
                                    "except": ["10.0.0.0/8", "192.168.0.0/16"],
                                }
                            }
                        ]
                    }
                ],
            ),
        ),
        (
            Flow("x/a", "ip:8.8.8.8", 443, True, reason="egress rule 0"),
            Flow("x/a", "ip:10.200.0.1", 443, False, reason="egress isolation of x/a"),
            Flow("x/a", "y/a", 80, False),
            Flow("x/a", "ip:2001:db8::1", 443, False),
            Flow("x/b", "ip:10.200.0.1", 443, True),
        ),
    ),
    FlowCase(
        "ip-block-v4-zero-matches-every-ipv4-pod",
        REF + "#IPBlock",
        (
            np(
                "ingress-any-v4",
                "x",
                pod_sel(pod="a"),
                ingress=[{"from": [{"ipBlock": {"cidr": "0.0.0.0/0"}}]}],
            ),
        ),
        (
            Flow("y/b", "x/a", 80, True),
            Flow("ip:203.0.113.9", "x/a", 80, True),
            Flow("ip:2001:db8::9", "x/a", 80, False),
        ),
    ),
    FlowCase(
        "ip-block-ipv6-with-except",
        REF + "#IPBlock (IPv6)",
        (
            np(
                "ingress-v6",
                "x",
                pod_sel(pod="a"),
                ingress=[
                    {
                        "from": [
                            {"ipBlock": {"cidr": "2001:db8::/32", "except": ["2001:db8:bad::/48"]}}
                        ]
                    }
                ],
            ),
        ),
        (
            Flow("ip:2001:db8:1::1", "x/a", 80, True),
            Flow("ip:2001:db8:bad::1", "x/a", 80, False),
            Flow("ip:198.51.100.1", "x/a", 80, False),
        ),
    ),
    FlowCase(
        "ip-block-single-address-edges",
        REF + "#IPBlock (/32 and except at the edges of the block)",
        (
            np(
                "edges",
                "x",
                pod_sel(pod="a"),
                ingress=[
                    {
                        "from": [
                            {"ipBlock": {"cidr": "198.51.100.0/30", "except": ["198.51.100.3/32"]}},
                            {"ipBlock": {"cidr": "203.0.113.7/32"}},
                        ]
                    }
                ],
            ),
        ),
        (
            Flow("ip:198.51.100.0", "x/a", 80, True),
            Flow("ip:198.51.100.2", "x/a", 80, True),
            Flow("ip:198.51.100.3", "x/a", 80, False),
            Flow("ip:198.51.100.4", "x/a", 80, False),
            Flow("ip:203.0.113.7", "x/a", 80, True),
            Flow("ip:203.0.113.8", "x/a", 80, False),
        ),
    ),
    FlowCase(
        "named-port-resolves-on-the-destination-pod-for-egress",
        E2E + " (egress on one named port); " + REF + "#NetworkPolicyPort",
        (
            np(
                "egress-by-name",
                "x",
                pod_sel(pod="a"),
                policyTypes=EGR,
                egress=[{"ports": [{"port": "serve-80-tcp"}]}],
            ),
        ),
        (
            Flow("x/a", "w/odd", 8080, True, reason="egress rule 0"),
            Flow("x/a", "w/odd", 80, False),
            Flow("x/a", "y/b", 80, True),
            Flow("x/a", "ip:8.8.8.8", 80, False, reason="egress isolation"),
        ),
    ),
    FlowCase(
        "named-port-resolves-on-the-destination-pod-for-ingress",
        REF + "#NetworkPolicyPort",
        (np("ingress-by-name", "w", ingress=[{"ports": [{"port": "serve-80-tcp"}]}]),),
        (
            Flow("x/a", "w/odd", 8080, True),
            Flow("x/a", "w/odd", 80, False),
            Flow("ip:8.8.8.8", "w/odd", 8080, True),
        ),
    ),
    FlowCase(
        "named-port-needs-the-rule-protocol",
        REF + "#NetworkPolicyPort (protocol AND port must match; the name is looked up with it)",
        (
            np(
                "udp-name-tcp-rule",
                "x",
                pod_sel(pod="a"),
                ingress=[{"ports": [{"port": "serve-80-udp"}]}],
            ),
            np(
                "udp-name-udp-rule",
                "x",
                pod_sel(pod="b"),
                ingress=[{"ports": [{"port": "serve-80-udp", "protocol": "UDP"}]}],
            ),
        ),
        (
            Flow("y/a", "x/a", 80, False),
            Flow("y/a", "x/a", 80, False, protocol="UDP"),
            Flow("y/a", "x/b", 80, True, protocol="UDP"),
            Flow("y/a", "x/b", 80, False),
        ),
    ),
    FlowCase(
        "named-port-the-destination-does-not-declare",
        REF + "#NetworkPolicyPort",
        (np("by-missing-name", "x", pod_sel(pod="a"), ingress=[{"ports": [{"port": "nope"}]}]),),
        (Flow("y/a", "x/a", 80, False),),
    ),
    FlowCase(
        "end-port-range-is-inclusive",
        REF + "#NetworkPolicyPort endPort",
        (
            np(
                "range",
                "x",
                pod_sel(pod="a"),
                ingress=[{"ports": [{"port": 8000, "endPort": 8002, "protocol": "SCTP"}]}],
            ),
        ),
        (
            Flow("y/a", "x/a", 7999, False, protocol="SCTP"),
            Flow("y/a", "x/a", 8000, True, protocol="SCTP"),
            Flow("y/a", "x/a", 8002, True, protocol="SCTP"),
            Flow("y/a", "x/a", 8003, False, protocol="SCTP"),
            Flow("y/a", "x/a", 8001, False),
        ),
    ),
    FlowCase(
        "node-traffic-to-its-pods-is-allowed",
        DOCS + " (traffic to and from the node where a Pod is running is always allowed)",
        (np("deny-all", "x", policyTypes=BOTH),),
        (
            Flow("ip:192.168.0.1", "x/a", 80, True, tier="Assumption"),
            Flow("x/a", "ip:192.168.0.1", 10250, True, tier="Assumption"),
            Flow("ip:192.168.0.2", "x/a", 80, False, reason="ingress isolation of x/a"),
        ),
    ),
    FlowCase(
        "node-traffic-switched-off",
        "assumption node-traffic-allowed off: policies decide node traffic",
        (np("deny-all", "x", policyTypes=BOTH),),
        (Flow("ip:192.168.0.1", "x/a", 80, False),),
        A_NO_NODE,
    ),
    FlowCase(
        "host-network-pods-are-their-node",
        DOCS + " (NetworkPolicy and hostNetwork pods: as the node's IP)",
        (
            np("deny-all", "x", policyTypes=BOTH),
            np(
                "from-x-pods",
                "y",
                pod_sel(pod="a"),
                ingress=[{"from": [{"namespaceSelector": ns_sel("x")}]}],
            ),
            np(
                "from-n2",
                "y",
                pod_sel(pod="b"),
                ingress=[{"from": [{"ipBlock": {"cidr": "192.168.0.2/32"}}]}],
            ),
        ),
        (
            Flow("y/c", "x/h", 80, True, tier="Assumption"),
            Flow("x/h", "y/c", 80, True),
            Flow("x/h", "y/a", 80, False, reason="ingress isolation of y/a"),
            Flow("x/h", "y/b", 80, True),
            Flow("x/h", "w/odd", 8080, True, tier="Assumption"),
        ),
    ),
    FlowCase(
        "host-network-pods-as-ordinary-pods",
        "assumption host-network-as-node off: policies select host-network pods like others",
        (
            np("deny-all", "x", policyTypes=BOTH),
            np(
                "from-x-pods",
                "y",
                pod_sel(pod="a"),
                ingress=[{"from": [{"namespaceSelector": ns_sel("x")}]}],
            ),
        ),
        (
            Flow("y/c", "x/h", 80, False),
            Flow("x/h", "y/c", 80, False),
        ),
        A_HOST_AS_POD,
    ),
    FlowCase(
        "pod-to-itself-gets-the-policy-verdict",
        "issue 3 (a pod to its own IP: policies decide; CNIs differ; e2e ignores loopback)",
        (np("deny-ingress", "x", pod_sel(pod="a"), policyTypes=ING),),
        (Flow("x/a", "x/a", 80, False, reason="ingress isolation of x/a"),),
    ),
    FlowCase(
        "pod-to-itself-switched-to-allowed",
        DOCS + " (a pod cannot block access to itself) as assumption self-traffic",
        (np("deny-ingress", "x", pod_sel(pod="a"), policyTypes=ING),),
        (Flow("x/a", "x/a", 80, True, tier="Assumption"), Flow("x/b", "x/a", 80, False)),
        A_SELF,
    ),
]


@pytest.mark.parametrize("case", FLOW_CASES, ids=[c.name for c in FLOW_CASES])
def test_flow(case: FlowCase) -> None:
    check_flows(case)
