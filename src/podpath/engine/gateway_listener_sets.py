"""ListenerSets (GEP-1713, Gateway API standard channel since v1.5): the listeners a Gateway
is programmed with, and the status of every ListenerSet.

https://gateway-api.sigs.k8s.io/geps/gep-1713/ and
https://gateway-api.sigs.k8s.io/reference/api-types/listenerset/; cases: the conformance
tests ListenerSet* (conformance/tests/listenerset-*.go).

- Handshake: a Gateway allows ListenerSets with ``spec.allowedListeners.namespaces.from``:
  None (the default: "By default a Gateway MUST NOT allow ListenerSets to be attached"),
  Same (the Gateway's namespace), All, or Selector (namespace labels). A ListenerSet not
  allowed is Accepted False, NotAllowed; one naming no Gateway of the input is never
  reconciled (Pending).
- Merging ("Listener Precedence"): the Gateway's own listeners, then each allowed
  ListenerSet's, ordered by creation time (oldest first), then ``{namespace}/{name}``, each
  set's listeners in list order. A ListenerSet listener indistinct from an earlier, not
  Conflicted listener is Conflicted; the first in precedence keeps serving ("the first
  Listener in the precedence list MUST be accepted"). Among the Gateway's own listeners the
  GatewaySpec rule stays: all indistinct ones are Conflicted.
- A ListenerSet is Accepted when at least one of its listeners is valid (not Conflicted,
  not invalid, references resolved); else Accepted and Programmed are False with
  ListenersNotValid, and none of its listeners serves (conformance
  ListenerSetHostnameConflict, ListenerSetReferenceGrant).
- Listener names need only be unique within one resource: a merged listener is identified by
  its owner (``Gateway/NS/NAME`` or ``ListenerSet/NS/NAME``) and name.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from podpath.engine.gateway_listeners import (
    conflicted_listeners,
    invalid_route_kinds,
    listener_kinds,
    listener_problem,
    listeners_conflict,
)
from podpath.engine.gateway_refs import certificate_ref_reason
from podpath.engine.selectors import selector_matches
from podpath.model.gateway import GATEWAY_GROUP, Gateway, Listener, ListenerSet
from podpath.model.gateway_status import ListenerSetStatus, ListenerState

if TYPE_CHECKING:
    from podpath.cluster import Cluster


@dataclass(frozen=True, slots=True)
class MergedListener:
    """A listener as its Gateway is programmed with it: its ``owner`` (the Gateway or a
    ListenerSet), and why it does not serve (``conflict``: "REASON: with ..."; ``problem``:
    (Accepted reason, Programmed reason, message))."""

    gateway: Gateway
    listener: Listener
    owner: str  # "Gateway/NS/NAME" | "ListenerSet/NS/NAME"
    conflict: str | None = None
    problem: tuple[str, str, str] | None = None

    @property
    def programmed(self) -> bool:
        return self.conflict is None and self.problem is None

    @property
    def namespace(self) -> str:
        """The owner's namespace (allowedRoutes ``Same``, ReferenceGrant ``from``)."""
        return self.owner.split("/")[1]

    @property
    def label(self) -> str:
        return f"{self.owner}/{self.listener.name}"

    @property
    def why_not(self) -> str:
        """Why the listener does not serve ("" when it does)."""
        if self.conflict is not None:
            return f"{self.label} is Conflicted ({self.conflict})"
        if self.problem is not None:
            return f"{self.label} is not programmed ({self.problem[1]}): {self.problem[2]}"
        return ""


def listener_set_allowed(cluster: Cluster, gateway: Gateway, ls: ListenerSet) -> bool:
    """``AllowedListeners``: from None (default), Same, All, or Selector on the ListenerSet's
    namespace labels."""
    how = gateway.allowed_listeners_from
    if how == "All":
        return True
    if how == "Same":
        return ls.namespace == gateway.namespace
    if how == "Selector":
        ns = cluster.namespace_by_name.get(ls.namespace)
        sel = gateway.allowed_listeners_selector
        return ns is not None and sel is not None and selector_matches(sel, ns.labels)
    return False


def names_gateway(ls: ListenerSet) -> str | None:
    """``NS/NAME`` of the Gateway the ListenerSet's parentRef names (None: not a Gateway)."""
    p = ls.parent
    if p.kind != "Gateway" or p.group != GATEWAY_GROUP:
        return None
    return f"{p.namespace}/{p.name}"


def listener_sets_of(cluster: Cluster, gateway: Gateway) -> list[ListenerSet]:
    """The ListenerSets whose parentRef is the Gateway, in precedence order."""
    sets: tuple[ListenerSet, ...] = cluster.of_kind("ListenerSet")
    mine = [ls for ls in sets if names_gateway(ls) == gateway.key]
    return sorted(mine, key=lambda ls: (ls.creation_timestamp, ls.key))


def _own(gateway: Gateway) -> list[MergedListener]:
    conflicts = conflicted_listeners(gateway)
    owner = f"Gateway/{gateway.key}"
    return [
        MergedListener(
            gateway,
            lis,
            owner,
            conflicts.get(lis.name),
            None if lis.name in conflicts else listener_problem(lis),
        )
        for lis in gateway.listeners
    ]


