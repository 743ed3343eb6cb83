"""NetworkPolicy model (networking.k8s.io/v1), defaults applied at loading.

Reference: https://kubernetes.io/docs/reference/kubernetes-api/policy-resources/network-policy-v1/
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from podpath.model.core import NO_SOURCE, LabelSelector, Protocol, SourceRef
from podpath.model.objects import Namespaced


class Direction(enum.Enum):
    INGRESS = "Ingress"
    EGRESS = "Egress"

    def __str__(self) -> str:
        return self.value


@dataclass(frozen=True, slots=True)
class IPBlock:
    """``IPBlock``: a CIDR and the CIDRs inside it that are excluded (``except``)."""

    cidr: str
    except_: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class PolicyPeer:
    """``NetworkPolicyPeer``. Exactly one of the three forms, as the API requires:

    - ``pod_selector`` only: pods in the policy's namespace;
    - ``namespace_selector`` only: all pods in the selected namespaces;
    - both: the selected pods in the selected namespaces (AND);
    - ``ip_block`` only.
    ``None`` means the field was absent; an empty selector matches everything.
    """

    pod_selector: LabelSelector | None = None
    namespace_selector: LabelSelector | None = None
    ip_block: IPBlock | None = None


@dataclass(frozen=True, slots=True)
class PolicyPort:
    """``NetworkPolicyPort``: protocol (default TCP), port (number, name or ``None`` = all)
    and ``end_port`` (a numeric range ``port..end_port``)."""

    protocol: Protocol = Protocol.TCP
    port: int | str | None = None
    end_port: int | None = None


@dataclass(frozen=True, slots=True)
class PolicyRule:
    """An ingress or egress rule. ``peers`` empty means all sources/destinations (the
    ``from``/``to`` field absent or empty); ``ports`` empty means all ports."""

    peers: tuple[PolicyPeer, ...] = ()
    ports: tuple[PolicyPort, ...] = ()


@dataclass(frozen=True, slots=True)
class NetworkPolicy(Namespaced):
    """A NetworkPolicy with ``policy_types`` already defaulted (Ingress, plus Egress when
    egress rules exist)."""

    KIND = "NetworkPolicy"

    namespace: str
    name: str
    pod_selector: LabelSelector
    policy_types: tuple[Direction, ...]
    ingress: tuple[PolicyRule, ...] = ()
    egress: tuple[PolicyRule, ...] = ()
    source: SourceRef = NO_SOURCE

    def rules(self, direction: Direction) -> tuple[PolicyRule, ...]:
        return self.ingress if direction is Direction.INGRESS else self.egress
