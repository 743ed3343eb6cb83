"""NetworkPolicy and admin-tier conformance: truth tables from the upstream suite and the spec.

Every case runs against BOTH the per-pair evaluator (:func:`podpath.engine.policy.evaluate`)
and the fast matrix (:func:`podpath.engine.matrix.reachability`), on every pod pair.

The cluster is the model of the upstream e2e suite (kubernetes/kubernetes
test/e2e/network/netpol: ``initializeResources`` / ``model.go``): namespaces x, y, z, each
with pods a, b, c labelled ``pod: <name>``, every pod serving ports 80 and 81 on TCP, UDP and
SCTP with container ports named ``serve-<port>-<proto>``. Expectations are written like the
suite's ``Reachability``: everything allowed, then ``expect`` overrides, later ones winning
(``ExpectPeer`` / ``ExpectAllIngress`` / ``ExpectAllEgress`` / ``Expect``). The upstream suite
ignores loopback (CNIs differ); podpath gives a pod's traffic to itself the policies' verdict
(issue 3), so the tables below include the diagonal as the policies decide it.

Cases are written in our own words from: the upstream e2e tests (``network_policy.go``), the
NetworkPolicy concept page (https://kubernetes.io/docs/concepts/services-networking/network-policies/),
the API reference and its defaulting/validation code (``pkg/apis/networking/v1/defaults.go``,
``pkg/apis/networking/validation/validation.go``), and kubernetes-sigs/network-policy-api
(``apis/v1alpha1``, ``apis/v1alpha2``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest

from podpath.cluster import Cluster, resolve
from podpath.engine.matrix import reachability
from podpath.engine.policy import Assumptions, Peer, PodPeer, evaluate, peer_for_ip
from podpath.errors import InputError
from podpath.model.core import Protocol, SourceRef
from podpath.normalize import normalize
from podpath.sources.manifests import RawDoc

NAMESPACES = ("x", "y", "z")
PODS = ("a", "b", "c")
PROTOCOLS = ("TCP", "UDP", "SCTP")
NS_INDEX = {"x": 1, "y": 2, "z": 3}
POD_INDEX = {"a": 1, "b": 2, "c": 3}


def pod_ip(ns: str, pod: str) -> str:
    return f"10.{NS_INDEX[ns]}.0.{POD_INDEX[pod]}"


def pod_ip6(ns: str, pod: str) -> str:
    return f"fd00::{NS_INDEX[ns]}:{POD_INDEX[pod]}"


def model(dual_stack: bool = False) -> list[dict[str, Any]]:
    """The upstream e2e model: 3 namespaces x 3 pods, ports 80/81 on TCP/UDP/SCTP, named."""
    objects: list[dict[str, Any]] = [
        {
            "apiVersion": "v1",
            "kind": "Node",
            "metadata": {"name": "n1"},
            "status": {"addresses": [{"type": "InternalIP", "address": "192.168.0.1"}]},
        }
    ]
    ports = [
        {"containerPort": p, "protocol": proto, "name": f"serve-{p}-{proto.lower()}"}
        for p in (80, 81)
        for proto in PROTOCOLS
    ]
    for ns in NAMESPACES:
        objects.append({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns}})
        for pod in PODS:
            ips = [{"ip": pod_ip(ns, pod)}] + ([{"ip": pod_ip6(ns, pod)}] if dual_stack else [])
            objects.append(
                {
                    "apiVersion": "v1",
                    "kind": "Pod",
                    "metadata": {"name": pod, "namespace": ns, "labels": {"pod": pod}},
                    "spec": {"nodeName": "n1", "containers": [{"name": "c", "ports": ports}]},
                    "status": {"podIP": pod_ip(ns, pod), "podIPs": ips},
                }
            )
    return objects


def np(
    name: str,
    ns: str,
    selector: dict[str, Any] | None = None,
    **spec: Any,
) -> dict[str, Any]:
    """A NetworkPolicy; ``spec`` keys in the API's spelling (``policyTypes``, ``ingress``...)."""
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": {"name": name, "namespace": ns},
        "spec": {"podSelector": selector if selector is not None else {}, **spec},
    }


def pod_sel(**labels: str) -> dict[str, Any]:
    return {"matchLabels": labels}


def ns_sel(name: str) -> dict[str, Any]:
    return {"matchLabels": {"kubernetes.io/metadata.name": name}}


def build(objects: list[dict[str, Any]]) -> Cluster:
    docs = [RawDoc(d, SourceRef("conformance", i)) for i, d in enumerate(objects)]
    return resolve(normalize(docs))


# --- the Reachability truth table ---------------------------------------------------------

ALL_PODS = tuple(f"{ns}/{p}" for ns in NAMESPACES for p in PODS)


def _match(spec: str, pod: str) -> bool:
    """``*`` every pod, ``x`` every pod of namespace x, ``x/a`` one pod."""
    if spec == "*":
        return True
    if "/" in spec:
        return spec == pod
    return pod.split("/")[0] == spec


@dataclass(frozen=True)
class Table:
    """Expected reachability on one port: ``default`` for every pair, then ``expect`` rows
    ``(from, to, allowed)`` applied in order (later rows win), as upstream ``Reachability``."""

    port: int
    protocol: str = "TCP"
    expect: tuple[tuple[str, str, bool], ...] = ()
    default: bool = True

    def expected(self, src: str, dst: str) -> bool:
        out = self.default
        for f, t, allowed in self.expect:
            if _match(f, src) and _match(t, dst):
                out = allowed
        return out


@dataclass(frozen=True)
class Case:
    name: str
    source: str
    objects: tuple[dict[str, Any], ...]
    tables: tuple[Table, ...]
    assumptions: Assumptions = field(default_factory=Assumptions)
    dual_stack: bool = False


def check_tables(case: Case) -> None:
    cluster = build(model(case.dual_stack) + list(case.objects))
    pods = {p.key: p for p in cluster.pods}
    for table in case.tables:
        key = (table.port, Protocol(table.protocol))
        matrix = reachability(cluster, ports=[key], assumptions=case.assumptions)
        index = {p.key: i for i, p in enumerate(matrix.pods)}
        wrong: list[str] = []
        for src in ALL_PODS:
            for dst in ALL_PODS:
                want = table.expected(src, dst)
                verdict = evaluate(
                    cluster,
                    PodPeer(pods[src]),
                    PodPeer(pods[dst]),
                    table.port,
                    Protocol(table.protocol),
                    case.assumptions,
                )
                fast = matrix.is_allowed(index[src], index[dst], key)
                if verdict.allowed != want or fast != want:
                    wrong.append(
                        f"{src} -> {dst} {table.port}/{table.protocol}: want {want}, "
                        f"evaluate {verdict.allowed} ({'; '.join(verdict.reasons)}), matrix {fast}"
                    )
        assert not wrong, "\n".join(wrong)


