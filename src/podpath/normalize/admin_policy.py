"""Raw AdminNetworkPolicy / BaselineAdminNetworkPolicy (v1alpha1) and ClusterNetworkPolicy
(v1alpha2) -> :class:`~podpath.model.admin_policy.AdminPolicy`, validated as the CRDs do.

https://github.com/kubernetes-sigs/network-policy-api/tree/main/apis (v1alpha1
``adminnetworkpolicy_types.go``, ``baselineadminnetworkpolicy_types.go``, ``shared_types.go``;
v1alpha2 ``clusternetworkpolicy_types.go``):

- ``priority`` 0-1000 (ANP, CNP); ``tier`` Admin or Baseline (CNP);
- actions: ANP Allow/Deny/Pass, BANP Allow/Deny, CNP Accept/Deny/Pass;
- a subject is exactly one of ``namespaces`` / ``pods``; a peer exactly one of
  ``namespaces``, ``pods``, ``nodes``, ``networks``, ``domainNames`` (the last three egress
  only); ``from``/``to`` need at least one peer;
- ports (v1alpha1 ``ports[]``): exactly one of ``portNumber`` {protocol (TCP), port},
  ``namedPort``, ``portRange`` {protocol (TCP), start, end}; v1alpha2 ``protocols[]``: one of
  ``tcp``/``udp``/``sctp`` {destinationPort: {number} | {range: {start, end}}} or
  ``destinationNamedPort``. A named port cannot be used with nodes/networks peers.
"""

from __future__ import annotations

from typing import Any

from podpath.model.admin_policy import (
    BANP_PRIORITY,
    AdminPeer,
    AdminPolicy,
    AdminPort,
    AdminRule,
    AdminSubject,
)
from podpath.model.core import Protocol, SourceRef
from podpath.normalize.core import normalize_selector
from podpath.normalize.fields import Fields, object_fields

MSG_EXACTLY_ONE = "exactly one of {fields} must be set"
MSG_BAD_ACTION = "unknown action {got!r} ({allowed})"
MSG_BAD_TIER = "unknown tier {got!r} (Admin or Baseline)"
MSG_BAD_PRIORITY = "priority {got} is out of range 0-1000"
MSG_NO_PEERS = "{key} needs at least one peer"
MSG_RANGE = "range start {start} must be below end {end}"
MSG_NAMED_NON_POD = "a named port cannot be used with nodes/networks/domainNames peers"
MSG_EGRESS_ONLY = "{field} peers are only allowed in egress rules"

ACTIONS = {
    "AdminNetworkPolicy": ("Allow", "Deny", "Pass"),
    "BaselineAdminNetworkPolicy": ("Allow", "Deny"),
    "ClusterNetworkPolicy": ("Accept", "Deny", "Pass"),
}
PEER_FIELDS = ("namespaces", "pods", "nodes", "networks", "domainNames")


def _one_of(f: Fields, names: tuple[str, ...]) -> str:
    present = [n for n in names if f.has(n)]
    if len(present) != 1:
        raise f.error(None, MSG_EXACTLY_ONE.format(fields="/".join(names)))
    return present[0]


def _subject(f: Fields) -> AdminSubject:
    which = _one_of(f, ("namespaces", "pods"))
    if which == "namespaces":
        return AdminSubject(normalize_selector(f.map("namespaces")))
    pods = f.map("pods")
    return AdminSubject(
        normalize_selector(pods.map("namespaceSelector")),
        normalize_selector(pods.map("podSelector")),
    )


def _peer(f: Fields, egress: bool) -> AdminPeer:
    which = _one_of(f, PEER_FIELDS)
    if which in ("nodes", "networks", "domainNames") and not egress:
        raise f.error(which, MSG_EGRESS_ONLY.format(field=which))
    if which == "namespaces":
        return AdminPeer(namespace_selector=normalize_selector(f.map("namespaces")))
    if which == "pods":
        pods = f.map("pods")
        return AdminPeer(
            namespace_selector=normalize_selector(pods.map("namespaceSelector")),
            pod_selector=normalize_selector(pods.map("podSelector")),
        )
    if which == "nodes":
        return AdminPeer(node_selector=normalize_selector(f.map("nodes")))
    if which == "networks":
        return AdminPeer(networks=f.cidrs("networks"))
    return AdminPeer(domain_names=tuple(d.lower().rstrip(".") for d in f.strs("domainNames")))


