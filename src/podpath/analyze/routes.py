"""``route`` answers and the ``routes`` routing table as plain, JSON-ready data.

- :func:`route_json` is ``route --format json``: ``{"url": ..., "answers": [...]}`` whether one
  entry point answers or several; :func:`answer_json` one answer (``entry_point``, ``status``,
  ``backend``, ``backends``, ``endpoints``, ``path`` as the backend receives it, ``location`` of
  a redirect, ``canary``, ``match``, ``tls``, ``filters``, ``backend_tls``,
  ``response_headers``, ``why``, ``not_modelled``) -- the contract of docs/contract.md.
- :func:`routing_table` is every entry point's host and match -> backend Service:port ->
  endpoints, plus every route's status, Gateways (own listeners, attachedRoutes,
  attachedListenerSets), ListenerSets, BackendTLSPolicies and the routing notes (conflicts,
  unclassed Ingresses); ``report`` and ``diff`` reuse it (the Gateway API
  parts: :mod:`podpath.analyze.routes_gateway`).
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from podpath.analyze.routes_gateway import (
    backend_tls_json,
    backend_tls_policies_json,
    gateway_rows,
    gateways_json,
    listener_sets_json,
    response_headers_json,
)
from podpath.cluster import Cluster
from podpath.engine.gateway_attach import parents, route_status, routes
from podpath.engine.gateway_listeners import listener_conflict_notes
from podpath.engine.ingress import ingress_backend, ingresses_by_class
from podpath.engine.ingress_nginx import is_ingress_nginx, routing_conflicts
from podpath.engine.tls import tls_state
from podpath.model.gateway import GRPCRouteMatch, HTTPRouteMatch, RouteFilter
from podpath.model.routing import RouteAnswer, TLSCheck, WeightedBackend


def backend_json(b: WeightedBackend) -> dict[str, Any]:
    """A weighted outcome: ``{"service", "port", "weight"}``, or ``{"status": 500, "weight"}``
    for an invalid backend (a 503 keeps its service and port)."""
    if b.resource is not None:
        return {"resource": b.resource, "weight": b.weight}
    if b.status == 500:
        return {"status": 500, "weight": b.weight}
    out: dict[str, Any] = {"service": b.service, "port": b.port, "weight": b.weight}
    if b.status is not None:
        out["status"] = b.status
    if b.canary:
        out["canary"] = True
    if b.via:
        out["via"] = b.via
    return out


def _filter_json(f: RouteFilter) -> dict[str, Any]:
    return {"type": f.type, "settings": dict(f.settings)}


def _tls_json(t: TLSCheck) -> dict[str, Any]:
    return {
        "host": t.host,
        "secret": t.secret,
        "source": t.source,
        "found": t.found,
        "checked": t.checked,
        "covers_host": t.covers_host,
        "not_after": t.not_after or None,
        "expired": t.expired,
        "problems": list(t.problems),
        "state": tls_state(t),
    }


def answer_json(a: RouteAnswer) -> dict[str, Any]:
    """One answer in docs/contract.md's shape (module docstring)."""
    backend: dict[str, Any] | None = None
    if a.backend is not None:
        if a.backend.resource is not None:
            backend = {"resource": a.backend.resource}
        else:
            backend = {"service": a.backend.service, "port": a.backend.port}
    return {
        "entry_point": a.entry_point or None,
        "status": a.status,
        "backend": backend,
        "backends": [backend_json(b) for b in a.backends],
        "endpoints": list(a.endpoints),
        "path": a.path,
        "location": a.location,
        "canary": a.canary,
        "match": None
        if a.match is None
        else {
            "kind": a.match.kind,
            "object": a.match.object,
            "rule": a.match.rule,
            "detail": a.match.detail,
        },
        "tls": _tls_json(a.tls) if a.tls else None,
        "filters": [_filter_json(f) for f in a.filters],
        "backend_tls": backend_tls_json(a.backend_tls),
        "response_headers": response_headers_json(a.response_headers),
        "why": list(a.reasons),
        "not_modelled": list(a.notes),
    }


