"""``migrate``: the requests both configurations are asked, built from both sides.

Every host (Ingress rule hosts, HTTPRoute hostnames, listener hostnames; a ``*.`` wildcard as
one concrete name) x every path (Ingress paths, HTTPRoute path values, a sample string for a
regular expression), over http (and https for the hosts with a certificate of their own),
plus the edges where implementations differ:

- letter case (``/API``), a trailing slash added or removed, a sub-path (``/api/x``) and a
  prefix boundary (``/apibar``);
- ingress-nginx canary headers (``always``, ``never``, the ``-value``) and cookies;
- client addresses inside and outside each source range (``--client-ip``);
- the methods, headers and query parameters that HTTPRoute matches use.

The corpus is deterministic (sorted, de-duplicated) and bounded (:data:`MAX_REQUESTS`).
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from itertools import islice

from podpath.cluster import Cluster
from podpath.engine.gateway_attach import routes
from podpath.model.gateway import Gateway, GRPCRouteMatch, HTTPRouteMatch
from podpath.model.ingress import Ingress

MAX_REQUESTS = 5000
OUTSIDE = ("203.0.113.7", "198.51.100.7")
ANY_HOST = "any-host.example"


@dataclass(frozen=True, slots=True)
class Probe:
    """One request of the corpus."""

    url: str
    method: str = "GET"
    headers: tuple[tuple[str, str], ...] = ()
    cookies: tuple[tuple[str, str], ...] = ()
    client_ip: str | None = None

    def sort_key(
        self,
    ) -> tuple[str, str, tuple[tuple[str, str], ...], tuple[tuple[str, str], ...], str]:
        return (self.url, self.method, self.headers, self.cookies, self.client_ip or "")


def concrete_host(host: str | None) -> str:
    if not host:
        return ANY_HOST
    return "wild" + host[1:] if host.startswith("*.") else host.lower()


MAX_REPEAT = 8192


def regex_sample(pattern: str) -> str | None:
    """A string a path regular expression matches at its start, or None (best effort: the
    first alternative of each group, one character of a class, quantifiers at their least
    but ``+``)."""
    text = pattern.lstrip("^")
    text = re.sub(r"\(\?[a-zA-Z]+\)", "", text)
    text = text.replace("(/|$)", "/")
    text = re.sub(r"\((?:\?:)?([^()|]*)(?:\|[^()]*)?\)", r"\1", text)
    text = re.sub(
        r"\[\^?([^\]])[^\]]*\]", lambda m: "x" if m.group(0).startswith("[^") else m.group(1), text
    )
    counts = re.findall(r"\{(\d+)(?:,\d*)?\}", text)
    if any(len(n) > 4 for n in counts) or sum(map(int, counts)) > MAX_REPEAT:
        return None  # no request line that long: nginx's large_client_header_buffers is 8k
    text = re.sub(r"(.)\{(\d+)(?:,\d*)?\}", lambda m: m.group(1) * int(m.group(2)), text)
    text = re.sub(r"\.\+", "x", text)
    text = re.sub(r"\.\*|.\*|.\?", "", text)
    text = text.replace("+", "").replace("$", "").replace("\\", "")
    try:
        return text if text.startswith("/") and re.match(pattern, text, re.IGNORECASE) else None
    except re.error:
        return None


def path_variants(path: str, regex: bool) -> list[str]:
    """The path and its edges (module docstring)."""
    if regex or re.search(r"[()\[\]{}*+?|^$\\]", path):
        sample = regex_sample(path)
        return [sample, sample.upper()] if sample else []
    out = [path, path.upper(), path.rstrip("/") + "/x", path.rstrip("/") + "bar"]
    out.append(path.rstrip("/") or "/" if path.endswith("/") else path + "/")
    return out


def _ingress_paths(ing: Ingress) -> list[tuple[str | None, str, bool]]:
    regex = ing.nginx.use_regex or bool(ing.nginx.rewrite_target)
    out = [(r.host, p.path, regex) for r in ing.rules for p in r.paths]
    out.extend((r.host, "/", False) for r in ing.rules)
    if ing.nginx.app_root:
        out.extend((r.host, ing.nginx.app_root, False) for r in ing.rules)
    return out


def _variants(
    ing: Ingress,
) -> list[tuple[tuple[tuple[str, str], ...], tuple[tuple[str, str], ...], str | None]]:
    """(headers, cookies, client address) variants an Ingress's annotations decide on."""
    a = ing.nginx
    out: list[tuple[tuple[tuple[str, str], ...], tuple[tuple[str, str], ...], str | None]] = []
    if a.canary_by_header:
        for value in ("always", "never", a.canary_by_header_value or "other"):
            out.append((((a.canary_by_header, value),), (), None))
    if a.canary_by_cookie:
        for value in ("always", "never"):
            out.append(((), ((a.canary_by_cookie, value),), None))
    for net in (*(a.allow_source_range or ()), *a.deny_source_range):
        network = ipaddress.ip_network(net)
        inside = next(islice(network.hosts(), 0, None), network.network_address)
        out.append(((), (), str(inside)))
        outside = next(ip for ip in OUTSIDE if ipaddress.ip_address(ip) not in network)
        out.append(((), (), outside))
    return out


