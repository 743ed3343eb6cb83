"""ingress-nginx (IngressClass controller ``k8s.io/ingress-nginx``): servers, locations and
which location a request matches -- the NGINX configuration the controller writes.

Sources: the user guide's "Ingress Path Matching"
(https://kubernetes.github.io/ingress-nginx/user-guide/ingress-path-matching/) and
"Annotations" (use-regex, rewrite-target), and the controller's own code it describes
(internal/ingress/controller: createServers, getBackendServers, updateServerLocations,
template buildLocation), checked against its e2e tests (test/e2e/annotations/rewrite.go).

- Ingresses are ordered oldest first, then by ``namespace/name`` *descending* (store
  ``sortIngressSlice``); canary Ingresses make no locations.
- One server per host: the exact host, else a ``*.`` wildcard host (one label), else the
  default server ``_`` (rules without host). Every server has a root location ``/`` served by
  the ``spec.defaultBackend`` of the Ingress that created the server, else the controller's
  default backend (404); an Ingress path ``/`` replaces it.
- Locations of a server come from every Ingress with rules for its host; the first Ingress
  defining a path with a pathType wins. They are sorted longest path first.
- Regex mode: when ``use-regex`` or ``rewrite-target`` is set on any location of the server
  (any Ingress of the host), *every* location is ``location ~* "^PATH"``: a case-insensitive
  regular expression anchored at the start only, and the first match in order wins -- so the
  longest path string wins, whatever its pathType (Exact is then a prefix too).
- Otherwise: Exact is ``location = PATH``; a Prefix path ``/foo`` becomes ``location /foo/`` plus
  ``location = /foo`` (no exact copy when an Exact ``/foo`` exists); ImplementationSpecific is an
  NGINX prefix string (``/foo`` matches ``/foobar``). NGINX takes an exact match, else the
  longest prefix string (case-sensitive). A request ``/foo`` to a location ``/foo/`` without an
  exact ``/foo`` is answered 301 to ``/foo/`` (NGINX's proxy_pass prefix rule, "location").
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING
from urllib.parse import unquote

from podpath.engine.ingress import ingress_conflicts, ingress_host_matches, ingresses_by_class
from podpath.model.core import Note
from podpath.model.ingress import NO_NGINX_ANNOTATIONS, Ingress, IngressBackend, NginxAnnotations

if TYPE_CHECKING:
    from podpath.cluster import Cluster

INGRESS_NGINX = "k8s.io/ingress-nginx"
DEFAULT_SERVER = "_"


def is_ingress_nginx(cluster: Cluster, class_name: str) -> bool:
    """Whether the IngressClass's ``spec.controller`` is ingress-nginx's."""
    return any(
        c.name == class_name and c.controller == INGRESS_NGINX
        for c in cluster.of_kind("IngressClass")
    )


def nginx_order(ingresses: tuple[Ingress, ...]) -> tuple[Ingress, ...]:
    """ingress-nginx's order: creationTimestamp ascending, ties by namespace/name descending.
    An Ingress without a timestamp (a manifest not yet applied) counts as the newest."""
    by_name = sorted(ingresses, key=lambda i: i.key, reverse=True)
    return tuple(sorted(by_name, key=lambda i: (not i.creation_timestamp, i.creation_timestamp)))


@dataclass(frozen=True, slots=True)
class Location:
    """One NGINX location of a server. ``ingress`` None: no Ingress created the server;
    ``backend`` None: the default backend; ``exact``: ``location = PATH``; ``ingress_path``
    the path as the Ingress wrote it."""

    path: str
    path_type: str
    ingress: Ingress | None = None
    rule: int | None = None
    index: int | None = None
    backend: IngressBackend | None = None
    exact: bool = False
    ingress_path: str = ""
    default: bool = False

    @property
    def nginx(self) -> NginxAnnotations:
        return self.ingress.nginx if self.ingress is not None else NO_NGINX_ANNOTATIONS

    @property
    def rewrites(self) -> bool:
        """``needsRewrite``: a rewrite-target that differs from the path."""
        target = self.nginx.rewrite_target
        return bool(target) and target != self.path

    def __str__(self) -> str:
        return f"location {'= ' if self.exact else ''}{self.path}"


@dataclass(frozen=True, slots=True)
class Server:
    name: str  # the host, a "*." wildcard host, or "_"
    locations: tuple[Location, ...]
    regex: bool
    conflicts: tuple[tuple[str, str], ...] = ()  # (the Ingress ignored, why)


def rule_hosts(ingresses: tuple[Ingress, ...]) -> frozenset[str]:
    """The hosts the Ingresses' rules name, lower-case: one server each."""
    return frozenset(r.host.lower() for i in ingresses for r in i.rules if r.host)


def server_name(
    ingresses: tuple[Ingress, ...], host: str, hosts: frozenset[str] | None = None
) -> str:
    """The server a Host reaches: exact host rule, else a matching wildcard, else ``_``
    (``hosts``: :func:`rule_hosts` of ``ingresses``, when already known)."""
    hosts = rule_hosts(ingresses) if hosts is None else hosts
    if host.lower() in hosts:
        return host.lower()
    wild = sorted(h for h in hosts if h.startswith("*.") and ingress_host_matches(h, host))
    return wild[0] if wild else DEFAULT_SERVER


