"""Cluster-scoped policy tiers (policy.networking.k8s.io), one model for three kinds.

- AdminNetworkPolicy (v1alpha1): tier Admin, ``priority`` 0-1000, actions Allow/Deny/Pass;
- BaselineAdminNetworkPolicy (v1alpha1): tier Baseline (a singleton named ``default``),
  actions Allow/Deny;
- ClusterNetworkPolicy (v1alpha2): ``tier`` Admin or Baseline, ``priority``, actions
  Accept/Deny/Pass.

Spec: https://network-policy-api.sigs.k8s.io/reference/spec/ and
https://github.com/kubernetes-sigs/network-policy-api/tree/main/apis
"""

from __future__ import annotations

from dataclasses import dataclass

from podpath.model.core import NO_SOURCE, LabelSelector, ObjectRef, Protocol, SourceRef
from podpath.model.policy import Direction

ADMIN_KINDS = ("AdminNetworkPolicy", "BaselineAdminNetworkPolicy", "ClusterNetworkPolicy")
#: BaselineAdminNetworkPolicy has no priority; it is ordered after any Baseline-tier
#: ClusterNetworkPolicy (mixing both kinds is not specified; documented in docs/policy.md).
BANP_PRIORITY = 1001


@dataclass(frozen=True, slots=True)
class AdminSubject:
    """``subject``: ``namespaces`` (a namespace selector) or ``pods`` (namespaceSelector AND
    podSelector). Host-network pods are never subjects."""

    namespace_selector: LabelSelector
    pod_selector: LabelSelector | None = None


@dataclass(frozen=True, slots=True)
class AdminPeer:
    """A peer, exactly one form: ``namespaces`` / ``pods`` (pod_selector set) select pods
    (never host-network pods); egress only: ``nodes`` (node IPs), ``networks`` (CIDRs,
    matching pod IPs too), ``domainNames`` (kept, never matched statically)."""

    namespace_selector: LabelSelector | None = None
    pod_selector: LabelSelector | None = None
    node_selector: LabelSelector | None = None
    networks: tuple[str, ...] = ()
    domain_names: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class AdminPort:
    """A port match: a number (``start == end``), a range ``start..end`` with a protocol, or a
    named port (``name``; resolved on the destination pod, never matches non-pods)."""

    protocol: Protocol = Protocol.TCP
    start: int = 0
    end: int = 0
    name: str | None = None


@dataclass(frozen=True, slots=True)
class AdminRule:
    """A rule: ``action`` as written (Allow, Deny, Pass, Accept), its peers (``from``/``to``,
    OR-ed), and ``ports`` (None: every port of every protocol)."""

    action: str
    peers: tuple[AdminPeer, ...]
    ports: tuple[AdminPort, ...] | None = None
    name: str = ""

    @property
    def verdict(self) -> str:
        """``Allow``, ``Deny`` or ``Pass`` (ClusterNetworkPolicy's Accept is Allow)."""
        return "Allow" if self.action == "Accept" else self.action


@dataclass(frozen=True, slots=True)
class AdminPolicy:
    """One admin-tier policy of any of the three kinds; ``tier`` is ``Admin`` or
    ``Baseline``; lower ``priority`` is evaluated first; rules in written order."""

    kind: str
    name: str
    tier: str
    priority: int
    subject: AdminSubject
    ingress: tuple[AdminRule, ...] = ()
    egress: tuple[AdminRule, ...] = ()
    source: SourceRef = NO_SOURCE

    @property
    def ref(self) -> ObjectRef:
        return ObjectRef(self.kind, "", self.name)

    def rules(self, direction: Direction) -> tuple[AdminRule, ...]:
        return self.ingress if direction is Direction.INGRESS else self.egress

    @property
    def order(self) -> tuple[int, str, str]:
        """Evaluation order within a tier: priority, then kind and name (ties between equal
        priorities are implementation-defined in the spec; podpath breaks them by name)."""
        return (self.priority, self.kind, self.name)
