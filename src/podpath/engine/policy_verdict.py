"""The vocabulary of NetworkPolicy verdicts: assumptions, peers, tiers, rule refs, verdicts.

Used by :mod:`podpath.engine.policy` and by the admin tiers
of :mod:`podpath.engine.admin_policy`. Assumptions are implementation-defined behaviour,
switchable in :class:`Assumptions` and named in every verdict they decide
(:data:`ASSUMPTION_DOCS`).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field

from podpath.model.core import ObjectRef, Pod, Protocol
from podpath.model.policy import Direction

#: Where ``internet`` stands for "an address outside the cluster" (TEST-NET-3, RFC 5737).
INTERNET_IP = "203.0.113.1"

A_IPBLOCK_POD = "ipblock-matches-pod-ips"
A_NODE_TRAFFIC = "node-traffic-allowed"
A_HOST_NETWORK = "host-network-as-node"
A_SELF_TRAFFIC = "self-traffic"
A_PRIORITY_TIE = "admin-priority-tie"

ASSUMPTION_DOCS: dict[str, str] = {
    A_IPBLOCK_POD: (
        "an ipBlock matches a pod by its pod IP, as common CNIs (Calico, Cilium, kube-router) "
        "and the upstream conformance suite do; the API leaves it implementation-defined"
    ),
    A_NODE_TRAFFIC: (
        "traffic between a pod and the node it runs on (kubelet probes) is always allowed, "
        "as the NetworkPolicy documentation states"
    ),
    A_HOST_NETWORK: (
        "host-network pods are treated as their node's IP: policies do not select them and "
        "pod/namespace selectors do not match them (ipBlock does), the most common behaviour"
    ),
    A_SELF_TRAFFIC: (
        "a pod connecting to its own IP gets the verdict of its policies; the documentation "
        "says a pod cannot block access to itself and CNIs differ on loopback"
    ),
    A_PRIORITY_TIE: (
        "two admin policies of the same tier and priority match with different actions; the "
        "spec leaves the choice to the implementation, podpath applies the first by kind and name"
    ),
}


@dataclass(frozen=True, slots=True)
class Assumptions:
    """Switchable answers to what the API leaves to the network plugin (see module doc).

    - ``ipblock_matches_pod_ips``: ipBlock peers match pod IPs (else only non-pod IPs);
    - ``node_traffic_allowed``: node <-> its own pods always allowed (else policies decide);
    - ``host_network_as_node``: host-network pods are node traffic (else like other pods);
    - ``self_traffic_allowed``: pod -> its own IP always allowed (else policies decide).
    """

    ipblock_matches_pod_ips: bool = True
    node_traffic_allowed: bool = True
    host_network_as_node: bool = True
    self_traffic_allowed: bool = False


DEFAULT_ASSUMPTIONS = Assumptions()


@dataclass(frozen=True, slots=True)
class PodPeer:
    """A pod of the cluster (canonical form ``NS/NAME[Pod]``). ``family`` (4 or 6): the IP
    family of the connection, on a dual-stack cluster (an ipBlock then matches only the pod's
    address of that family); None: any of the pod's addresses."""

    pod: Pod
    family: int | None = None

    def __str__(self) -> str:
        return f"{self.pod.key}[Pod]"


@dataclass(frozen=True, slots=True)
class IPPeer:
    """An address that is no pod's: outside the cluster, a node, or ``internet``
    (:data:`INTERNET_IP`). Canonical form ``IP[External]`` (``IP[Node NAME]`` for nodes)."""

    ip: str
    node: str | None = None

    def __str__(self) -> str:
        return f"{self.ip}[Node {self.node}]" if self.node else f"{self.ip}[External]"


Peer = PodPeer | IPPeer


def destination_pod(pod: Pod, other: Peer, direction: Direction) -> Pod | None:
    """The destination of a direction evaluated at ``pod``: ``pod`` itself on ingress, the
    other side on egress (None when that is no pod: a named port cannot match there)."""
    if direction is Direction.INGRESS:
        return pod
    return other.pod if isinstance(other, PodPeer) else None


