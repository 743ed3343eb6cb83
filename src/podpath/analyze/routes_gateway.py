"""The Gateway API part of the ``routes`` routing table and of ``route`` answers, as plain
JSON-ready data (docs/routing.md, docs/contract.md):

- :func:`gateway_rows`: one row per (listener, route rule) -- HTTPRoute/GRPCRoute matches,
  TLSRoute SNI, TCPRoute/UDPRoute ports -- through a Gateway's own listeners or a
  ListenerSet's (entry point ``Gateway/NS/NAME/LISTENER`` or
  ``Gateway/NS/NAME ListenerSet/NS/NAME/LISTENER``);
- :func:`listener_sets_json`: every ListenerSet's Accepted/Programmed and listener states;
- :func:`gateways_json`: every Gateway's own listener states, attachedRoutes and
  AttachedListenerSets;
- :func:`backend_tls_policies_json`: every BackendTLSPolicy's Accepted/ResolvedRefs;
- :func:`backend_tls_json`, :func:`response_headers_json`: the ``backend_tls`` and
  ``response_headers`` keys of a route answer.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from typing import Any

from podpath.cluster import Cluster
from podpath.engine.gateway_attach import Attachment, attachments, resolve_backend_ref
from podpath.engine.gateway_backend_tls import backend_tls_policy_statuses
from podpath.engine.gateway_listener_sets import listener_set_statuses
from podpath.engine.gateway_status import attached_routes, gateway_statuses
from podpath.model.gateway import BackendTLS, GRPCRouteMatch, HTTPRouteMatch
from podpath.model.gateway_status import ListenerState
from podpath.model.routing import WeightedBackend

Row = Callable[[str, str, str, str, int | None, list[WeightedBackend]], dict[str, Any]]


def entry_label(att: Attachment) -> str:
    """``Gateway/NS/NAME/LISTENER``, or ``Gateway/NS/NAME ListenerSet/NS/NAME/LISTENER``."""
    if att.owner.startswith("ListenerSet/"):
        return f"Gateway/{att.gateway.key} {att.owner}/{att.listener.name}"
    return f"Gateway/{att.gateway.key}/{att.listener.name}"


def _l4_label(att: Attachment) -> str:
    kind = att.route.kind
    if kind == "TLSRoute":
        mode = "passthrough" if att.listener.tls_mode == "Passthrough" else "terminate"
        return f"(sni, {mode})"
    return f"({kind[:3].lower()} {att.listener.port})"


def gateway_rows(
    cluster: Cluster, row: Row, match_text: Callable[[HTTPRouteMatch | GRPCRouteMatch], str]
) -> list[dict[str, Any]]:
    """The routing-table rows of every route attachment (module docstring); ``row`` builds
    one row as :mod:`podpath.analyze.routes` shapes it."""
    rows = []
    for att in attachments(cluster):
        route = att.route
        entry = entry_label(att) + ("" if att.programmed else " (not programmed)")
        host = ",".join(att.hostnames) or "*"
        for ri, rule in enumerate(route.rules):
            wbs = [resolve_backend_ref(cluster, route, b)[0] for b in rule.backend_refs]
            if route.kind in ("TLSRoute", "TCPRoute", "UDPRoute"):
                rows.append(row(entry, host, _l4_label(att), str(route.ref), ri, wbs))
                continue
            redirect = [f for f in rule.filters if f.type == "RequestRedirect"]
            cors = [f for f in rule.filters if f.type == "CORS"]
            for m in rule.matches:
                text = match_text(m) + (f" -> {redirect[0]}" if redirect else "")
                text += " +CORS" if cors else ""
                rows.append(row(entry, host, text, str(route.ref), ri, wbs))
    return rows


def _listener_json(ls: ListenerState, attached: int) -> dict[str, Any]:
    return {
        "name": ls.name,
        "port": ls.port,
        "protocol": ls.protocol,
        "hostname": ls.hostname,
        "accepted": ls.accepted,
        "programmed": ls.programmed,
        "reason": ls.reason,
        "conflicted": ls.conflicted,
        "resolved_refs": ls.resolved,
        "resolved_reason": ls.resolved_reason,
        "supported_kinds": list(ls.supported_kinds),
        "attached_routes": attached,
        "message": ls.message or None,
    }


def listener_sets_json(
    cluster: Cluster, counts: Counter[str] | None = None
) -> list[dict[str, Any]]:
    """Every ListenerSet: ``listener_set``, ``gateway``, ``accepted``, ``accepted_reason``,
    ``programmed``, ``programmed_reason``, ``message``, ``listeners`` (name, port, protocol,
    hostname, accepted, programmed, reason, conflicted, resolved_refs, resolved_reason,
    supported_kinds, attached_routes, message). ``counts``: :func:`attached_routes`, when the
    caller has it."""
    counts = attached_routes(cluster) if counts is None else counts
    return [
        {
            "listener_set": st.listener_set,
            "gateway": st.gateway or None,
            "accepted": st.accepted,
            "accepted_reason": st.accepted_reason,
            "programmed": st.programmed,
            "programmed_reason": st.programmed_reason,
            "message": st.message or None,
            "listeners": [
                _listener_json(ls, counts[f"ListenerSet/{st.listener_set}/{ls.name}"])
                for ls in st.listeners
            ],
        }
        for st in listener_set_statuses(cluster)
    ]


def gateways_json(cluster: Cluster, counts: Counter[str] | None = None) -> list[dict[str, Any]]:
    """Every Gateway (:mod:`podpath.engine.gateway_status`): ``gateway``,
    ``attached_listener_sets``, ``attached_listener_sets_condition`` (status, reason) and its
    own ``listeners`` (the keys of a ListenerSet's listeners)."""
    return [
        {
            "gateway": st.gateway,
            "attached_listener_sets": st.attached_listener_sets,
            "attached_listener_sets_condition": {
                "status": st.listener_sets_attached,
                "reason": st.listener_sets_reason,
            },
            "listeners": [
                _listener_json(ls, n)
                for ls, n in zip(st.listeners, st.attached_routes, strict=True)
            ],
        }
        for st in gateway_statuses(cluster, counts)
    ]


def backend_tls_policies_json(cluster: Cluster) -> list[dict[str, Any]]:
    """Every BackendTLSPolicy: ``policy``, ``targets``, ``accepted``, ``accepted_reason``,
    ``resolved_refs``, ``resolved_reason``, ``checked``, ``messages``."""
    return [
        {
            "policy": st.policy,
            "targets": list(st.targets),
            "accepted": st.accepted,
            "accepted_reason": st.accepted_reason,
            "resolved_refs": st.resolved_refs,
            "resolved_reason": st.resolved_reason,
            "checked": st.checked,
            "messages": list(st.messages),
        }
        for st in backend_tls_policy_statuses(cluster)
    ]


def backend_tls_json(t: BackendTLS | None) -> dict[str, Any] | None:
    """A route answer's ``backend_tls``: ``policy``, ``hostname`` (SNI and the name checked),
    ``ca``, ``subject_alt_names``, ``valid``, ``checked``, ``problems``."""
    if t is None:
        return None
    return {
        "policy": t.policy,
        "hostname": t.hostname,
        "ca": list(t.ca),
        "subject_alt_names": list(t.subject_alt_names),
        "valid": t.valid,
        "checked": t.checked,
        "problems": list(t.problems),
    }


def response_headers_json(headers: tuple[tuple[str, str], ...]) -> dict[str, str]:
    """A route answer's ``response_headers``: header name -> value, as the gateway adds
    them (CORS)."""
    return dict(headers)