# --- upstream e2e cases (test/e2e/network/netpol/network_policy.go) ------------------------

E2E = "kubernetes/kubernetes test/e2e/network/netpol/network_policy.go"
ING = ["Ingress"]
EGR = ["Egress"]
BOTH = ["Ingress", "Egress"]


def t(port: int, *expect: tuple[str, str, bool], protocol: str = "TCP") -> Table:
    return Table(port, protocol, tuple(expect))


def all_in(pod: str, allowed: bool) -> tuple[str, str, bool]:
    """``ExpectAllIngress``: every source to ``pod``."""
    return ("*", pod, allowed)


def all_out(pod: str, allowed: bool) -> tuple[str, str, bool]:
    """``ExpectAllEgress``: ``pod`` to every destination."""
    return (pod, "*", allowed)


E2E_CASES = [
    Case(
        "default-deny-ingress",
        E2E,
        (np("deny-ingress", "x", policyTypes=ING),),
        (t(80, ("*", "x", False)),),
    ),
    Case(
        "default-deny-all",
        E2E,
        (np("deny-all", "x", policyTypes=BOTH),),
        (t(80, ("*", "x", False), ("x", "*", False)),),
    ),
    Case(
        "allow-from-pods-in-server-namespace-by-pod-selector",
        E2E,
        (
            np(
                "x-a-allows-x-b",
                "x",
                pod_sel(pod="a"),
                ingress=[{"from": [{"podSelector": pod_sel(pod="b")}]}],
            ),
        ),
        (t(80, all_in("x/a", False), ("x/b", "x/a", True)),),
    ),
    Case(
        "allow-ingress-for-a-target-over-deny-all",
        E2E,
        (
            np("deny-all", "x", policyTypes=ING),
            np(
                "allow-all-to-a",
                "x",
                pod_sel(pod="a"),
                ingress=[{"from": [{"podSelector": {}, "namespaceSelector": {}}]}],
            ),
        ),
        (t(80, all_in("x/a", True), all_in("x/b", False), all_in("x/c", False)),),
    ),
    Case(
        "allow-from-all-namespaces-with-empty-namespace-selector",
        E2E,
        (
            np(
                "allow-from-another-ns",
                "x",
                pod_sel(pod="a"),
                ingress=[{"from": [{"namespaceSelector": {"matchLabels": {}}}]}],
            ),
        ),
        (t(80),),
    ),
    Case(
        "allow-only-from-a-different-namespace",
        E2E,
        (
            np(
                "allow-client-a-via-ns-selector",
                "x",
                pod_sel(pod="a"),
                ingress=[{"from": [{"namespaceSelector": ns_sel("y")}]}],
            ),
        ),
        (t(80, ("x", "x/a", False), ("z", "x/a", False)),),
    ),
    Case(
        "pod-selector-match-expressions",
        E2E,
        (
            np(
                "x-a-allows-x-b",
                "x",
                pod_sel(pod="a"),
                ingress=[
                    {
                        "from": [
                            {
                                "podSelector": {
                                    "matchExpressions": [
                                        {"key": "pod", "operator": "In", "values": ["b"]}
                                    ]
                                }
                            }
                        ]
                    }
                ],
            ),
        ),
        (t(80, all_in("x/a", False), ("x/b", "x/a", True)),),
    ),
    Case(
        "namespace-selector-match-expressions",
        E2E,
        (
            np(
                "allow-ns-y",
                "x",
                pod_sel(pod="a"),
                ingress=[
                    {
                        "from": [
                            {
                                "namespaceSelector": {
                                    "matchExpressions": [
                                        {
                                            "key": "kubernetes.io/metadata.name",
                                            "operator": "In",
                                            "values": ["y"],
                                        }
                                    ]
                                }
                            }
                        ]
                    }
                ],
            ),
        ),
        (t(80, ("x", "x/a", False), ("z", "x/a", False)),),
    ),
    Case(
        "pod-selector-or-namespace-selector-two-peers",
        E2E,
        (
            np(
                "allow-ns-not-x-or-pod-b",
                "x",
                pod_sel(pod="a"),
                ingress=[
                    {
                        "from": [
                            {
                                "namespaceSelector": {
                                    "matchExpressions": [
                                        {
                                            "key": "kubernetes.io/metadata.name",
                                            "operator": "NotIn",
                                            "values": ["x"],
                                        }
                                    ]
                                }
                            },
                            {"podSelector": pod_sel(pod="b")},
                        ]
                    }
                ],
            ),
        ),
        (t(80, ("x/a", "x/a", False), ("x/c", "x/a", False)),),
    ),
    Case(
        "pod-selector-and-namespace-selector-one-peer",
        E2E,
        (
            np(
                "allow-ns-not-x-and-pod-b",
                "x",
                pod_sel(pod="a"),
                ingress=[
                    {
                        "from": [
                            {
                                "namespaceSelector": {
                                    "matchExpressions": [
                                        {
                                            "key": "kubernetes.io/metadata.name",
                                            "operator": "NotIn",
                                            "values": ["x"],
                                        }
                                    ]
                                },
                                "podSelector": pod_sel(pod="b"),
                            }
                        ]
                    }
                ],
            ),
        ),
        (t(80, all_in("x/a", False), ("y/b", "x/a", True), ("z/b", "x/a", True)),),
    ),
    Case(
        "multiple-pod-and-namespace-selectors",
        E2E,
        (
            np(
                "allow-ns-y-z-pod-b-c",
                "x",
                pod_sel(pod="a"),
                ingress=[
                    {
                        "from": [
                            {
                                "namespaceSelector": {
                                    "matchExpressions": [
                                        {
                                            "key": "kubernetes.io/metadata.name",
                                            "operator": "NotIn",
                                            "values": ["x"],
                                        }
                                    ]
                                },
                                "podSelector": {
                                    "matchExpressions": [
                                        {"key": "pod", "operator": "In", "values": ["b", "c"]}
                                    ]
                                },
                            }
                        ]
                    }
                ],
            ),
        ),
        (t(80, ("x", "x/a", False), ("y/a", "x/a", False), ("z/a", "x/a", False)),),
    ),
    Case(
        "any-of-several-pod-selectors",
        E2E,
        (
            np(
                "allow-ns-x-pod-b-c",
                "x",
                pod_sel(pod="a"),
                ingress=[
                    {"from": [{"podSelector": pod_sel(pod="b")}, {"podSelector": pod_sel(pod="c")}]}
                ],
            ),
        ),
        (t(80, all_in("x/a", False), ("x/b", "x/a", True), ("x/c", "x/a", True)),),
    ),
    Case(
        "pod-in-a-different-namespace-by-pod-and-namespace-selector",
        E2E,
        (
            np(
                "allow-ns-y-pod-a",
                "x",
                pod_sel(pod="a"),
                ingress=[
                    {"from": [{"namespaceSelector": ns_sel("y"), "podSelector": pod_sel(pod="a")}]}
                ],
            ),
        ),
        (t(80, all_in("x/a", False), ("y/a", "x/a", True)),),
    ),
    Case(
        "ports-one-port-from-one-namespace",
        E2E,
        (
            np(
                "allow-81-from-y",
                "x",
                pod_sel(pod="a"),
                ingress=[
                    {
                        "from": [{"namespaceSelector": ns_sel("y")}],
                        "ports": [{"port": 81, "protocol": "TCP"}],
                    }
                ],
            ),
        ),
        (
            t(81, ("x", "x/a", False), ("y", "x/a", True), ("z", "x/a", False)),
            t(80, all_in("x/a", False)),
        ),
    ),
    Case(
        "stacked-policies-with-overlapping-selectors-add-up",
        E2E,
        (
            np(
                "allow-81-from-y",
                "x",
                pod_sel(pod="a"),
                ingress=[
                    {
                        "from": [{"namespaceSelector": ns_sel("y")}],
                        "ports": [{"port": 81, "protocol": "TCP"}],
                    }
                ],
            ),
            np(
                "allow-80-from-y",
                "x",
                pod_sel(pod="a"),
                ingress=[
                    {
                        "from": [{"namespaceSelector": ns_sel("y")}],
                        "ports": [{"port": 80, "protocol": "TCP"}],
                    }
                ],
            ),
        ),
        (
            t(81, ("x", "x/a", False), ("z", "x/a", False)),
            t(80, ("x", "x/a", False), ("z", "x/a", False)),
        ),
    ),
    Case(
        "allow-all-with-empty-ingress-rule",
        E2E,
        (np("allow-all", "x", ingress=[{}]),),
        (t(80), t(81)),
    ),
    Case(
        "ingress-on-one-named-port",
        E2E,
        (np("allow-81-by-name", "x", ingress=[{"ports": [{"port": "serve-81-tcp"}]}]),),
        (t(81), t(80, ("*", "x", False))),
    ),
    Case(
        "ingress-from-namespace-on-one-named-port",
        E2E,
        (
            np(
                "allow-80-by-name-from-y",
                "x",
                pod_sel(pod="a"),
                ingress=[
                    {
                        "from": [{"namespaceSelector": ns_sel("y")}],
                        "ports": [{"port": "serve-80-tcp", "protocol": "TCP"}],
                    }
                ],
            ),
        ),
        (
            t(80, ("x", "x/a", False), ("z", "x/a", False)),
            t(81, all_in("x/a", False)),
        ),
    ),
    Case(
        "egress-on-one-named-port-resolves-on-the-destination",
        E2E,
        (
            np(
                "allow-egress-80-by-name",
                "x",
                policyTypes=EGR,
                egress=[{"ports": [{"port": "serve-80-tcp"}]}],
            ),
        ),
        (t(80), t(81, ("x", "*", False))),
    ),
    Case(
        "policy-with-no-ingress-rules-denies-all",
        E2E + " (should enforce updated policy: ingress: [])",
        (np("deny-all", "x", ingress=[]),),
        (t(81, ("*", "x", False)),),
    ),
    Case(
        "deny-ingress-from-other-namespaces-with-empty-pod-selector-peer",
        E2E,
        (np("deny-empty-policy", "x", ingress=[{"from": [{"podSelector": {}}]}]),),
        (t(80, ("y", "x", False), ("z", "x", False)),),
    ),
    Case(
        "deny-egress-by-pod-selector",
        E2E,
        (np("deny-egress-pod-a", "x", pod_sel(pod="a"), policyTypes=EGR),),
        (t(80, all_out("x/a", False)),),
    ),
    Case(
        "deny-egress-from-a-namespace",
        E2E,
        (np("deny-egress-ns-x", "x", policyTypes=EGR),),
        (t(80, ("x", "*", False)),),
    ),
    Case(
        "ingress-and-egress-together",
        E2E,
        (
            np(
                "allow-from-b-egress-80",
                "x",
                pod_sel(pod="a"),
                policyTypes=["Egress", "Ingress"],
                ingress=[{"from": [{"podSelector": pod_sel(pod="b")}]}],
                egress=[{"ports": [{"port": 80}]}],
            ),
        ),
        (
            t(80, all_in("x/a", False), ("x/b", "x/a", True)),
            t(81, all_in("x/a", False), all_out("x/a", False), ("x/b", "x/a", True)),
        ),
    ),
    Case(
        "client-egress-denies-even-if-server-ingress-allows",
        E2E,
        (
            np(
                "allow-to-y-a",
                "x",
                pod_sel(pod="a"),
                policyTypes=EGR,
                egress=[
                    {"to": [{"namespaceSelector": ns_sel("y"), "podSelector": pod_sel(pod="a")}]}
                ],
            ),
            np(
                "allow-from-xa-on-ya",
                "y",
                pod_sel(pod="a"),
                ingress=[
                    {"from": [{"namespaceSelector": ns_sel("x"), "podSelector": pod_sel(pod="a")}]}
                ],
            ),
            np(
                "allow-from-xa-on-yb",
                "y",
                pod_sel(pod="b"),
                ingress=[
                    {"from": [{"namespaceSelector": ns_sel("x"), "podSelector": pod_sel(pod="a")}]}
                ],
            ),
        ),
        (
            t(
                80,
                ("x/a", "*", False),
                ("*", "y/a", False),
                ("x/a", "y/a", True),
                ("*", "y/b", False),
            ),
        ),
    ),
    Case(
        "egress-to-a-server-in-another-namespace",
        E2E,
        (
            np(
                "allow-to-y-a",
                "x",
                pod_sel(pod="a"),
                policyTypes=EGR,
                egress=[
                    {"to": [{"namespaceSelector": ns_sel("y"), "podSelector": pod_sel(pod="a")}]}
                ],
            ),
        ),
        (t(80, all_out("x/a", False), ("x/a", "y/a", True)),),
    ),
    Case(
        "any-port-on-one-protocol",
        E2E,
        (
            np(
                "allow-ingress-by-proto",
                "x",
                pod_sel(pod="a"),
                ingress=[{"ports": [{"protocol": "TCP"}]}],
            ),
        ),
        (t(80), t(80, all_in("x/a", False), protocol="UDP")),
    ),
    Case(
        "ingress-allow-all-policy-takes-precedence",
        E2E,
        (
            np("allow-ingress-port-80", "x", ingress=[{"ports": [{"port": 80}]}]),
            np("allow-ingress", "x", ingress=[{}]),
        ),
        (t(81),),
    ),
    Case(
        "egress-allow-all-policy-takes-precedence",
        E2E,
        (
            np("allow-egress-port-80", "x", policyTypes=EGR, egress=[{"ports": [{"port": 80}]}]),
            np("allow-egress", "x", policyTypes=EGR, egress=[{}]),
        ),
        (t(81),),
    ),
    Case(
        "egress-only-port-80-blocks-81",
        E2E,
        (np("allow-egress-port-80", "x", policyTypes=EGR, egress=[{"ports": [{"port": 80}]}]),),
        (t(81, ("x", "*", False)), t(80)),
    ),
    Case(
        "egress-to-a-server-in-cidr-block",
        E2E + " (ipBlock matches the pod IP, /32)",
        (
            np(
                "allow-to-yb-ip",
                "x",
                pod_sel(pod="a"),
                policyTypes=EGR,
                egress=[{"to": [{"ipBlock": {"cidr": pod_ip("y", "b") + "/32"}}]}],
            ),
        ),
        (t(80, all_out("x/a", False), ("x/a", "y/b", True)),),
    ),
    Case(
        "except-clause-in-cidr-block",
        E2E,
        (
            np(
                "allow-cidr-except-xb",
                "x",
                pod_sel(pod="a"),
                policyTypes=EGR,
                egress=[
                    {
                        "to": [
                            {
                                "ipBlock": {
                                    "cidr": pod_ip("x", "a") + "/4",
                                    "except": [pod_ip("x", "b") + "/32"],
                                }
                            }
                        ]
                    }
                ],
            ),
        ),
        (t(80, ("x/a", "x/b", False)),),
    ),
    Case(
        "ip-in-except-is-allowed-by-another-block",
        E2E + " (an IP overlapping both cidr and except is allowed by a second policy)",
        (
            np(
                "allow-cidr-except-xb",
                "x",
                pod_sel(pod="a"),
                policyTypes=EGR,
                egress=[
                    {
                        "to": [
                            {
                                "ipBlock": {
                                    "cidr": pod_ip("x", "a") + "/4",
                                    "except": [pod_ip("x", "b") + "/32"],
                                }
                            }
                        ]
                    }
                ],
            ),
            np(
                "allow-xb",
                "x",
                pod_sel(pod="a"),
                policyTypes=EGR,
                egress=[{"to": [{"ipBlock": {"cidr": pod_ip("x", "b") + "/32"}}]}],
            ),
        ),
        (t(80),),
    ),
    Case(
        "ingress-and-egress-controlled-independently",
        E2E,
        (
            np("allow-egress-for-target", "x", pod_sel(pod="a"), policyTypes=EGR, egress=[{}]),
            np("deny-ingress-for-target", "x", pod_sel(pod="a"), policyTypes=ING),
        ),
        (t(80, all_in("x/a", False)),),
    ),
    Case(
        "sctp-is-not-tcp",
        E2E + " (should not mistakenly treat 'protocol: SCTP' as 'protocol: TCP')",
        (
            np("deny-ingress", "x", policyTypes=ING),
            np(
                "allow-only-sctp-81",
                "x",
                pod_sel(pod="a"),
                ingress=[{"ports": [{"port": 81, "protocol": "SCTP"}]}],
            ),
        ),
        (
            t(81, ("*", "x", False)),
            t(81, ("*", "x/b", False), ("*", "x/c", False), protocol="SCTP"),
        ),
    ),
    Case(
        "policy-allowing-sctp-isolates-for-tcp",
        E2E,
        (
            np(
                "allow-only-sctp-80",
                "x",
                pod_sel(pod="a"),
                ingress=[{"ports": [{"port": 80, "protocol": "SCTP"}]}],
            ),
        ),
        (t(81, all_in("x/a", False)), t(80, all_in("x/a", True), protocol="SCTP")),
    ),
    Case(
        "udp-only-does-not-allow-tcp",
        E2E,
        (
            np(
                "allow-only-udp-81",
                "x",
                pod_sel(pod="a"),
                ingress=[{"ports": [{"port": 81, "protocol": "UDP"}]}],
            ),
        ),
        (t(81, all_in("x/a", False)), t(81, protocol="UDP")),
    ),
    Case(
        "namespace-selector-default-name-label",
        E2E,
        (
            np(
                "allow-from-y-by-name-label",
                "x",
                pod_sel(pod="a"),
                ingress=[{"from": [{"namespaceSelector": ns_sel("y")}]}],
            ),
        ),
        (t(80, ("x", "x/a", False), ("z", "x/a", False)),),
    ),
    Case(
        "egress-namespace-not-in-by-name-label",
        E2E,
        (
            np(
                "allow-egress-not-y",
                "x",
                pod_sel(pod="a"),
                policyTypes=EGR,
                egress=[
                    {
                        "to": [
                            {
                                "namespaceSelector": {
                                    "matchExpressions": [
                                        {
                                            "key": "kubernetes.io/metadata.name",
                                            "operator": "NotIn",
                                            "values": ["y"],
                                        }
                                    ]
                                }
                            }
                        ]
                    }
                ],
            ),
        ),
        (t(80, ("x/a", "y", False)),),
    ),
    Case(
        "end-port-range",
        E2E + " (network_legacy / SCTP+endPort: egress to a port range, inclusive)",
        (
            np(
                "allow-egress-80-81",
                "x",
                pod_sel(pod="a"),
                policyTypes=EGR,
                egress=[{"ports": [{"port": 80, "endPort": 81}]}],
            ),
        ),
        (t(80), t(81), t(80, all_out("x/a", False), protocol="UDP")),
    ),
]


