"""Ingress (networking.k8s.io/v1): which rule of which Ingress serves a request.

https://kubernetes.io/docs/concepts/services-networking/ingress/

- Class (#ingress-class, #default-ingress-class): ``spec.ingressClassName``, else the legacy
  ``kubernetes.io/ingress.class`` annotation, else the one IngressClass annotated
  ``ingressclass.kubernetes.io/is-default-class: "true"`` (the admission controller sets it);
  with several defaults an Ingress without class is rejected; with none it is unclassed and
  served by no controller (podpath's assumption; some controllers can be told to take them).
- Ingresses of one class are merged into one configuration, as controllers do.
- Hosts (#hostname-wildcards): exact, or ``*.foo.com`` matching exactly one leading label;
  a rule without host applies to every host. Assumption (as ingress-nginx builds one server
  per host): the most specific host group serves -- exact host rules, else wildcard rules,
  else rules without host -- and its paths only.
- Paths (#path-types, #examples): Exact is case-sensitive equality; Prefix compares the
  ``/``-separated elements (trailing slash ignored); ImplementationSpecific is treated as
  Prefix (assumption: controllers differ). Precedence (#multiple-matches): the longest path
  (a Prefix path's trailing slash not counted), Exact before Prefix at equal length; on
  remaining ties (a conflict, reported) the oldest Ingress, then namespace/name, then order.
- No rule matches: the ``defaultBackend`` of the class's Ingresses (#default-backend), else
  the controller's own default backend: 404.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, replace
from datetime import datetime
from typing import TYPE_CHECKING

from podpath.engine.backends import outcome, service_port_backend
from podpath.engine.tls import check_certificate
from podpath.model.core import Note
from podpath.model.ingress import Ingress, IngressBackend, IngressClass, IngressPath
from podpath.model.routing import MatchRef, Request, RouteAnswer, TLSCheck, WeightedBackend

if TYPE_CHECKING:
    from podpath.cluster import Cluster

HOST_EXACT, HOST_WILDCARD, HOST_ANY = 2, 1, 0


def ingress_host_matches(rule_host: str | None, host: str) -> bool:
    """Ingress hostname matching: exact, single-label wildcard, or no host (every host)."""
    if rule_host is None:
        return True
    rule_host, host = rule_host.lower(), host.lower()
    if rule_host.startswith("*."):
        head, _, rest = host.partition(".")
        return bool(head) and rest == rule_host[2:]
    return rule_host == host


def host_group(rule_host: str | None) -> int:
    if rule_host is None:
        return HOST_ANY
    return HOST_WILDCARD if rule_host.startswith("*.") else HOST_EXACT


def _elements(path: str) -> list[str]:
    return [e for e in path.split("/") if e]


def ingress_path_matches(path_type: str, path: str, request_path: str) -> bool:
    """pathType Exact: equality (case-sensitive); Prefix (and ImplementationSpecific, an
    assumption): every element of ``path`` equals the request path's element at that place."""
    if path_type == "Exact":
        return request_path == path
    want = _elements(path)
    return _elements(request_path)[: len(want)] == want


def path_length(path_type: str, path: str) -> int:
    """The length compared by "longest matching path" (a Prefix trailing slash not counted)."""
    return len(path) if path_type == "Exact" else len(path.rstrip("/"))


@dataclass(frozen=True, slots=True)
class PathCandidate:
    ingress: Ingress
    rule: int
    index: int
    path: IngressPath
    host: str | None

    def key(self) -> tuple[int, int, str, str, int, int]:
        """Precedence: longer path, Exact first, then oldest Ingress, namespace/name, order."""
        p = self.path
        return (
            -path_length(p.path_type, p.path),
            0 if p.path_type == "Exact" else 1,
            self.ingress.creation_timestamp,
            self.ingress.key,
            self.rule,
            self.index,
        )


CLASS_NOT_FOUND = "ingress-class-not-found"
WITHOUT_CLASS = "ingress-without-class"


def ingress_class_of(ingress: Ingress, classes: tuple[IngressClass, ...]) -> tuple[str | None, str]:
    """The class that serves an Ingress, and why (see module docstring).

    ``spec.ingressClassName`` must name an existing IngressClass: a controller serves the
    Ingresses whose class is one of *its* IngressClasses (``spec.controller``), so an Ingress
    naming a class that does not exist is served by none -- "An Ingress with an invalid
    ingress class should not send traffic to the matching backend service"
    (kubernetes-sigs/ingress-controller-conformance, features/ingress_class.feature;
    https://kubernetes.io/docs/concepts/services-networking/ingress/#ingress-class).
    The deprecated annotation names the controller's ``--ingress-class`` flag instead, which
    needs no IngressClass object (ingress-nginx honours it without one).
    """
    if ingress.class_name:
        if any(c.name == ingress.class_name for c in classes):
            return ingress.class_name, "spec.ingressClassName"
        return None, missing_class_reason(ingress.class_name, classes)
    if ingress.class_annotation:
        return ingress.class_annotation, "annotation kubernetes.io/ingress.class (deprecated)"
    defaults = [c.name for c in classes if c.is_default]
    if len(defaults) == 1:
        return defaults[0], "default IngressClass"
    if defaults:
        return (
            None,
            f"several default IngressClasses ({', '.join(sorted(defaults))}): admission rejects it",
        )
    return None, "no ingressClassName and no default IngressClass: no controller serves it"