def _range(f: Fields, protocol: Protocol) -> AdminPort:
    start = f.port_number("start")
    end = f.port_number("end")
    if start is None or end is None:
        raise f.error("start" if start is None else "end", "required field is missing")
    if end < start:
        raise f.error("end", MSG_RANGE.format(start=start, end=end))
    return AdminPort(protocol, start, end)


def _v1alpha1_port(f: Fields) -> AdminPort:
    which = _one_of(f, ("portNumber", "namedPort", "portRange"))
    if which == "namedPort":
        return AdminPort(name=f.req_str("namedPort"))
    sub = f.map(which)
    if which == "portRange":
        return _range(sub, sub.protocol())
    port = sub.port_number("port")
    if port is None:
        raise sub.error("port", "required field is missing")
    return AdminPort(sub.protocol(), port, port)


def _v1alpha2_protocol(f: Fields) -> AdminPort:
    which = _one_of(f, ("tcp", "udp", "sctp", "destinationNamedPort"))
    if which == "destinationNamedPort":
        return AdminPort(name=f.req_str("destinationNamedPort"))
    protocol = Protocol(which.upper())
    dest = f.map(which).map("destinationPort")
    if dest.has("range"):
        return _range(dest.map("range"), protocol)
    number = dest.port_number("number")
    if number is None:
        return AdminPort(protocol, 1, 65535)
    return AdminPort(protocol, number, number)


def _rule(f: Fields, kind: str, egress: bool) -> AdminRule:
    allowed = ACTIONS[kind]
    action = f.req_str("action")
    if action not in allowed:
        raise f.error("action", MSG_BAD_ACTION.format(got=action, allowed="/".join(allowed)))
    key = "to" if egress else "from"
    peers = tuple(_peer(p, egress) for p in f.maps(key))
    if not peers:
        raise f.error(key, MSG_NO_PEERS.format(key=key))
    ports: tuple[AdminPort, ...] | None = None
    if kind == "ClusterNetworkPolicy" and f.has("protocols"):
        ports = tuple(_v1alpha2_protocol(p) for p in f.maps("protocols"))
    elif kind != "ClusterNetworkPolicy" and f.has("ports"):
        ports = tuple(_v1alpha1_port(p) for p in f.maps("ports"))
    non_pod = any(p.node_selector or p.networks or p.domain_names for p in peers)
    if ports and non_pod and any(p.name for p in ports):
        raise f.error("ports", MSG_NAMED_NON_POD)
    return AdminRule(action=action, peers=peers, ports=ports, name=f.str("name", "") or "")


MSG_BANP_NAME = (
    "a BaselineAdminNetworkPolicy must be named default, got {got!r} (the CRD admits only "
    "one, validated by self.metadata.name == 'default')"
)


def check_banp_name(meta: Fields, name: str) -> None:
    """The BaselineAdminNetworkPolicy is a singleton: its CRD validates
    ``self.metadata.name == 'default'``
    (https://github.com/kubernetes-sigs/network-policy-api/blob/main/apis/v1alpha1/baselineadminnetworkpolicy_types.go,
    the ``+kubebuilder:validation:XValidation`` rule), so any other name is invalid input."""
    if name != "default":
        raise meta.error("name", MSG_BANP_NAME.format(got=name))


def normalize_admin_policy(raw: dict[str, Any], source: SourceRef) -> AdminPolicy:
    """Any of the three kinds (``raw["kind"]``) -> AdminPolicy (see the module docstring)."""
    top, meta, _, name = object_fields(raw, source)
    kind = str(raw.get("kind"))
    spec = top.map("spec")
    if kind == "BaselineAdminNetworkPolicy":
        check_banp_name(meta, name)
        tier, priority = "Baseline", BANP_PRIORITY
    else:
        tier = "Admin" if kind == "AdminNetworkPolicy" else spec.req_str("tier")
        if tier not in ("Admin", "Baseline"):
            raise spec.error("tier", MSG_BAD_TIER.format(got=tier))
        value = spec.int("priority")
        if value is None:
            raise spec.error("priority", "required field is missing")
        if not 0 <= value <= 1000:
            raise spec.error("priority", MSG_BAD_PRIORITY.format(got=value))
        priority = value
    if not spec.has("subject"):
        raise spec.error("subject", "required field is missing")
    subject = _subject(spec.map("subject"))
    return AdminPolicy(
        kind=kind,
        name=name,
        tier=tier,
        priority=priority,
        subject=subject,
        ingress=tuple(_rule(r, kind, egress=False) for r in spec.maps("ingress")),
        egress=tuple(_rule(r, kind, egress=True) for r in spec.maps("egress")),
        source=source,
    )
