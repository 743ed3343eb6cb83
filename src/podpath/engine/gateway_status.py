"""A Gateway's status as its controller writes it, for the parts podpath models: its own
listeners' conditions, every listener's ``attachedRoutes``, ``attachedListenerSets`` and the
``AttachedListenerSets`` condition.

https://gateway-api.sigs.k8s.io/reference/spec/#gatewaystatus and #listenerstatus
(kubernetes-sigs/gateway-api apis/v1/gateway_types.go):

- ``attachedRoutes``: "the number of Routes with the Accepted condition set to True that have
  been attached to this Listener"; "Listener or Route status does not impact successful
  attachment", so a Conflicted or invalid listener counts its routes too.
- ``AttachedListenerSets`` (GEP-1713): True, ListenerSetsAttached, when at least one
  ListenerSet is attached (Accepted); else False, ListenerSetsNotAllowed when ListenerSets name
  the Gateway but it does not allow them, NoListenerSetsAttached otherwise.
  ``attachedListenerSets``: how many are attached (conformance
  GatewayMustHaveAttachedListeners, conformance/tests/listenerset-hostname-conflict.go).
- Not computed: the Gateway's own Accepted/Programmed conditions and addresses (they depend
  on the controller and its infrastructure; podpath reads ``status.addresses`` as given).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import TYPE_CHECKING

from podpath.engine.gateway_attach import parents, route_status, routes
from podpath.engine.gateway_listener_sets import gateway_listeners, listener_state
from podpath.model.gateway_status import ListenerState

if TYPE_CHECKING:
    from podpath.cluster import Cluster


@dataclass(frozen=True, slots=True)
class GatewayStatus:
    """``gateway`` (``NS/NAME``), its own ``listeners`` (in spec order), ``attached_routes``
    per listener name, ``attached_listener_sets`` and the AttachedListenerSets condition
    (``listener_sets_attached``, ``listener_sets_reason``)."""

    gateway: str
    listeners: tuple[ListenerState, ...]
    attached_routes: tuple[int, ...]
    attached_listener_sets: int
    listener_sets_attached: bool
    listener_sets_reason: str


def attached_routes(cluster: Cluster) -> Counter[str]:
    """Accepted routes per listener label (``NS/GATEWAY/LISTENER`` for a Gateway's own
    listener, ``ListenerSet/NS/NAME/LISTENER``), each route counted once per listener."""
    index = parents(cluster)
    counts: Counter[str] = Counter()
    for r in routes(cluster):
        seen: set[str] = set()
        for p in route_status(cluster, r, index).parents:
            if p.accepted:
                seen.update(p.listeners)
        counts.update(seen)
    return counts


def gateway_statuses(
    cluster: Cluster, counts: Counter[str] | None = None
) -> tuple[GatewayStatus, ...]:
    """The status of every Gateway of the input, sorted by ``NS/NAME`` (module docstring);
    ``counts``: :func:`attached_routes`, when the caller has it."""
    counts = attached_routes(cluster) if counts is None else counts
    out = []
    for gw in sorted(cluster.of_kind("Gateway"), key=lambda g: g.key):
        merged, sets = gateway_listeners(cluster, gw)
        own = [m for m in merged if m.owner.startswith("Gateway/")]
        attached = sum(s.accepted for s in sets)
        if attached:
            reason = "ListenerSetsAttached"
        elif any(s.accepted_reason == "NotAllowed" for s in sets):
            reason = "ListenerSetsNotAllowed"
        else:
            reason = "NoListenerSetsAttached"
        out.append(
            GatewayStatus(
                gw.key,
                tuple(listener_state(cluster, m) for m in own),
                tuple(counts[f"{gw.key}/{m.listener.name}"] for m in own),
                attached,
                attached > 0,
                reason,
            )
        )
    return tuple(out)
