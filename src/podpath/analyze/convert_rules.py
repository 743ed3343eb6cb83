"""``convert``: one Ingress path of an ingress-nginx class -> HTTPRoute rules that do what
ingress-nginx does with it, or the reason Gateway API cannot say it.

The mapping (ingress-nginx semantics: :mod:`podpath.engine.ingress_nginx`; Gateway API:
https://gateway-api.sigs.k8s.io/reference/spec/):

- Exact -> Exact; Prefix -> PathPrefix (both element-wise, case-sensitive: the same).
  ImplementationSpecific outside regex mode is an NGINX string prefix (``/foo`` matches
  ``/foobar``): PathPrefix, approximated. In regex mode every path of the host is
  ``~* "^PATH"``: RegularExpression ``(?i)PATH.*`` (approximated: Gateway API implementations
  order regular expressions their own way; podpath ranks the longest first, as NGINX does).
- ``rewrite-target`` ``/$2`` on ``P(/|$)(.*)`` (the guide's example) and ``/$1`` on ``P/(.*)``
  -> PathPrefix P + URLRewrite ReplacePrefixMatch ``/``; a target without ``$`` -> URLRewrite
  ReplaceFullPath; anything else is not converted.
- ``permanent-redirect``/``temporal-redirect`` -> RequestRedirect (scheme, hostname, port,
  ReplaceFullPath, statusCode; the query string is kept by Gateway API, not by NGINX's
  ``return``: approximated when the redirect URL has no query).
- The canary family -> header rules (``-value`` Exact, ``-pattern`` RegularExpression,
  ``always``/``never``), cookie rules (a RegularExpression on the ``Cookie`` header), weights.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from podpath.model.ingress import Ingress, IngressBackend, IngressPath

GATEWAY_REDIRECT_CODES = (301, 302, 303, 307, 308)
STRIP_PREFIX = (re.compile(r"^(?P<p>/[^()$^?*+\[\]{}|\\]*)\(/\|\$\)\(\.\*\)$"), "$2")
STRIP_SLASH = (re.compile(r"^(?P<p>/[^()$^?*+\[\]{}|\\]*?)/\(\.\*\)$"), "$1")
REGEX_CHARS = re.compile(r"[()$^?*+\[\]{}|\\]")


@dataclass
class Notes:
    """What a conversion could not say (``not converted``) or said approximately."""

    lines: list[str] = field(default_factory=list)

    def add(self, ing: Ingress, what: str, why: str, approximated: bool = False) -> None:
        kind = "approximated" if approximated else "not converted"
        line = f"{ing.ref}: {what}: {kind}: {why}"
        if line not in self.lines:
            self.lines.append(line)


def backend_ref(
    ing: Ingress, backend: IngressBackend, port: int | None, weight: int | None = None
) -> dict[str, Any]:
    ref: dict[str, Any] = {"name": backend.service_name, "port": port}
    if weight is not None:
        ref["weight"] = weight
    return ref


def path_match(p: IngressPath, regex: bool, ing: Ingress, notes: Notes) -> dict[str, Any]:
    """The HTTPRoute path match for an Ingress path (module docstring)."""
    if regex and not REGEX_CHARS.search(p.path):
        notes.add(
            ing,
            f"path {p.path} ({p.path_type})",
            "ingress-nginx regex mode matches it case-insensitively and as a string prefix; "
            "PathPrefix is case-sensitive and whole elements",
            approximated=True,
        )
        return {"type": "PathPrefix", "value": p.path}
    if regex:
        notes.add(
            ing,
            f"path {p.path} ({p.path_type})",
            "ingress-nginx regex mode (case-insensitive, anchored at the start, first match in "
            "length order) as RegularExpression (?i)PATH.*; Gateway API implementations order "
            "regular expressions their own way",
            approximated=True,
        )
        return {"type": "RegularExpression", "value": f"(?i){p.path}.*"}
    if p.path_type == "Exact":
        return {"type": "Exact", "value": p.path}
    if p.path_type == "ImplementationSpecific" and p.path != "/":
        notes.add(
            ing,
            f"path {p.path} (ImplementationSpecific)",
            "an NGINX string prefix (also matches /foobar for /foo) as PathPrefix (whole elements)",
            approximated=True,
        )
    return {"type": "PathPrefix", "value": p.path}


def rewrite_filter(
    p: IngressPath, target: str, ing: Ingress, notes: Notes
) -> tuple[dict[str, Any] | None, str | None]:
    """(URLRewrite filter, the PathPrefix to match instead) for ``rewrite-target``, or
    (None, None) when Gateway API cannot express it."""
    for pattern, wanted in (STRIP_PREFIX, STRIP_SLASH):
        m = pattern.match(p.path)
        if m and target == "/" + wanted:
            prefix = m.group("p") or "/"
            rewrite = {"type": "ReplacePrefixMatch", "replacePrefixMatch": "/"}
            return {"type": "URLRewrite", "urlRewrite": {"path": rewrite}}, prefix
    if "$" not in target and not REGEX_CHARS.search(p.path):
        full = {"type": "ReplaceFullPath", "replaceFullPath": target}
        return {"type": "URLRewrite", "urlRewrite": {"path": full}}, None
    notes.add(
        ing,
        f"nginx.ingress.kubernetes.io/rewrite-target {target} on {p.path}",
        "capture groups other than a stripped prefix",
    )
    return None, None


def redirect_filter(
    url: str, code: int, ing: Ingress, notes: Notes, name: str
) -> dict[str, Any] | None:
    """RequestRedirect for an absolute redirect URL (permanent-/temporal-redirect)."""
    parts = urlsplit(url)
    if code not in GATEWAY_REDIRECT_CODES or not parts.hostname:
        notes.add(
            ing,
            f"nginx.ingress.kubernetes.io/{name} {url} ({code})",
            "Gateway API redirects use 301, 302, 303, 307 or 308 and an absolute URL",
        )
        return None
    redirect: dict[str, Any] = {
        "scheme": parts.scheme,
        "hostname": parts.hostname,
        "statusCode": code,
    }
    if parts.port:
        redirect["port"] = parts.port
    redirect["path"] = {"type": "ReplaceFullPath", "replaceFullPath": parts.path or "/"}
    if parts.query:
        notes.add(
            ing,
            f"nginx.ingress.kubernetes.io/{name} {url}",
            "Gateway API has no query in a redirect: the request's query is kept",
        )
        return None
    notes.add(
        ing,
        f"nginx.ingress.kubernetes.io/{name} {url}",
        "NGINX drops the request's query string, Gateway API keeps it",
        approximated=True,
    )
    return {"type": "RequestRedirect", "requestRedirect": redirect}


def https_redirect() -> dict[str, Any]:
    return {"type": "RequestRedirect", "requestRedirect": {"scheme": "https", "statusCode": 308}}


def cookie_match(name: str, value: str) -> dict[str, Any]:
    """A cookie as a RegularExpression on the Cookie header (Gateway API matches headers)."""
    return {
        "type": "RegularExpression",
        "name": "Cookie",
        "value": f"(^|.*; *){re.escape(name)}={re.escape(value)}(;.*|$)",
    }


def canary_rules(
    match: dict[str, Any],
    canary: Ingress,
    canary_ref: dict[str, Any],
    primary_ref: dict[str, Any],
    notes: Notes,
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(rules placed before the mainline rule, the mainline rule's backendRefs) for a canary.

    ingress-nginx's precedence header -> cookie -> weight: a header or cookie rule (one header
    match: more specific than the mainline rule) per decision, ``never`` rules to the primary."""
    a = canary.nginx
    rules: list[dict[str, Any]] = []

    def rule(headers: list[dict[str, Any]], ref: dict[str, Any]) -> dict[str, Any]:
        return {"matches": [{"path": match, "headers": headers}], "backendRefs": [ref]}

    if a.canary_by_header:
        if a.canary_by_header_value:
            rules.append(
                rule([{"name": a.canary_by_header, "value": a.canary_by_header_value}], canary_ref)
            )
        elif a.canary_by_header_pattern:
            hp = {
                "type": "RegularExpression",
                "name": a.canary_by_header,
                "value": f".*(?:{a.canary_by_header_pattern}).*",
            }
            rules.append(rule([hp], canary_ref))
        else:
            rules.append(rule([{"name": a.canary_by_header, "value": "always"}], canary_ref))
            rules.append(rule([{"name": a.canary_by_header, "value": "never"}], primary_ref))
    if a.canary_by_cookie:
        if a.canary_by_header and not a.canary_by_header_value and not a.canary_by_header_pattern:
            notes.add(
                canary,
                "canary-by-cookie",
                "a request with both the header and the cookie: the route order decides",
                approximated=True,
            )
        rules.append(rule([cookie_match(a.canary_by_cookie, "always")], canary_ref))
        rules.append(rule([cookie_match(a.canary_by_cookie, "never")], primary_ref))
    total = a.canary_weight_total if a.canary_weight_total > 100 else 100
    weight = min(max(a.canary_weight, 0), total)
    if weight == 0:
        return rules, [primary_ref]
    if weight == total:
        return rules, [canary_ref]
    return rules, [{**primary_ref, "weight": total - weight}, {**canary_ref, "weight": weight}]