@pytest.mark.parametrize("case", E2E_CASES, ids=[c.name for c in E2E_CASES])
def test_e2e_truth_table(case: Case) -> None:
    check_tables(case)


# --- the API's defaults and the concept page's cases ---------------------------------------

DOCS = "https://kubernetes.io/docs/concepts/services-networking/network-policies/"
REF = "https://kubernetes.io/docs/reference/kubernetes-api/policy-resources/network-policy-v1/"
DEFAULTS = "kubernetes/kubernetes pkg/apis/networking/v1/defaults.go SetDefaults_NetworkPolicy"

SPEC_CASES = [
    Case(
        "policy-types-empty-list-is-defaulted-like-absent",
        DEFAULTS + ": len(policyTypes) == 0 -> [Ingress] (+ Egress when egress rules exist)",
        (np("empty-types", "x", pod_sel(pod="a"), policyTypes=[]),),
        (t(80, all_in("x/a", False)),),
    ),
    Case(
        "policy-types-empty-list-with-egress-rules-is-ingress-and-egress",
        DEFAULTS,
        (
            np(
                "empty-types",
                "x",
                pod_sel(pod="a"),
                policyTypes=[],
                egress=[{"to": [{"podSelector": {}}]}],
            ),
        ),
        (
            t(
                80,
                all_in("x/a", False),
                all_out("x/a", False),
                ("x/a", "x", True),
                ("x/a", "x/a", False),
            ),
        ),
    ),
    Case(
        "policy-types-omitted-with-egress-rules-is-ingress-and-egress",
        DEFAULTS + "; " + REF + "#NetworkPolicySpec policyTypes",
        (np("egress-rules", "x", pod_sel(pod="a"), egress=[{"to": [{"podSelector": {}}]}]),),
        (
            t(
                80,
                all_in("x/a", False),
                all_out("x/a", False),
                ("x/a", "x", True),
                ("x/a", "x/a", False),
            ),
        ),
    ),
    Case(
        "policy-types-omitted-with-empty-egress-list-is-ingress-only",
        DEFAULTS + " (len(egress) == 0)",
        (np("no-egress-rules", "x", pod_sel(pod="a"), egress=[]),),
        (t(80, all_in("x/a", False)),),
    ),
    Case(
        "policy-types-egress-only-ignores-ingress-rules",
        REF + "#NetworkPolicySpec (ingress rules of a policy without Ingress type do not apply)",
        (
            np(
                "egress-only",
                "x",
                pod_sel(pod="a"),
                policyTypes=EGR,
                ingress=[{"from": [{"podSelector": pod_sel(pod="b")}]}],
            ),
        ),
        (t(80, all_out("x/a", False)),),
    ),
    Case(
        "policy-types-ingress-only-ignores-egress-rules",
        REF + "#NetworkPolicySpec",
        (
            np(
                "ingress-only",
                "x",
                pod_sel(pod="a"),
                policyTypes=ING,
                ingress=[{}],
                egress=[{"to": [{"podSelector": pod_sel(pod="b")}]}],
            ),
        ),
        (t(80),),
    ),
    Case(
        "empty-from-list-means-every-source",
        REF + "#NetworkPolicyIngressRule from: empty or missing matches all sources",
        (np("from-empty", "x", pod_sel(pod="a"), ingress=[{"from": [], "ports": [{"port": 80}]}]),),
        (t(80), t(81, all_in("x/a", False))),
    ),
    Case(
        "empty-ports-list-means-every-port",
        REF + "#NetworkPolicyIngressRule ports: empty or missing matches all ports",
        (
            np(
                "ports-empty",
                "x",
                pod_sel(pod="a"),
                ingress=[{"from": [{"podSelector": pod_sel(pod="b")}], "ports": []}],
            ),
        ),
        (
            t(80, all_in("x/a", False), ("x/b", "x/a", True)),
            t(81, all_in("x/a", False), ("x/b", "x/a", True), protocol="SCTP"),
        ),
    ),
    Case(
        "empty-pod-selector-peer-is-the-policy-namespace-only",
        DOCS + " (podSelector without namespaceSelector: pods of the policy's namespace)",
        (np("same-ns", "y", ingress=[{"from": [{"podSelector": {}}]}]),),
        (t(80, ("*", "y", False), ("y", "y", True)),),
    ),
    Case(
        "empty-namespace-selector-peer-is-every-pod-of-every-namespace",
        REF + "#NetworkPolicyPeer",
        (
            np(
                "all-ns",
                "y",
                pod_sel(pod="a"),
                policyTypes=EGR,
                egress=[{"to": [{"namespaceSelector": {}}]}],
            ),
        ),
        (t(80),),
    ),
    Case(
        "both-selectors-empty-in-one-peer-is-every-pod",
        REF + "#NetworkPolicyPeer",
        (np("all-pods", "y", ingress=[{"from": [{"namespaceSelector": {}, "podSelector": {}}]}]),),
        (t(80),),
    ),
    Case(
        "pod-selector-with-namespace-selector-selects-in-other-namespaces",
        DOCS + " (Behavior of to and from selectors: namespaceSelector AND podSelector)",
        (
            np(
                "b-anywhere",
                "y",
                ingress=[{"from": [{"namespaceSelector": {}, "podSelector": pod_sel(pod="b")}]}],
            ),
        ),
        (t(80, ("*", "y", False), ("y/b", "y", True), ("x/b", "y", True), ("z/b", "y", True)),),
    ),
    Case(
        "policies-never-select-pods-of-another-namespace",
        REF + "#NetworkPolicySpec podSelector (selects pods in the policy's namespace)",
        (np("deny-all-in-y", "y", policyTypes=BOTH),),
        (t(80, ("*", "y", False), ("y", "*", False)),),
    ),
    Case(
        "match-expressions-exists-and-does-not-exist",
        "https://kubernetes.io/docs/concepts/overview/working-with-objects/labels/#set-based-requirement",
        (
            np(
                "exists",
                "x",
                {"matchExpressions": [{"key": "pod", "operator": "Exists"}]},
                ingress=[
                    {
                        "from": [
                            {
                                "podSelector": {
                                    "matchExpressions": [
                                        {"key": "missing", "operator": "DoesNotExist"},
                                        {"key": "pod", "operator": "NotIn", "values": ["c"]},
                                    ]
                                }
                            }
                        ]
                    }
                ],
            ),
        ),
        (t(80, ("*", "x", False), ("x/a", "x", True), ("x/b", "x", True)),),
    ),
]