def _rule_server(host: str | None) -> str:
    return host.lower() if host else DEFAULT_SERVER


def _root(ordered: tuple[Ingress, ...], name: str) -> Location:
    """The root location: the creating Ingress's defaultBackend, else the default backend;
    for ``_``, an Ingress with a defaultBackend and no rules (the catch-all)."""
    if name == DEFAULT_SERVER:
        catch_all = next((i for i in ordered if i.default_backend and not i.rules), None)
        backend = catch_all.default_backend if catch_all else None
        return Location("/", "Prefix", catch_all, None, None, backend, default=True)
    creator = next((i for i in ordered if any(_rule_server(r.host) == name for r in i.rules)), None)
    backend = creator.default_backend if creator else None
    if backend is not None and backend.is_resource:
        backend = None
    return Location("/", "Prefix", creator, None, None, backend, default=True)


def _expand(locations: list[Location]) -> tuple[Location, ...]:
    """``updateServerLocations``: a Prefix path without rewrite or use-regex becomes
    ``PATH/`` plus an exact ``PATH`` (unless an Exact location has that path)."""
    exacts = {loc.path for loc in locations if loc.path_type == "Exact"}
    out: list[Location] = []
    for loc in locations:
        if loc.path == "/" or loc.path_type != "Prefix" or loc.rewrites or loc.nginx.use_regex:
            out.append(replace(loc, exact=loc.path_type == "Exact"))
            continue
        prefix = loc.path if loc.path.endswith("/") else loc.path + "/"
        out.append(replace(loc, path=prefix))
        if loc.path not in exacts:
            out.append(replace(loc, exact=True))
    return tuple(out)


def build_server(ingresses: tuple[Ingress, ...], name: str) -> Server:
    """The server ``name`` as ingress-nginx configures it (module docstring)."""
    ordered = nginx_order(tuple(i for i in ingresses if not i.nginx.canary))
    locations = [_root(ordered, name)]
    conflicts = []
    for ing in ordered:
        for ri, rule in enumerate(ing.rules):
            if _rule_server(rule.host) != name:
                continue
            for pi, p in enumerate(rule.paths):
                if p.backend.is_resource:
                    continue  # "skip non-service backends"
                loc = Location(p.path, p.path_type, ing, ri, pi, p.backend, ingress_path=p.path)
                same = next((x for x in locations if x.path == p.path), None)
                if same is not None and same.default and p.path == "/":
                    locations[locations.index(same)] = loc
                elif same is not None and same.path_type == p.path_type:
                    first = same.ingress.ref if same.ingress else "the default backend"
                    conflicts.append(
                        (
                            str(ing.ref),
                            f"server {name}: path {p.path} ({p.path_type}) of {ing.ref} is "
                            f"ignored: {first} defines it first (oldest, then namespace/name "
                            "descending)",
                        )
                    )
                else:
                    locations.append(loc)
    locations.sort(key=lambda x: x.path, reverse=True)
    locations.sort(key=lambda x: len(x.path), reverse=True)
    regex = any(loc.rewrites or loc.nginx.use_regex for loc in locations)
    return Server(name, _expand(locations), regex, tuple(conflicts))


def nginx_uri(path: str) -> str:
    """The URI NGINX matches locations against: percent-decoded, adjacent slashes merged."""
    return re.sub("/{2,}", "/", unquote(path)) or "/"


def regex_location_matches(path: str, uri: str) -> bool:
    """``location ~* "^PATH"``: case-insensitive, anchored at the start only (an invalid
    expression never matches: NGINX would refuse the configuration)."""
    try:
        return re.match(path, uri, re.IGNORECASE) is not None
    except re.error:
        return False


@dataclass(frozen=True, slots=True)
class LocationMatch:
    location: Location | None
    slash_redirect: str | None = None  # the path NGINX redirects to (301) with a slash added
    how: str = ""


def match_location(server: Server, uri: str) -> LocationMatch:
    """The location NGINX picks for ``uri`` (module docstring)."""
    if server.regex:
        for loc in server.locations:
            if regex_location_matches(loc.path, uri):
                return LocationMatch(
                    loc, how=f'location ~* "^{loc.path}" (regex mode: first match)'
                )
        return LocationMatch(None, how="no regex location matches")
    exact = next((loc for loc in server.locations if loc.exact and loc.path == uri), None)
    if exact is not None:
        return LocationMatch(exact, how=f"location = {exact.path} (exact match)")
    prefixes = [loc for loc in server.locations if not loc.exact]
    if any(loc.path == uri + "/" for loc in prefixes):
        return LocationMatch(None, uri + "/", f"location {uri}/ without an exact {uri}")
    best = max(
        (loc for loc in prefixes if uri.startswith(loc.path)),
        key=lambda loc: len(loc.path),
        default=None,
    )
    if best is None:
        return LocationMatch(None, how="no location matches")
    return LocationMatch(best, how=f"location {best.path} (longest prefix)")


