"""Raw NetworkPolicies -> model, with the API server's defaults and validation.

https://kubernetes.io/docs/reference/kubernetes-api/policy-resources/network-policy-v1/

- ``policyTypes`` absent or empty: ``["Ingress"]``, plus ``"Egress"`` when the policy has egress
  rules (the API server's ``SetDefaults_NetworkPolicy`` tests ``len(policyTypes) == 0``, so an
  explicit ``policyTypes: []`` is defaulted too, never "isolates nothing").
- A port's ``protocol`` defaults to TCP; ``endPort`` requires a numeric ``port`` and must be
  ``>= port``.
- ``ipBlock.except`` entries must be strict subsets of ``cidr`` (inside it, with a longer
  prefix: ``ValidateIPBlock``); a peer has either ipBlock or selectors.
"""

from __future__ import annotations

import ipaddress
from typing import Any

from podpath.model.core import SourceRef
from podpath.model.policy import (
    Direction,
    IPBlock,
    NetworkPolicy,
    PolicyPeer,
    PolicyPort,
    PolicyRule,
)
from podpath.normalize.core import normalize_selector
from podpath.normalize.fields import Fields, object_fields

MSG_END_PORT_WITHOUT_PORT = "endPort requires a numeric port"
MSG_END_PORT_NAMED = "endPort cannot be used with a named port"
MSG_END_PORT_BELOW = "endPort {end} is below port {port}"
MSG_EXCEPT_OUTSIDE = "except {ex} is not a strict subset of cidr {cidr}"
MSG_PEER_MIXED = "ipBlock cannot be combined with podSelector or namespaceSelector"
MSG_PEER_EMPTY = "a peer needs podSelector, namespaceSelector or ipBlock"
MSG_BAD_POLICY_TYPE = "unknown policy type {got!r} (Ingress or Egress)"


def _policy_port(p: Fields) -> PolicyPort:
    port = p.int_or_string("port")
    end = p.port_number("endPort")
    if end is not None:
        if port is None:
            raise p.error("endPort", MSG_END_PORT_WITHOUT_PORT)
        if isinstance(port, str):
            raise p.error("endPort", MSG_END_PORT_NAMED)
        if end < port:
            raise p.error("endPort", MSG_END_PORT_BELOW.format(end=end, port=port))
    return PolicyPort(protocol=p.protocol(), port=port, end_port=end)


def _ip_block(b: Fields) -> IPBlock:
    cidr = b.cidr("cidr") if b.has("cidr") else None
    if cidr is None:
        raise b.error("cidr", "required field is missing")
    net = ipaddress.ip_network(cidr)
    excepts = b.cidrs("except")
    for i, ex in enumerate(excepts):
        sub = ipaddress.ip_network(ex)
        if (
            sub.version != net.version
            or not sub.subnet_of(net)  # type: ignore[arg-type,unused-ignore]
            or sub.prefixlen <= net.prefixlen
        ):
            raise b.error(f"except[{i}]", MSG_EXCEPT_OUTSIDE.format(ex=ex, cidr=cidr))
    return IPBlock(cidr, excepts)


def _peer(p: Fields) -> PolicyPeer:
    pod = p.maybe_map("podSelector")
    ns = p.maybe_map("namespaceSelector")
    block = p.maybe_map("ipBlock")
    if block is not None and (pod is not None or ns is not None):
        raise p.error(None, MSG_PEER_MIXED)
    if block is None and pod is None and ns is None:
        raise p.error(None, MSG_PEER_EMPTY)
    return PolicyPeer(
        pod_selector=normalize_selector(pod) if pod is not None else None,
        namespace_selector=normalize_selector(ns) if ns is not None else None,
        ip_block=_ip_block(block) if block is not None else None,
    )


def _rule(r: Fields, peers_key: str) -> PolicyRule:
    return PolicyRule(
        peers=tuple(_peer(p) for p in r.maps(peers_key)),
        ports=tuple(_policy_port(p) for p in r.maps("ports")),
    )


def normalize_network_policy(raw: dict[str, Any], source: SourceRef) -> NetworkPolicy:
    top, _, ns, name = object_fields(raw, source)
    spec = top.map("spec")
    ingress = tuple(_rule(r, "from") for r in spec.maps("ingress"))
    egress = tuple(_rule(r, "to") for r in spec.maps("egress"))
    if spec.get("policyTypes"):  # absent, null or [] -> defaulted (SetDefaults_NetworkPolicy)
        types = []
        for i, t in enumerate(spec.strs("policyTypes")):
            try:
                types.append(Direction(t))
            except ValueError:
                raise spec.error(f"policyTypes[{i}]", MSG_BAD_POLICY_TYPE.format(got=t)) from None
        policy_types = tuple(sorted(set(types), key=lambda d: d.value != "Ingress"))
    else:
        policy_types = (Direction.INGRESS, Direction.EGRESS) if egress else (Direction.INGRESS,)
    return NetworkPolicy(
        namespace=ns or "default",
        name=name,
        pod_selector=normalize_selector(spec.map("podSelector")),
        policy_types=policy_types,
        ingress=ingress,
        egress=egress,
        source=source,
    )