@pytest.mark.parametrize("case", SPEC_CASES, ids=[c.name for c in SPEC_CASES])
def test_spec_truth_table(case: Case) -> None:
    check_tables(case)


# --- validation: what the API server rejects is an input error, not a guess ----------------

VALIDATION = "kubernetes/kubernetes pkg/apis/networking/validation/validation.go"
BAD_POLICIES = [
    (
        "except-equal-to-cidr",
        {"ingress": [{"from": [{"ipBlock": {"cidr": "10.0.0.0/24", "except": ["10.0.0.0/24"]}}]}]},
    ),
    (
        "except-outside-cidr",
        {"ingress": [{"from": [{"ipBlock": {"cidr": "10.0.0.0/24", "except": ["10.0.1.0/28"]}}]}]},
    ),
    (
        "except-other-family",
        {"ingress": [{"from": [{"ipBlock": {"cidr": "10.0.0.0/24", "except": ["fd00::/64"]}}]}]},
    ),
    ("invalid-cidr", {"ingress": [{"from": [{"ipBlock": {"cidr": "10.0.0.300/24"}}]}]}),
    (
        "ip-block-with-selector",
        {"ingress": [{"from": [{"ipBlock": {"cidr": "10.0.0.0/8"}, "podSelector": {}}]}]},
    ),
    ("empty-peer", {"ingress": [{"from": [{}]}]}),
    ("end-port-without-port", {"ingress": [{"ports": [{"endPort": 90}]}]}),
    ("end-port-below-port", {"ingress": [{"ports": [{"port": 90, "endPort": 80}]}]}),
    ("end-port-with-named-port", {"ingress": [{"ports": [{"port": "http", "endPort": 80}]}]}),
    ("unknown-protocol", {"ingress": [{"ports": [{"port": 80, "protocol": "ICMP"}]}]}),
    ("unknown-policy-type", {"policyTypes": ["Ingress", "Sideways"]}),
]