def route_json(url: str, answers: tuple[RouteAnswer, ...]) -> dict[str, Any]:
    """``{"url": URL, "answers": [...]}``: always a list, one answer per entry point (one
    when asked for a single entry point, or when nothing serves the host)."""
    return {"url": url, "answers": [answer_json(a) for a in answers]}


def _match_text(m: HTTPRouteMatch | GRPCRouteMatch) -> str:
    if isinstance(m, GRPCRouteMatch):
        text = f"grpc {m.service or '*'}/{m.method or '*'}"
        return text + "".join(f" {h.name}={h.value}" for h in m.headers)
    text = f"{m.path.value} ({m.path.type})"
    if m.method:
        text = f"{m.method} {text}"
    text += "".join(f" {h.name}:{h.value}" for h in m.headers)
    text += "".join(f" ?{q.name}={q.value}" for q in m.query_params)
    return text


def _row(
    entry: str, host: str, match: str, obj: str, rule: int | None, backends: list[WeightedBackend]
) -> dict[str, Any]:
    return {
        "entry_point": entry,
        "host": host,
        "match": match,
        "object": obj,
        "rule": rule,
        "backends": [
            {
                "service": b.service,
                "port": b.port,
                "resource": b.resource,
                "weight": b.weight,
                "status": b.status,
                "endpoints": list(b.endpoints),
                "reason": b.reason or None,
            }
            for b in backends
        ],
    }


def _ingress_rows(cluster: Cluster) -> list[dict[str, Any]]:
    rows = []
    by_class, _ = ingresses_by_class(cluster)
    for cls, ingresses in by_class.items():
        entry = f"IngressClass/{cls}"
        nginx = is_ingress_nginx(cluster, cls)
        for ing in ingresses:
            canary = " [canary]" if nginx and ing.nginx.canary else ""
            for ri, rule in enumerate(ing.rules):
                for p in rule.paths:
                    wb = ingress_backend(cluster, ing, p.backend)
                    match = f"{p.path} ({p.path_type}){canary}"
                    rows.append(_row(entry, rule.host or "*", match, str(ing.ref), ri, [wb]))
            if ing.default_backend is not None:
                wb = ingress_backend(cluster, ing, ing.default_backend)
                rows.append(_row(entry, "*", "(defaultBackend)", str(ing.ref), None, [wb]))
    return rows


def routing_table(cluster: Cluster) -> dict[str, Any]:
    """The routing table, route statuses and routing notes (module docstring)."""
    _, unclassed = ingresses_by_class(cluster)
    notes = [*unclassed, *routing_conflicts(cluster), *listener_conflict_notes(cluster)]
    statuses = []
    index = parents(cluster)
    per_route = [route_status(cluster, r, index) for r in routes(cluster)]
    for st in per_route:
        for p in st.parents:
            statuses.append(
                {
                    "route": st.route,
                    "parent": p.parent,
                    "accepted": p.accepted,
                    "accepted_reason": p.accepted_reason,
                    "resolved_refs": p.resolved_refs,
                    "resolved_reason": p.resolved_reason,
                    "listeners": list(p.listeners),
                    "messages": list(p.messages),
                    "modelled": p.modelled,
                }
            )
    counts: Counter[str] = Counter()  # accepted routes per listener (attachedRoutes)
    for st in per_route:
        counts.update({label for p in st.parents if p.accepted for label in p.listeners})
    return {
        "routes": _ingress_rows(cluster) + gateway_rows(cluster, _row, _match_text),
        "route_status": statuses,
        "gateways": gateways_json(cluster, counts),
        "listener_sets": listener_sets_json(cluster, counts),
        "backend_tls_policies": backend_tls_policies_json(cluster),
        "notes": [
            {"severity": n.severity, "code": n.code, "object": n.object, "message": n.message}
            for n in notes
        ],
    }