class Tier(enum.Enum):
    """What decided a direction's verdict."""

    ADMIN = "Admin"
    NETWORK_POLICY = "NetworkPolicy"
    BASELINE = "Baseline"
    DEFAULT = "Default"  # nothing applies: allowed
    ASSUMPTION = "Assumption"  # a switchable assumption decided (see ASSUMPTION_DOCS)
    OUTSIDE = "Outside"  # this side is not a pod: no policy applies

    def __str__(self) -> str:
        return self.value


@dataclass(frozen=True, slots=True)
class RuleRef:
    """One rule of one policy: ``NetworkPolicy/ns/name ingress rule 0`` or, for the admin
    tiers, ``AdminNetworkPolicy/name ingress rule 1 "deny-x" (Deny)``."""

    policy: ObjectRef
    direction: Direction
    index: int
    action: str = "Allow"
    rule_name: str = ""

    def __str__(self) -> str:
        base = f"{self.policy} {self.direction.value.lower()} rule {self.index}"
        if self.policy.kind == "NetworkPolicy":
            return base
        name = f' "{self.rule_name}"' if self.rule_name else ""
        return f"{base}{name} ({self.action})"


@dataclass(frozen=True, slots=True)
class DirectionResult:
    """One direction of a connection, evaluated at its pod (``pod`` is None when that side
    is outside the cluster: ``tier`` is then OUTSIDE and it is allowed).

    ``isolating_policies``: the NetworkPolicies that select the pod with this policy type;
    ``allowing``: the NetworkPolicy rules that allow the traffic; ``decided_by``: the admin
    rule that decided (tier ADMIN/BASELINE); ``assumptions``: names from ASSUMPTION_DOCS that
    decided; ``reason``: one plain sentence.
    """

    direction: Direction
    pod: str | None
    allowed: bool
    tier: Tier
    reason: str
    isolated: bool = False
    isolating_policies: tuple[ObjectRef, ...] = ()
    allowing: tuple[RuleRef, ...] = ()
    decided_by: RuleRef | None = None
    assumptions: tuple[str, ...] = ()

    @property
    def reasons(self) -> tuple[str, ...]:
        """Short reason strings: the deciding rules, else the sentence."""
        if self.decided_by is not None:
            return (str(self.decided_by),)
        if self.allowing:
            return tuple(str(r) for r in self.allowing)
        return (self.reason,)


@dataclass(frozen=True, slots=True)
class Verdict:
    """A connection ``src -> dst`` on ``port/protocol``: allowed iff both directions allow."""

    src: Peer
    dst: Peer
    port: int
    protocol: Protocol
    egress: DirectionResult
    ingress: DirectionResult
    notes: tuple[str, ...] = field(default=())

    @property
    def allowed(self) -> bool:
        return self.egress.allowed and self.ingress.allowed

    @property
    def denied_by(self) -> DirectionResult | None:
        """The direction that denied (egress first), or None if allowed."""
        for result in (self.egress, self.ingress):
            if not result.allowed:
                return result
        return None

    @property
    def tier(self) -> Tier:
        """The tier that decided: the denying direction's, else the ingress side's (the egress
        side's when the destination is outside the cluster)."""
        d = self.denied_by
        if d is not None:
            return d.tier
        return self.ingress.tier if self.ingress.tier is not Tier.OUTSIDE else self.egress.tier

    @property
    def reasons(self) -> tuple[str, ...]:
        """Why: the denying direction's reasons, else the allowing rules of both sides."""
        d = self.denied_by
        if d is not None:
            return d.reasons
        out: list[str] = []
        for result in (self.egress, self.ingress):
            if result.tier is not Tier.OUTSIDE:
                out.extend(result.reasons)
        return tuple(out)

    @property
    def assumptions(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(self.egress.assumptions + self.ingress.assumptions))