def missing_class_reason(name: str, classes: tuple[IngressClass, ...]) -> str:
    """Why an Ingress naming the absent IngressClass ``name`` is served by no controller."""
    if not classes:
        return (
            f"spec.ingressClassName {name}: the input holds no IngressClass, so no controller "
            f"serves it (add IngressClass {name} to the input if it is installed separately)"
        )
    known = ", ".join(sorted(c.name for c in classes))
    return (
        f"spec.ingressClassName {name}: no IngressClass {name} (known: {known}), "
        "so no controller serves it"
    )


def ingresses_by_class(cluster: Cluster) -> tuple[dict[str, tuple[Ingress, ...]], tuple[Note, ...]]:
    """Ingresses merged by class (oldest, then namespace/name first) and the unclassed ones."""
    classes: tuple[IngressClass, ...] = cluster.of_kind("IngressClass")
    out: dict[str, list[Ingress]] = defaultdict(list)
    notes = []
    for ing in cluster.of_kind("Ingress"):
        name, why = ingress_class_of(ing, classes)
        if name is None:
            code = CLASS_NOT_FOUND if ing.class_name else WITHOUT_CLASS
            notes.append(Note("warning", code, why, str(ing.ref), ing.source))
        else:
            out[name].append(ing)
    return {
        k: tuple(sorted(v, key=lambda i: (i.creation_timestamp, i.key)))
        for k, v in sorted(out.items())
    }, tuple(notes)


def _candidates(ingresses: tuple[Ingress, ...], host: str) -> list[PathCandidate]:
    found = [
        PathCandidate(ing, ri, pi, p, rule.host)
        for ing in ingresses
        for ri, rule in enumerate(ing.rules)
        if ingress_host_matches(rule.host, host)
        for pi, p in enumerate(rule.paths)
    ]
    if not found:
        return []
    best = max(host_group(c.host) for c in found)
    return [c for c in found if host_group(c.host) == best]


def serves_host(ingresses: tuple[Ingress, ...], host: str) -> bool:
    """Whether some rule of the class names the host (or none), or a defaultBackend exists."""
    return any(i.default_backend for i in ingresses) or any(
        ingress_host_matches(r.host, host) for i in ingresses for r in i.rules
    )


def unserved_for_host(cluster: Cluster, host: str) -> tuple[str, ...]:
    """Why the Ingresses that would serve ``host`` are served by no controller (no class, or
    a class that does not exist): one reason per Ingress, for a "nothing serves" answer."""
    _, unclassed = ingresses_by_class(cluster)
    by_ref = {str(i.ref): i for i in cluster.of_kind("Ingress")}
    out = []
    for note in unclassed:
        ing = by_ref.get(note.object)
        if ing is not None and serves_host((ing,), host):
            out.append(f"{note.object} would serve {host}, but {note.message}")
    return tuple(out)


def ingress_backend(cluster: Cluster, ingress: Ingress, backend: IngressBackend) -> WeightedBackend:
    """A Service backend resolved in the Ingress's namespace, or a resource backend."""
    if backend.is_resource:
        return WeightedBackend(1, resource=str(backend), reason="resource backend (not a Service)")
    return service_port_backend(
        cluster, ingress.namespace, backend.service_name or "", backend.service_port
    )


def ingress_tls(
    cluster: Cluster, ingresses: tuple[Ingress, ...], class_name: str, host: str, now: datetime
) -> TLSCheck:
    """The certificate the class presents for ``host``: the first tls entry listing it."""
    for ing in ingresses:
        for i, tls in enumerate(ing.tls):
            if any(ingress_host_matches(h, host) for h in tls.hosts):
                secret = f"{ing.namespace}/{tls.secret_name}" if tls.secret_name else None
                return check_certificate(cluster, host, secret, f"{ing.ref} tls[{i}]", now)
    return TLSCheck(
        host,
        None,
        f"IngressClass/{class_name}",
        problems=(
            f"no Ingress of class {class_name} lists {host} in spec.tls: "
            "the controller's default certificate is served",
        ),
    )


def _answer(
    cluster: Cluster,
    label: str,
    ing: Ingress,
    backend: IngressBackend,
    match: MatchRef,
    reasons: list[str],
    path: str,
) -> RouteAnswer:
    wb = ingress_backend(cluster, ing, backend)
    status, primary, why = outcome((wb,))
    if wb.resource is not None:
        status, primary = 200, wb
    if wb.reason:
        reasons.append(wb.reason)
    if why:
        reasons.append(why)
    return RouteAnswer(
        label,
        status,
        match,
        primary,
        (wb,),
        reasons=tuple(reasons),
        path=path if status == 200 else None,
    )