@pytest.mark.parametrize("spec", [b[1] for b in BAD_POLICIES], ids=[b[0] for b in BAD_POLICIES])
def test_invalid_policy_is_an_input_error(spec: dict[str, Any]) -> None:
    """ValidateNetworkPolicySpec / ValidateIPBlock / ValidateNetworkPolicyPort ({VALIDATION})."""
    with pytest.raises(InputError):
        build(model() + [np("bad", "x", **spec)])


# --- single connections: addresses outside the cluster, nodes, extra pods ------------------

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


# --- admin tiers (policy.networking.k8s.io) ------------------------------------------------

NPAPI = "kubernetes-sigs/network-policy-api"
ANP_TYPES = NPAPI + " apis/v1alpha1/adminnetworkpolicy_types.go"
CNP_TYPES = NPAPI + " apis/v1alpha2/clusternetworkpolicy_types.go"


def anp(name: str, priority: int, subject: dict[str, Any], **spec: Any) -> dict[str, Any]:
    return {
        "apiVersion": "policy.networking.k8s.io/v1alpha1",
        "kind": "AdminNetworkPolicy",
        "metadata": {"name": name},
        "spec": {"priority": priority, "subject": subject, **spec},
    }


def banp(subject: dict[str, Any], **spec: Any) -> dict[str, Any]:
    return {
        "apiVersion": "policy.networking.k8s.io/v1alpha1",
        "kind": "BaselineAdminNetworkPolicy",
        "metadata": {"name": "default"},
        "spec": {"subject": subject, **spec},
    }