def _route_probes(
    cluster: Cluster,
) -> list[tuple[str | None, str, tuple[str, str, tuple[tuple[str, str], ...]] | None]]:
    """(host, path, (method, query, headers) or None) of every HTTPRoute match."""
    out: list[tuple[str | None, str, tuple[str, str, tuple[tuple[str, str], ...]] | None]] = []
    gateways: tuple[Gateway, ...] = cluster.of_kind("Gateway")
    listener_hosts: list[str | None] = [
        lis.hostname for g in gateways for lis in g.listeners if lis.hostname
    ]
    for route in routes(cluster):
        hosts: list[str | None] = [*route.hostnames] or listener_hosts or [None]
        for rule in route.rules:
            for m in rule.matches:
                if isinstance(m, GRPCRouteMatch) or not isinstance(m, HTTPRouteMatch):
                    continue
                regex = m.path.type == "RegularExpression"
                query = "&".join(f"{q.name}={q.value}" for q in m.query_params if q.type == "Exact")
                headers = tuple((h.name, h.value) for h in m.headers if h.type == "Exact")
                extra = (
                    (m.method or "GET", query, headers) if (m.method or query or headers) else None
                )
                for host in hosts:
                    value = regex_sample(m.path.value) if regex else m.path.value
                    if value:
                        out.append((host, value, extra))
    return out


def tls_host_names(cluster: Cluster) -> set[str]:
    """Hosts with a certificate of their own: Ingress ``spec.tls`` hosts, HTTPS/TLS listener
    hostnames (https is asked only of them: other hosts get a controller's default
    certificate, which no client accepts)."""
    ingresses: tuple[Ingress, ...] = cluster.of_kind("Ingress")
    gateways: tuple[Gateway, ...] = cluster.of_kind("Gateway")
    names = {h for i in ingresses for t in i.tls for h in t.hosts}
    names |= {
        lis.hostname
        for g in gateways
        for lis in g.listeners
        if lis.hostname and lis.protocol in ("HTTPS", "TLS")
    }
    return {concrete_host(h) for h in names}


def build_corpus(old: Cluster, new: Cluster) -> tuple[Probe, ...]:
    """The requests of both sides (module docstring)."""
    probes: set[Probe] = set()
    tls_hosts = tls_host_names(old) | tls_host_names(new)

    def add(host: str | None, path: str, **kw: object) -> None:
        name = concrete_host(host)
        for scheme in ("http", "https") if name in tls_hosts else ("http",):
            probes.add(Probe(f"{scheme}://{name}{path}", **kw))  # type: ignore[arg-type]

    for cluster in (old, new):
        ingresses: tuple[Ingress, ...] = cluster.of_kind("Ingress")
        for ing in ingresses:
            for host, path, regex in _ingress_paths(ing):
                for variant in path_variants(path, regex):
                    add(host, variant)
                    for headers, cookies, client_ip in _variants(ing):
                        add(host, variant, headers=headers, cookies=cookies, client_ip=client_ip)
        for host, path, extra in _route_probes(cluster):
            for variant in path_variants(path, False) if not extra else [path]:
                add(host, variant)
            if extra is not None:
                method, query, headers = extra
                add(host, path + (f"?{query}" if query else ""), method=method, headers=headers)
    return tuple(sorted(probes, key=Probe.sort_key))[:MAX_REQUESTS]
