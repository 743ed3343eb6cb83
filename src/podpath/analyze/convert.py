"""``podpath convert``: Gateway API objects that do what the Ingresses of an ingress-nginx
class (and their annotations) do, and the list of what Gateway API cannot express.

Output (plain dicts, YAML-ready):

- one Gateway per target: ``--gateway NS/NAME`` shares one (listeners ``allowedRoutes`` from
  All; a ReferenceGrant per Secret namespace other than the Gateway's), else one per Ingress
  namespace named after the class (ingress2gateway's layout); ``--gateway-class`` (default
  the IngressClass's name). Listeners: ``http`` (HTTP 80, any host), ``https-HOST`` (HTTPS 443
  per TLS host, its Secret), ``tls-HOST`` (TLS 443 Passthrough for ``ssl-passthrough``);
- one HTTPRoute per Ingress and host (``NAME-HOST``) on the listeners serving it; when the
  Ingress redirects http to https (``ssl-redirect`` with TLS, ``force-ssl-redirect``) a
  route ``NAME-HOST-to-https`` on ``http`` answers 308 (a catch-all for the host's first
  Ingress, as its root location does); ``app-root`` -> an Exact ``/`` redirect rule;
- a TLSRoute per ``ssl-passthrough`` host.

Rules: :mod:`podpath.analyze.convert_rules`. The names of what was not converted, and what was
approximated, are ``notes`` (one line each, printed on standard error).
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from podpath.analyze.convert_rules import (
    Notes,
    backend_ref,
    canary_rules,
    https_redirect,
    path_match,
    redirect_filter,
    rewrite_filter,
)
from podpath.cluster import Cluster
from podpath.engine.ingress import ingress_tls, ingresses_by_class
from podpath.engine.ingress_nginx import build_server, canaries, nginx_order, upstream_key
from podpath.engine.ingress_nginx_rules import tls_configured
from podpath.errors import InputError
from podpath.model.ingress import Ingress, IngressBackend, IngressPath
from podpath.normalize.ingress_nginx import MODELLED

GW = "gateway.networking.k8s.io/v1"
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
APP_ROOT_MATCH = [
    {"path": {"type": "Exact", "value": "/"}}
]  # certificates are not checked for expiry here
CONVERTED = "podpath.io/converted-from"
NOT_CONVERTED = {
    "whitelist-source-range": "Gateway API has no client address filter",
    "allowlist-source-range": "Gateway API has no client address filter",
    "denylist-source-range": "Gateway API has no client address filter",
    "default-backend": "no fallback backend for a Service without endpoints",
    "custom-http-errors": "no error page interception",
    "service-upstream": "Gateway API implementations choose endpoints or the ClusterIP themselves",
    "configuration-snippet": "raw NGINX configuration",
    "server-snippet": "raw NGINX configuration",
}


@dataclass(frozen=True, slots=True)
class Conversion:
    objects: tuple[dict[str, Any], ...]
    notes: tuple[str, ...]


def slug(host: str | None) -> str:
    return re.sub(r"[^a-z0-9-]", "-", (host or "all").replace("*", "wildcard").lower())


def _meta(ns: str, name: str, source: Ingress | None = None) -> dict[str, Any]:
    meta: dict[str, Any] = {"namespace": ns, "name": name}
    if source is not None:
        meta["annotations"] = {CONVERTED: str(source.ref)}
    return meta


@dataclass
class Target:
    """One Gateway being built, and where each host is served."""

    namespace: str
    name: str
    shared: bool
    tls: dict[str, tuple[str, str]]  # host -> (Secret namespace, name)
    passthrough: set[str]

    def parent(self, section: str) -> dict[str, Any]:
        return {"name": self.name, "namespace": self.namespace, "sectionName": section}


class Converter:
    def __init__(
        self,
        cluster: Cluster,
        class_name: str,
        ingresses: tuple[Ingress, ...],
        gateway_class: str,
        gateway: str | None,
    ) -> None:
        self.cluster = cluster
        self.class_name = class_name
        self.ingresses = nginx_order(ingresses)
        self.gateway_class = gateway_class
        self.gateway = gateway
        self.notes = Notes()
        self.targets: dict[tuple[str, str], Target] = {}
        self.objects: list[dict[str, Any]] = []
        self.canaries = canaries(self.ingresses)

    # -- where -------------------------------------------------------------------------------

    def target(self, ing: Ingress) -> Target:
        if self.gateway:
            ns, _, name = self.gateway.partition("/")
            key = (ns, name)
        else:
            key = (ing.namespace, self.class_name)
        if key not in self.targets:
            self.targets[key] = Target(key[0], key[1], bool(self.gateway), {}, set())
        return self.targets[key]

    def host_tls(self, ing: Ingress, host: str | None) -> bool:
        """Whether ingress-nginx has a certificate of the host's own (ssl-redirect applies)."""
        if host is None:
            return False
        check = ingress_tls(self.cluster, self.ingresses, self.class_name, host, EPOCH)
        return tls_configured(check)

    # -- what --------------------------------------------------------------------------------

    def port(self, ing: Ingress, backend: IngressBackend) -> int | None:
        port = backend.service_port
        if isinstance(port, int) or port is None:
            return port
        svc = self.cluster.service_by_key.get(f"{ing.namespace}/{backend.service_name}")
        sp = svc.port_named(port) if svc else None
        if sp is None:
            self.notes.add(
                ing,
                f"backend {backend}",
                f"the port name {port} does not resolve to a Service port",
            )
            return None
        return sp.port

    def path_rules(self, ing: Ingress, p: IngressPath, regex: bool) -> list[dict[str, Any]]:
        a = ing.nginx
        filters: list[dict[str, Any]] = []
        prefix = None
        if a.rewrite_target and a.rewrite_target != p.path:
            rewrite, prefix = rewrite_filter(p, a.rewrite_target, ing, self.notes)
            if rewrite is None:
                return []
            filters.append(rewrite)
        if prefix is not None:
            match = path_match(IngressPath(prefix, "Prefix", p.backend), regex, ing, self.notes)
        else:
            match = path_match(p, regex, ing, self.notes)
        redirect = a.temporal_redirect or a.permanent_redirect
        if redirect:
            code = a.temporal_redirect_code if a.temporal_redirect else a.permanent_redirect_code
            name = "temporal-redirect" if a.temporal_redirect else "permanent-redirect"
            rf = redirect_filter(redirect, code, ing, self.notes, name)
            return [{"matches": [{"path": match}], "filters": [rf]}] if rf else []
        primary = backend_ref(ing, p.backend, self.port(ing, p.backend))
        before: list[dict[str, Any]] = []
        refs = [primary]
        canary = self.canaries.get(upstream_key(ing, p.backend))
        if canary is not None:
            alt = backend_ref(canary[0], canary[1], self.port(canary[0], canary[1]))
            if canary[0].namespace != ing.namespace:
                alt["namespace"] = canary[0].namespace
            before, refs = canary_rules(match, canary[0], alt, primary, self.notes)
        rule: dict[str, Any] = {"matches": [{"path": match}], "backendRefs": refs}
        if filters:
            rule["filters"] = filters
            for r in before:
                r["filters"] = filters
        return [*before, rule]

    def note_annotations(self, ing: Ingress) -> None:
        for name in sorted(
            set(ing.nginx.not_modelled) | {k for k in NOT_CONVERTED if self._set(ing, k)}
        ):
            self.notes.add(
                ing,
                f"nginx.ingress.kubernetes.io/{name}",
                NOT_CONVERTED.get(name, "not modelled, not converted"),
            )
        if ing.nginx.backend_protocol != "HTTP":
            self.notes.add(
                ing,
                f"nginx.ingress.kubernetes.io/backend-protocol {ing.nginx.backend_protocol}",
                "use a GRPCRoute or a BackendTLSPolicy",
            )
        if not ing.nginx.preserve_trailing_slash and (
            ing.nginx.ssl_redirect or ing.nginx.force_ssl_redirect
        ):
            self.notes.add(
                ing,
                "http -> https redirect",
                "NGINX removes a trailing slash from the Location, Gateway API keeps it",
                approximated=True,
            )

    @staticmethod
    def _set(ing: Ingress, name: str) -> bool:
        return f"nginx.ingress.kubernetes.io/{name}" in ing.annotations and name in MODELLED

    # -- build -------------------------------------------------------------------------------

    def convert(self) -> None:
        hosts_seen: dict[tuple[str, str], set[str | None]] = defaultdict(set)
        for ing in self.ingresses:
            if ing.nginx.canary:
                continue
            self.note_annotations(ing)
            target = self.target(ing)
            for host in dict.fromkeys(r.host for r in ing.rules):
                self.convert_host(
                    ing, target, host, host in hosts_seen[(target.namespace, target.name)]
                )
                hosts_seen[(target.namespace, target.name)].add(host)
        for canary in (i for i in self.ingresses if i.nginx.canary):
            if not any(c[0] is canary for c in self.canaries.values()):
                self.notes.add(
                    canary,
                    "canary Ingress",
                    "no mainline Ingress has its host, path and pathType: ingress-nginx ignores it",
                )
        for target in self.targets.values():
            self.objects.insert(0, self.gateway_object(target))
            self.objects.extend(self.grants(target))

    def record_tls(self, ing: Ingress, target: Target, host: str | None) -> bool:
        """Whether the host has a certificate (ssl-redirect applies); note its Secret."""
        if host is None or not self.host_tls(ing, host):
            return False
        entry, owner = next(
            ((t, i) for i in self.ingresses for t in i.tls if host in t.hosts and t.secret_name),
            (None, ing),
        )
        if entry is not None and entry.secret_name:
            target.tls.setdefault(host, (owner.namespace, entry.secret_name))
        return True

    @staticmethod
    def app_root_rule(app_root: str) -> dict[str, Any]:
        path = {"type": "ReplaceFullPath", "replaceFullPath": app_root}
        redirect = {"type": "RequestRedirect", "requestRedirect": {"path": path, "statusCode": 302}}
        return {"matches": [{"path": {"type": "Exact", "value": "/"}}], "filters": [redirect]}

    def convert_host(self, ing: Ingress, target: Target, host: str | None, seen: bool) -> None:
        a = ing.nginx
        tls = self.record_tls(ing, target, host)
        if a.ssl_passthrough and host is not None:
            target.passthrough.add(host)
            self.passthrough_route(ing, target, host)
            return
        server = build_server(self.ingresses, host.lower() if host else "_")
        rules = []
        app_root = next((loc.nginx.app_root for loc in server.locations if loc.nginx.app_root), "")
        if app_root and not seen:
            rules.append(self.app_root_rule(app_root))
        for rule in ing.rules:
            if rule.host == host:
                for p in rule.paths:
                    if not p.backend.is_resource:
                        rules.extend(self.path_rules(ing, p, server.regex))
        parents = [target.parent(f"https-{slug(host)}")] if host in target.tls else []
        if a.force_ssl_redirect or (a.ssl_redirect and tls):
            self.https_route(ing, target, host, rules, seen)
        else:
            parents.append(target.parent("http"))
        if rules and parents:
            self.objects.append(self.route(ing, f"{ing.name}-{slug(host)}", host, parents, rules))

    def https_route(
        self,
        ing: Ingress,
        target: Target,
        host: str | None,
        rules: list[dict[str, Any]],
        seen: bool,
    ) -> None:
        """The http listener's route of an Ingress that redirects http to https (308); the
        app-root redirect comes first, as NGINX's server-level rule does."""
        app_root = rules[0] if rules and rules[0].get("matches") == APP_ROOT_MATCH else None
        out = [app_root] if app_root is not None else []
        paths = [m["path"] for r in rules if r is not app_root for m in r["matches"]]
        for path in [p for i, p in enumerate(paths) if p not in paths[:i]]:
            out.append({"matches": [{"path": path}], "filters": [https_redirect()]})
        if not seen:
            out.append(
                {
                    "matches": [{"path": {"type": "PathPrefix", "value": "/"}}],
                    "filters": [https_redirect()],
                }
            )
        name = f"{ing.name}-{slug(host)}-to-https"
        self.objects.append(self.route(ing, name, host, [target.parent("http")], out))

    def route(
        self,
        ing: Ingress,
        name: str,
        host: str | None,
        parents: list[dict[str, Any]],
        rules: list[dict[str, Any]],
    ) -> dict[str, Any]:
        spec: dict[str, Any] = {"parentRefs": parents}
        if host:
            spec["hostnames"] = [host]
        spec["rules"] = rules
        return {
            "apiVersion": GW,
            "kind": "HTTPRoute",
            "metadata": _meta(ing.namespace, name, ing),
            "spec": spec,
        }

    def passthrough_route(self, ing: Ingress, target: Target, host: str) -> None:
        root = next(
            (p for r in ing.rules if r.host == host for p in r.paths if p.path == "/"), None
        )
        if root is None:
            self.notes.add(ing, f"ssl-passthrough on {host}", "no / path: ingress-nginx ignores it")
            return
        self.objects.append(
            {
                "apiVersion": "gateway.networking.k8s.io/v1alpha2",
                "kind": "TLSRoute",
                "metadata": _meta(ing.namespace, f"{ing.name}-{slug(host)}", ing),
                "spec": {
                    "parentRefs": [target.parent(f"tls-{slug(host)}")],
                    "hostnames": [host],
                    "rules": [
                        {
                            "backendRefs": [
                                backend_ref(ing, root.backend, self.port(ing, root.backend))
                            ]
                        }
                    ],
                },
            }
        )

    def gateway_object(self, target: Target) -> dict[str, Any]:
        allowed = {"namespaces": {"from": "All" if target.shared else "Same"}}
        listeners: list[dict[str, Any]] = [
            {"name": "http", "protocol": "HTTP", "port": 80, "allowedRoutes": allowed}
        ]
        for host, (ns, secret) in sorted(target.tls.items()):
            if host in target.passthrough:
                continue
            ref: dict[str, Any] = {"name": secret}
            if ns != target.namespace:
                ref["namespace"] = ns
            listeners.append(
                {
                    "name": f"https-{slug(host)}",
                    "protocol": "HTTPS",
                    "port": 443,
                    "hostname": host,
                    "tls": {"mode": "Terminate", "certificateRefs": [ref]},
                    "allowedRoutes": allowed,
                }
            )
        for host in sorted(target.passthrough):
            listeners.append(
                {
                    "name": f"tls-{slug(host)}",
                    "protocol": "TLS",
                    "port": 443,
                    "hostname": host,
                    "tls": {"mode": "Passthrough"},
                    "allowedRoutes": allowed,
                }
            )
        return {
            "apiVersion": GW,
            "kind": "Gateway",
            "metadata": _meta(target.namespace, target.name),
            "spec": {"gatewayClassName": self.gateway_class, "listeners": listeners},
        }

    def grants(self, target: Target) -> list[dict[str, Any]]:
        out = []
        for ns in sorted({ns for ns, _ in target.tls.values() if ns != target.namespace}):
            out.append(
                {
                    "apiVersion": "gateway.networking.k8s.io/v1beta1",
                    "kind": "ReferenceGrant",
                    "metadata": _meta(ns, f"{target.name}-certificates"),
                    "spec": {
                        "from": [
                            {
                                "group": "gateway.networking.k8s.io",
                                "kind": "Gateway",
                                "namespace": target.namespace,
                            }
                        ],
                        "to": [{"group": "", "kind": "Secret"}],
                    },
                }
            )
        return out


def convert_ingresses(
    cluster: Cluster,
    *,
    gateway_class: str | None = None,
    gateway: str | None = None,
    ingress_class: str | None = None,
) -> Conversion:
    """Convert every IngressClass's Ingresses (or ``ingress_class``'s): module docstring."""
    by_class, _ = ingresses_by_class(cluster)
    if ingress_class is not None and ingress_class not in by_class:
        raise InputError(f"no Ingress of class {ingress_class}", field="--ingress-class")
    if gateway is not None and (gateway.count("/") != 1 or not all(gateway.split("/"))):
        raise InputError(f"--gateway {gateway!r}: expected NAMESPACE/NAME", field="--gateway")
    objects: list[dict[str, Any]] = []
    notes: list[str] = []
    for cls, ingresses in by_class.items():
        if ingress_class is not None and cls != ingress_class:
            continue
        conv = Converter(cluster, cls, ingresses, gateway_class or cls, gateway)
        conv.convert()
        objects.extend(conv.objects)
        notes.extend(conv.notes.lines)
    return Conversion(tuple(objects), tuple(notes))