def cnp(
    name: str, tier: str, priority: int, subject: dict[str, Any], **spec: Any
) -> dict[str, Any]:
    return {
        "apiVersion": "policy.networking.k8s.io/v1alpha2",
        "kind": "ClusterNetworkPolicy",
        "metadata": {"name": name},
        "spec": {"tier": tier, "priority": priority, "subject": subject, **spec},
    }


def ns_subject(name: str) -> dict[str, Any]:
    return {"namespaces": ns_sel(name)}


def from_ns(name: str) -> list[dict[str, Any]]:
    return [{"namespaces": ns_sel(name)}]


def rule(action: str, peers: list[dict[str, Any]], name: str = "", **extra: Any) -> dict[str, Any]:
    return {"name": name or action.lower(), "action": action, **extra, "from": peers}


def erule(action: str, peers: list[dict[str, Any]], name: str = "", **extra: Any) -> dict[str, Any]:
    return {"name": name or action.lower(), "action": action, **extra, "to": peers}


ADMIN_CASES = [
    Case(
        "anp-lower-priority-number-is-evaluated-first",
        ANP_TYPES + " (Priority: lower values have higher precedence)",
        (
            anp("deny-y", 10, ns_subject("x"), ingress=[rule("Deny", from_ns("y"))]),
            anp("allow-y", 20, ns_subject("x"), ingress=[rule("Allow", from_ns("y"))]),
            np("allow-all", "x", ingress=[{}]),
        ),
        (t(80, ("y", "x", False)),),
    ),
    Case(
        "anp-allow-first-then-deny",
        ANP_TYPES,
        (
            anp("allow-y", 5, ns_subject("x"), ingress=[rule("Allow", from_ns("y"))]),
            anp("deny-y", 10, ns_subject("x"), ingress=[rule("Deny", from_ns("y"))]),
            np("deny-all", "x", policyTypes=ING),
        ),
        (t(80, ("*", "x", False), ("y", "x", True)),),
    ),
    Case(
        "anp-rules-in-written-order",
        ANP_TYPES + " (relative precedence of rules within one ANP: the order written)",
        (
            anp(
                "ordered",
                10,
                ns_subject("x"),
                ingress=[
                    rule(
                        "Deny",
                        [
                            {
                                "pods": {
                                    "namespaceSelector": ns_sel("y"),
                                    "podSelector": pod_sel(pod="a"),
                                }
                            }
                        ],
                        "deny-ya",
                    ),
                    rule("Allow", from_ns("y"), "allow-y"),
                ],
            ),
            np("deny-all", "x", policyTypes=ING),
        ),
        (t(80, ("*", "x", False), ("y", "x", True), ("y/a", "x", False)),),
    ),
    Case(
        "anp-pass-skips-lower-admin-rules-to-network-policy",
        ANP_TYPES + " (Pass: skip any remaining ANP rules, then NetworkPolicy)",
        (
            anp("pass-y", 10, ns_subject("x"), ingress=[rule("Pass", from_ns("y"))]),
            anp("allow-y", 20, ns_subject("x"), ingress=[rule("Allow", from_ns("y"))]),
            np("deny-all", "x", policyTypes=ING),
        ),
        (t(80, ("*", "x", False)),),
    ),
    Case(
        "anp-pass-without-network-policy-goes-to-baseline",
        ANP_TYPES + " (Pass: if no NetworkPolicy selects the pod, BaselineAdminNetworkPolicy)",
        (
            anp("pass-y", 10, ns_subject("x"), ingress=[rule("Pass", from_ns("y"))]),
            banp(ns_subject("x"), ingress=[rule("Deny", from_ns("y"))]),
        ),
        (t(80, ("y", "x", False)),),
    ),
    Case(
        "anp-pass-with-network-policy-ignores-baseline",
        ANP_TYPES,
        (
            anp("pass-y", 10, ns_subject("x"), ingress=[rule("Pass", from_ns("y"))]),
            np(
                "allow-from-y",
                "x",
                pod_sel(pod="a"),
                ingress=[{"from": [{"namespaceSelector": ns_sel("y")}]}],
            ),
            banp(ns_subject("x"), ingress=[rule("Deny", from_ns("y"))]),
        ),
        (t(80, ("*", "x/a", False), ("y", "x/a", True), ("y", "x/b", False), ("y", "x/c", False)),),
    ),
    Case(
        "baseline-only-where-no-network-policy-isolates",
        NPAPI + " BaselineAdminNetworkPolicy (after NetworkPolicy)",
        (
            np(
                "b-to-a",
                "x",
                pod_sel(pod="a"),
                ingress=[{"from": [{"podSelector": pod_sel(pod="b")}]}],
            ),
            banp(
                {"namespaces": {}},
                ingress=[
                    rule(
                        "Deny",
                        [
                            {
                                "pods": {
                                    "namespaceSelector": ns_sel("x"),
                                    "podSelector": pod_sel(pod="b"),
                                }
                            }
                        ],
                    )
                ],
            ),
        ),
        (t(80, all_in("x/a", False), ("x/b", "*", False), ("x/b", "x/a", True)),),
    ),
    Case(
        "baseline-allow-does-not-open-an-isolated-pod",
        NPAPI + " BaselineAdminNetworkPolicy",
        (
            np("deny-all", "x", pod_sel(pod="a"), policyTypes=ING),
            banp({"namespaces": {}}, ingress=[rule("Allow", [{"namespaces": {}}])]),
        ),
        (t(80, all_in("x/a", False)),),
    ),
    Case(
        "anp-egress-allow-does-not-skip-destination-ingress",
        CNP_TYPES + " (Accept on egress: ingress rules at the destination still apply)",
        (
            anp("x-egress-all", 10, ns_subject("x"), egress=[erule("Allow", [{"namespaces": {}}])]),
            np("deny-all", "y", policyTypes=ING),
            np("deny-egress", "x", policyTypes=EGR),
        ),
        (t(80, ("*", "y", False)),),
    ),
    Case(
        "anp-ingress-allow-does-not-skip-source-egress",
        ANP_TYPES,
        (
            anp(
                "x-ingress-all", 10, ns_subject("x"), ingress=[rule("Allow", [{"namespaces": {}}])]
            ),
            np("deny-egress", "y", policyTypes=EGR),
            np("deny-ingress", "x", policyTypes=ING),
        ),
        (t(80, ("y", "*", False), ("*", "x", True), ("y", "x", False)),),
    ),
    Case(
        "anp-deny-ports-number-range-and-name",
        ANP_TYPES + " / shared_types.go AdminNetworkPolicyPort",
        (
            anp(
                "ports",
                10,
                ns_subject("x"),
                ingress=[
                    rule(
                        "Deny",
                        from_ns("y"),
                        "n",
                        ports=[{"portNumber": {"protocol": "TCP", "port": 80}}],
                    ),
                    rule(
                        "Deny",
                        from_ns("y"),
                        "r",
                        ports=[{"portRange": {"protocol": "UDP", "start": 80, "end": 81}}],
                    ),
                    rule("Deny", from_ns("z"), "name", ports=[{"namedPort": "serve-81-sctp"}]),
                ],
            ),
        ),
        (
            t(80, ("y", "x", False)),
            t(81),
            t(80, ("y", "x", False), protocol="UDP"),
            t(81, ("y", "x", False), protocol="UDP"),
            t(81, ("z", "x", False), protocol="SCTP"),
            t(80, protocol="SCTP"),
        ),
    ),
    Case(
        "anp-subject-pods-and-namespaces",
        ANP_TYPES + " (subject: namespaces, or pods = namespaceSelector AND podSelector)",
        (
            anp(
                "deny-to-xa",
                10,
                {"pods": {"namespaceSelector": ns_sel("x"), "podSelector": pod_sel(pod="a")}},
                ingress=[rule("Deny", [{"namespaces": {}}])],
            ),
        ),
        (t(80, all_in("x/a", False)),),
    ),
    Case(
        "anp-networks-peer-matches-pod-ips",
        CNP_TYPES + " (Networks: cluster-internal traffic is checked against the rule as well)",
        (
            anp(
                "deny-to-y-cidr",
                10,
                ns_subject("x"),
                egress=[erule("Deny", [{"networks": ["10.2.0.0/16"]}])],
            ),
        ),
        (t(80, ("x", "y", False)),),
    ),
    Case(
        "cnp-admin-accept-deny-pass-and-baseline",
        CNP_TYPES + " (tiers Admin -> NetworkPolicy -> Baseline; Accept/Deny/Pass)",
        (
            cnp("admin-pass-z", "Admin", 5, ns_subject("x"), ingress=[rule("Pass", from_ns("z"))]),
            cnp(
                "admin-accept-y",
                "Admin",
                10,
                ns_subject("x"),
                ingress=[rule("Accept", from_ns("y")), rule("Deny", from_ns("z"))],
            ),
            np("deny-all", "x", pod_sel(pod="a"), policyTypes=ING),
            cnp(
                "baseline-deny-z",
                "Baseline",
                10,
                ns_subject("x"),
                ingress=[rule("Deny", from_ns("z"))],
            ),
        ),
        (t(80, ("*", "x/a", False), ("y", "x", True), ("z", "x", False)),),
    ),
    Case(
        "cnp-protocols-destination-port-and-range",
        CNP_TYPES + " (protocols: tcp/udp/sctp destinationPort number or range)",
        (
            cnp(
                "deny-ports",
                "Admin",
                10,
                ns_subject("x"),
                ingress=[
                    rule(
                        "Deny",
                        from_ns("y"),
                        "tcp80",
                        protocols=[{"tcp": {"destinationPort": {"number": 80}}}],
                    ),
                    rule(
                        "Deny",
                        from_ns("y"),
                        "udp",
                        protocols=[
                            {"udp": {"destinationPort": {"range": {"start": 80, "end": 81}}}}
                        ],
                    ),
                ],
            ),
        ),
        (t(80, ("y", "x", False)), t(81), t(81, ("y", "x", False), protocol="UDP")),
    ),
]