def route_ingress_class(
    cluster: Cluster,
    class_name: str,
    ingresses: tuple[Ingress, ...],
    request: Request,
    now: datetime,
) -> RouteAnswer:
    """Route ``request`` through the merged Ingresses of one class (see module docstring)."""
    label = f"IngressClass/{class_name}"
    tls = ingress_tls(cluster, ingresses, class_name, request.host, now) if request.tls else None
    reasons: list[str] = []
    cands = [
        c
        for c in _candidates(ingresses, request.host)
        if ingress_path_matches(c.path.path_type, c.path.path, request.path)
    ]
    if cands:
        cands.sort(key=PathCandidate.key)
        win = cands[0]
        host = win.host or "*"
        detail = f"host {host} path {win.path.path} ({win.path.path_type})"
        if win.path.path_type == "ImplementationSpecific":
            reasons.append("pathType ImplementationSpecific treated as Prefix (assumption)")
        ties = [c for c in cands[1:] if c.key()[:2] == win.key()[:2]]
        if ties:
            reasons.append(
                "conflict: also matched equally by "
                f"{', '.join(str(c.ingress.ref) for c in ties)}; oldest/first wins"
            )
        reasons.insert(0, f"{win.ingress.ref} rule {win.rule} path {win.index}: {detail}")
        match = MatchRef("Ingress", win.ingress.key, win.rule, win.index, detail)
        ans = _answer(cluster, label, win.ingress, win.path.backend, match, reasons, request.path)
    else:
        defaults = [i for i in ingresses if i.default_backend is not None]
        if defaults:
            ing = defaults[0]
            assert ing.default_backend is not None
            reasons.append(
                f"no rule matches {request.host}{request.path}: {ing.ref} spec.defaultBackend"
            )
            if len(defaults) > 1:
                reasons.append(
                    f"conflict: several defaultBackends in class {class_name}: "
                    f"{', '.join(str(i.ref) for i in defaults)}"
                )
            match = MatchRef("Ingress", ing.key, None, None, "defaultBackend")
            ans = _answer(cluster, label, ing, ing.default_backend, match, reasons, request.path)
        else:
            ans = RouteAnswer(
                label,
                404,
                reasons=(
                    f"no rule of class {class_name} matches {request.host}{request.path} "
                    "and no defaultBackend: the controller answers 404",
                ),
            )
    if tls is not None:
        ans = replace(ans, tls=tls)
    return ans


def ingress_conflicts(cluster: Cluster, skip: frozenset[str] = frozenset()) -> tuple[Note, ...]:
    """Host/path pairs defined by several Ingresses of one class, and several defaultBackends
    (classes in ``skip`` have their own rule: ingress-nginx's)."""
    by_class, _ = ingresses_by_class(cluster)
    notes = []
    for cls, ingresses in by_class.items():
        if cls in skip:
            continue
        seen: dict[tuple[str, str, str], list[str]] = defaultdict(list)
        for ing in ingresses:
            for rule in ing.rules:
                for p in rule.paths:
                    owners = seen[(rule.host or "*", p.path, p.path_type)]
                    if ing.key not in owners:
                        owners.append(ing.key)
        for (host, path, ptype), owners in sorted(seen.items()):
            if len(owners) > 1:
                notes.append(
                    Note(
                        "warning",
                        "ingress-conflict",
                        f"class {cls}: host {host} path {path} ({ptype}) is defined by "
                        f"{', '.join('Ingress/' + o for o in owners)}; "
                        f"Ingress/{owners[0]} wins (oldest, then namespace/name)",
                        f"Ingress/{owners[1]}",
                    )
                )
        defaults = [i.key for i in ingresses if i.default_backend is not None]
        if len(defaults) > 1:
            notes.append(
                Note(
                    "warning",
                    "ingress-default-backend-conflict",
                    f"class {cls}: several Ingresses set spec.defaultBackend "
                    f"({', '.join(defaults)}); {defaults[0]} wins",
                    f"Ingress/{defaults[1]}",
                )
            )
    return tuple(notes)


def ingress_tls_checks(cluster: Cluster, now: datetime) -> tuple[TLSCheck, ...]:
    """Every (Ingress tls entry, host): Secret exists, covers the host, not expired."""
    out = []
    for ing in cluster.of_kind("Ingress"):
        for i, tls in enumerate(ing.tls):
            secret = f"{ing.namespace}/{tls.secret_name}" if tls.secret_name else None
            for host in tls.hosts:
                out.append(check_certificate(cluster, host, secret, f"{ing.ref} tls[{i}]", now))
    return tuple(out)