def _set_entries(
    gateway: Gateway, ls: ListenerSet, earlier: list[MergedListener]
) -> list[MergedListener]:
    """A ListenerSet's listeners with their conflicts and problems: each is Conflicted when
    indistinct from an earlier, not Conflicted listener of the merged list -- the Gateway's,
    an older ListenerSet's, or one before it in its own set (conformance
    ListenerSetProtocolConflict: a TCP listener after HTTP ones on its port is the one
    Conflicted)."""
    owner = f"ListenerSet/{ls.key}"
    out: list[MergedListener] = []
    for lis in ls.listeners:
        conflict = None
        for m in (*earlier, *out):
            reason = m.conflict is None and listeners_conflict(m.listener, lis)
            if reason:
                conflict = f"{reason}: with {m.label}"
                break
        problem = None if conflict else listener_problem(lis)
        out.append(MergedListener(gateway, lis, owner, conflict, problem))
    return out


def listener_state(cluster: Cluster, m: MergedListener) -> ListenerState:
    """The conditions of one merged listener (ListenerStatus / ListenerEntryStatus)."""
    lis = m.listener
    cert = certificate_ref_reason(cluster, lis, m.owner)
    bad_kinds = invalid_route_kinds(lis)
    resolved = (cert[0] if cert else "InvalidRouteKinds") if cert or bad_kinds else ""
    message = (
        m.why_not
        or (cert[1] if cert else "")
        or (
            f"route kinds not supported: {', '.join(k.kind for k in bad_kinds)}"
            if bad_kinds
            else ""
        )
    )
    conflict = m.conflict.split(":")[0] if m.conflict else None
    accepted_reason = conflict or (m.problem[0] if m.problem else "Accepted")
    return ListenerState(
        name=lis.name,
        protocol=lis.protocol,
        port=lis.port,
        hostname=lis.hostname,
        accepted=m.programmed,
        programmed=m.programmed and cert is None,
        reason=accepted_reason,
        conflicted=conflict,
        resolved=not resolved,
        resolved_reason=resolved or "ResolvedRefs",
        supported_kinds=tuple(k.kind for k in listener_kinds(lis)),
        message=message,
    )


def gateway_listeners(
    cluster: Cluster, gateway: Gateway
) -> tuple[tuple[MergedListener, ...], tuple[ListenerSetStatus, ...]]:
    """The Gateway's merged listeners in precedence order (its own, then those of every
    Accepted ListenerSet, Conflicted ones included: routes may attach to them), and the
    status of every ListenerSet naming it (module docstring)."""
    merged = _own(gateway)
    statuses = []
    for ls in listener_sets_of(cluster, gateway):
        if not listener_set_allowed(cluster, gateway, ls):
            statuses.append(_not_allowed(gateway, ls))
            continue
        entries = _set_entries(gateway, ls, merged)
        states = tuple(listener_state(cluster, m) for m in entries)
        valid = [s for s in states if s.programmed]
        if valid:
            merged.extend(entries)
            ok = len(valid) == len(states)
            statuses.append(
                ListenerSetStatus(
                    ls.key,
                    gateway.key,
                    True,
                    "Accepted" if ok else "ListenersNotValid",
                    True,
                    "Programmed",
                    ""
                    if ok
                    else f"{len(states) - len(valid)} of {len(states)} listeners not valid",
                    states,
                )
            )
        else:
            statuses.append(
                ListenerSetStatus(
                    ls.key,
                    gateway.key,
                    False,
                    "ListenersNotValid",
                    False,
                    "ListenersNotValid",
                    "no listener of the ListenerSet is valid",
                    states,
                )
            )
    return tuple(merged), tuple(statuses)


def _not_allowed(gateway: Gateway, ls: ListenerSet) -> ListenerSetStatus:
    how = gateway.allowed_listeners_from
    why = (
        f"Gateway {gateway.key} allows no ListenerSets (spec.allowedListeners.namespaces.from: "
        f"{how})"
        if how == "None"
        else f"Gateway {gateway.key} does not allow ListenerSets from namespace {ls.namespace} "
        f"(spec.allowedListeners.namespaces.from: {how})"
    )
    return ListenerSetStatus(ls.key, gateway.key, False, "NotAllowed", False, "NotAllowed", why)


def listener_set_statuses(cluster: Cluster) -> tuple[ListenerSetStatus, ...]:
    """The status of every ListenerSet of the input, sorted by ``NS/NAME``; one whose parent
    is not a Gateway of the input stays Pending (no controller reconciles it)."""
    gateways = {g.key: g for g in cluster.of_kind("Gateway")}
    out: dict[str, ListenerSetStatus] = {}
    for gw in gateways.values():
        for st in gateway_listeners(cluster, gw)[1]:
            out[st.listener_set] = st
    sets: tuple[ListenerSet, ...] = cluster.of_kind("ListenerSet")
    for ls in sets:
        if ls.key not in out:
            target = names_gateway(ls)
            why = (
                f"parentRef {ls.parent} is not a Gateway"
                if target is None
                else f"parent Gateway {target} is not in the input"
            )
            out[ls.key] = ListenerSetStatus(
                ls.key,
                target or "",
                False,
                "Pending",
                False,
                "Pending",
                f"{why}: no controller reconciles this ListenerSet",
            )
    return tuple(out[k] for k in sorted(out))