@pytest.mark.parametrize("case", ADMIN_CASES, ids=[c.name for c in ADMIN_CASES])
def test_admin_truth_table(case: Case) -> None:
    check_tables(case)


# --- podpath check: a "denied" expectation covers every port, declared or not ------------


def test_check_denied_covers_undeclared_ports() -> None:
    """A container port need not be declared to be reachable ({REF}#NetworkPolicyPort; the
    Pod API: "Not specifying a port here DOES NOT prevent that port from being exposed"), so
    ``expect: denied`` without ``ports`` must fail when any port is allowed."""
    from podpath.analyze.check import parse_expectations, run_checks

    objects = model() + [
        np("deny-all", "x", policyTypes=ING),
        np(
            "oops-9999",
            "x",
            pod_sel(pod="a"),
            ingress=[{"ports": [{"port": 9000, "endPort": 9999}]}],
        ),
        np(
            "oops-udp",
            "x",
            pod_sel(pod="b"),
            ingress=[{"ports": [{"port": 5353, "protocol": "UDP"}]}],
        ),
    ]
    cluster = build(objects)
    data = {
        "expectations": [
            {"name": "nothing reaches x/a", "from": "!x/*", "to": "x/a", "expect": "denied"},
            {"name": "nothing reaches x/b", "from": "!x/*", "to": "x/b", "expect": "denied"},
            {"name": "nothing reaches x/c", "from": "!x/*", "to": "x/c", "expect": "denied"},
        ]
    }
    result = run_checks(cluster, parse_expectations(data, "expect.yaml"))
    ok = {r["name"]: r["ok"] for r in result["results"]}
    assert ok == {
        "nothing reaches x/a": False,
        "nothing reaches x/b": False,
        "nothing reaches x/c": True,
    }
    ports = {v["port"] for r in result["results"] for v in r["violations"]}
    assert ports <= {"9000/TCP", "5353/UDP"} and ports