def rewritten_uri(location: Location, uri: str) -> str:
    """``rewrite "(?i)PATH" TARGET break``: the whole URI becomes TARGET with ``$N`` replaced
    by the capture groups (unmatched groups empty); unchanged when the expression does not
    match."""
    target = location.nginx.rewrite_target
    try:
        m = re.search(location.path, uri, re.IGNORECASE)
    except re.error:
        return uri
    if m is None:
        return uri

    def group(g: re.Match[str]) -> str:
        n = int(g.group(1))
        return (m.group(n) or "") if n <= (m.re.groups or 0) else ""

    return re.sub(r"\$(\d)", group, target)


UpstreamKey = tuple[str, str, int | str | None]


Canaries = dict[UpstreamKey, tuple[Ingress, IngressBackend]]


class NginxServers:
    """The configuration of one ingress-nginx class for many requests: its Ingresses in
    ingress-nginx's order, each server built the first time a request reaches it, and the
    canaries, built once. It belongs to one routing context
    (:class:`podpath.engine.routing_context.RoutingContext`, made for one cluster), never to
    the module: a memo, not global state; what it returns is what :func:`build_server` and
    :func:`canaries` return for the same Ingresses."""

    def __init__(self, ingresses: tuple[Ingress, ...]) -> None:
        self.ordered = nginx_order(ingresses)
        self.hosts = rule_hosts(ingresses)
        self._servers: dict[str, Server] = {}
        self._canaries: Canaries | None = None

    def server_for(self, host: str) -> Server:
        """The server a request's Host reaches (:func:`server_name`)."""
        return self.server(server_name(self.ordered, host, self.hosts))

    def server(self, name: str) -> Server:
        """The server ``name`` (:func:`build_server`)."""
        found = self._servers.get(name)
        if found is None:
            found = self._servers[name] = build_server(self.ordered, name)
        return found

    def canaries(self) -> Canaries:
        """The canaries of the class (:func:`canaries`)."""
        if self._canaries is None:
            self._canaries = canaries(self.ordered, self.server)
        return self._canaries


def canaries(
    ingresses: tuple[Ingress, ...], server_of: Callable[[str], Server] | None = None
) -> Canaries:
    """Primary upstream (namespace, Service, port) -> the canary Ingress merged into it.

    ``mergeAlternativeBackends``: a canary path attaches to the upstream of the non-canary
    location with the same host, path and pathType; the canary then applies wherever that
    upstream serves (the balancer is per upstream); only the first canary counts ("a maximum
    of one canary ingress can be applied per Ingress rule"). ``server_of``: the servers of
    ``ingresses`` already built (:class:`NginxServers`)."""
    out: Canaries = {}
    servers: dict[str, Server] = {}
    for canary in nginx_order(tuple(i for i in ingresses if i.nginx.canary)):
        for rule in canary.rules:
            name = _rule_server(rule.host)
            server = servers.get(name) or (
                server_of(name) if server_of else build_server(ingresses, name)
            )
            servers[name] = server
            for p in rule.paths:
                if p.backend.is_resource:
                    continue
                loc = next(
                    (
                        x
                        for x in server.locations
                        if not x.default and x.ingress_path == p.path and x.path_type == p.path_type
                    ),
                    None,
                )
                if loc is None or loc.ingress is None or loc.backend is None:
                    continue
                key = upstream_key(loc.ingress, loc.backend)
                if key != upstream_key(canary, p.backend):
                    out.setdefault(key, (canary, p.backend))
    return out


def upstream_key(ing: Ingress, backend: IngressBackend) -> UpstreamKey:
    return (ing.namespace, backend.service_name or "", backend.service_port)


def routing_conflicts(cluster: Cluster) -> tuple[Note, ...]:
    """Conflicting Ingress rules: the Ingress API's rule for most classes
    (:func:`podpath.engine.ingress.ingress_conflicts`); for ingress-nginx classes a path the
    server already has (canary Ingresses are not conflicts: they are meant to repeat it)."""
    by_class, _ = ingresses_by_class(cluster)
    nginx = frozenset(c for c in by_class if is_ingress_nginx(cluster, c))
    notes = list(ingress_conflicts(cluster, skip=nginx))
    for cls in sorted(nginx):
        # a server depends only on the Ingresses with a rule for it (and, for ``_``, the
        # catch-all ones): build each from those, not from every Ingress of the class
        relevant: dict[str, list[Ingress]] = {}
        for ing in by_class[cls]:
            for name in dict.fromkeys(_rule_server(r.host) for r in ing.rules):
                relevant.setdefault(name, []).append(ing)
        catch_all = [i for i in by_class[cls] if i.default_backend and not i.rules]
        for name in sorted(relevant):
            extra = catch_all if name == DEFAULT_SERVER else []
            server = build_server(tuple(relevant[name] + extra), name)
            for obj, message in server.conflicts:
                notes.append(Note("warning", "ingress-conflict", f"class {cls}: {message}", obj))
    return tuple(notes)
