"""Shared helpers of the NetworkPolicy and admin-tier conformance tests
(tests/test_conformance_policy*.py).

Every case runs against BOTH the per-pair evaluator (:func:`podpath.engine.policy.evaluate`)
and the fast matrix (:func:`podpath.engine.matrix.reachability`), on every pod pair.

The cluster is the model of the upstream e2e suite (kubernetes/kubernetes
test/e2e/network/netpol: ``initializeResources`` / ``model.go``): namespaces x, y, z, each
with pods a, b, c labelled ``pod: <name>``, every pod serving ports 80 and 81 on TCP, UDP and
SCTP with container ports named ``serve-<port>-<proto>``. Expectations are written like the
suite's ``Reachability``: everything allowed, then ``expect`` overrides, later ones winning
(``ExpectPeer`` / ``ExpectAllIngress`` / ``ExpectAllEgress`` / ``Expect``). The upstream suite
ignores loopback (CNIs differ); podpath gives a pod's traffic to itself the policies' verdict
(issue 3), so the tables include the diagonal as the policies decide it.

Cases are written in our own words from: the upstream e2e tests (``network_policy.go``), the
NetworkPolicy concept page (https://kubernetes.io/docs/concepts/services-networking/network-policies/),
the API reference and its defaulting/validation code (``pkg/apis/networking/v1/defaults.go``,
``pkg/apis/networking/validation/validation.go``), and kubernetes-sigs/network-policy-api
(``apis/v1alpha1``, ``apis/v1alpha2``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from podpath.cluster import Cluster, resolve
from podpath.engine.matrix import reachability
from podpath.engine.policy import evaluate
from podpath.engine.policy_verdict import Assumptions, PodPeer
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


def own_ip(pods: str, allowed: bool) -> tuple[tuple[str, str, bool], ...]:
    """Each of ``pods`` (``x``: every pod of namespace x, ``x/a``: one pod) to its own IP,
    which is not subject to the admin tiers (NPAPI_SELF): the NetworkPolicy tier decides."""
    return tuple((p, p, allowed) for p in ALL_PODS if _match(pods, p))


def all_out(pod: str, allowed: bool) -> tuple[str, str, bool]:
    """``ExpectAllEgress``: ``pod`` to every destination."""
    return (pod, "*", allowed)


# --- sources the spec cases cite ---------------------------------------------------------

DOCS = "https://kubernetes.io/docs/concepts/services-networking/network-policies/"
REF = "https://kubernetes.io/docs/reference/kubernetes-api/policy-resources/network-policy-v1/"
DEFAULTS = "kubernetes/kubernetes pkg/apis/networking/v1/defaults.go SetDefaults_NetworkPolicy"

# --- admin tiers (policy.networking.k8s.io) ------------------------------------------------

NPAPI = "kubernetes-sigs/network-policy-api"
ANP_TYPES = NPAPI + " apis/v1alpha1/adminnetworkpolicy_types.go"
CNP_TYPES = NPAPI + " apis/v1alpha2/clusternetworkpolicy_types.go"
#: "A Pod connecting to its own Pod IP is not subject to CNP. A Pod connecting to a Service IP
#: that the service proxy load-balances back to the same Pod is subject to
#: ClusterNetworkPolicy." (site-src/api-overview.md, "The ClusterNetworkPolicy Resource")
NPAPI_SELF = NPAPI + " site-src/api-overview.md (hairpin traffic a Pod sends to itself)"


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