# --- podpath explain: what addresses outside the cluster may do ---------------------------


def test_explain_egress_named_ports_never_reach_outside() -> None:
    """Egress on a named port resolves on the destination pod; an address outside the cluster
    has no container ports, so such a rule lets the pod reach no outside address
    ({REF}#NetworkPolicyPort; issue 3). Numeric rules and ipBlock rules still count."""
    from podpath.analyze.explain import explain_pod

    cluster = build(
        model()
        + [
            np(
                "named",
                "x",
                pod_sel(pod="a"),
                policyTypes=EGR,
                egress=[{"ports": [{"port": "serve-80-tcp"}]}],
            ),
            np(
                "mixed",
                "x",
                pod_sel(pod="b"),
                policyTypes=EGR,
                egress=[{"ports": [{"port": "serve-80-tcp"}, {"port": 443}]}],
            ),
            np("in-named", "x", pod_sel(pod="a"), ingress=[{"ports": [{"port": "serve-80-tcp"}]}]),
        ]
    )
    a = explain_pod(cluster, "x/a")
    assert a["egress"]["external"] == []
    assert len(a["ingress"]["external"]) == 1  # ingress: the name resolves on x/a itself
    assert len(explain_pod(cluster, "x/b")["egress"]["external"]) == 1


# --- admin priority ties: the spec leaves them to the implementation ---------------------

TIE = CNP_TYPES + " (same priority: the implementation can apply any); " + ANP_TYPES


@pytest.mark.parametrize(
    "actions,flagged",
    [
        (("Deny", "Allow"), True),
        (("Allow", "Deny"), True),
        (("Deny", "Deny"), False),
        (("Pass", "Deny"), True),
    ],
    ids=["deny-vs-allow", "allow-vs-deny", "same-action", "pass-vs-deny"],
)
def test_admin_priority_tie_is_named(actions: tuple[str, str], flagged: bool) -> None:
    """Two ANPs with the same priority matching one connection with different verdicts: the
    verdict names assumption ``admin-priority-tie`` ({TIE}); otherwise it does not."""
    first, second = actions
    cluster = build(
        model()
        + [
            anp("a-first", 10, ns_subject("x"), ingress=[rule(first, from_ns("y"))]),
            anp("b-second", 10, ns_subject("x"), ingress=[rule(second, from_ns("y"))]),
        ]
    )
    pods = cluster.pod_by_key
    v = evaluate(cluster, PodPeer(pods["y/a"]), PodPeer(pods["x/a"]), 80)
    assert ("admin-priority-tie" in v.assumptions) == flagged, v.ingress.reason
    other = evaluate(cluster, PodPeer(pods["z/a"]), PodPeer(pods["x/a"]), 80)
    assert "admin-priority-tie" not in other.assumptions


# --- a selector with an unknown field is an error, never "select everything" ---------------


@pytest.mark.parametrize(
    "objects",
    [
        [np("typo", "x", {"matchLabel": {"pod": "a"}}, policyTypes=ING)],
        [
            np(
                "peer-typo",
                "x",
                ingress=[{"from": [{"podSelector": {"matchlabels": {"pod": "b"}}}]}],
            )
        ],
        [
            anp(
                "old-shape",
                10,
                {"namespaces": {"namespaceSelector": ns_sel("x")}},
                ingress=[rule("Deny", from_ns("y"))],
            )
        ],
        [
            anp(
                "same-labels",
                10,
                ns_subject("x"),
                ingress=[rule("Deny", [{"namespaces": {"sameLabels": ["team"]}}])],
            )
        ],
    ],
    ids=["np-pod-selector", "np-peer", "anp-subject-old-shape", "anp-peer-same-labels"],
)
def test_selector_with_unknown_field_is_an_input_error(objects: list[dict[str, Any]]) -> None:
    """Strict field validation (kubectl's default) rejects unknown fields; podpath must not
    read ``{matchLabel: ...}`` (or an older admin-policy shape) as the empty selector, which
    would select every pod (https://kubernetes.io/docs/reference/using-api/api-concepts/#field-validation)."""
    with pytest.raises(InputError, match="unknown field"):
        build(model() + objects)
