"""The HTTPRoute CORS filter (``HTTPCORSFilter``, GEP-1767, standard channel since v1.5):
what the gateway answers to a CORS preflight and which headers it adds to a response.

https://gateway-api.sigs.k8s.io/reference/spec/#httpcorsfilter; cases: the conformance test
HTTPRouteCORS (conformance/tests/httproute-cors.go), and the Fetch standard's definition of a
preflight (https://fetch.spec.whatwg.org/#cors-preflight-request).

- A *preflight* is an ``OPTIONS`` request with ``Origin`` and
  ``Access-Control-Request-Method``: the gateway answers it itself (status 200; "always an OK
  status (i.e., 204 or 200)"), nothing is forwarded.
- Origins (``allowOrigins``): ``scheme://host[:port]``, the port defaulted (http 80, https
  443) before comparing; ``*`` in the host is "a greedy match to the left, including any
  number of DNS labels"; ``*`` alone matches every origin. A matching origin is echoed in
  ``Access-Control-Allow-Origin`` (podpath always echoes; with ``allowCredentials`` false
  ``*`` would also be allowed).
- A disallowed origin gets the OK status without any CORS header ("the gateway returns
  204/200 response but doesn't set the relevant cross-origin response headers"); the browser
  then fails the request.
- Preflight headers: ``Access-Control-Allow-Methods`` (the configured methods; ``*`` answers
  the requested method -- required with credentials, allowed without), omitted without
  ``Access-Control-Request-Method``; ``Access-Control-Allow-Headers`` likewise from
  ``allowHeaders`` and ``Access-Control-Request-Headers``; ``Access-Control-Max-Age``
  (``maxAge``, default 5); ``Access-Control-Allow-Credentials: true`` only with
  ``allowCredentials``; ``Access-Control-Expose-Headers`` from ``exposeHeaders`` (``*`` is not
  usable with credentials: omitted then).
- An actual cross-origin request (``Origin`` set, not a preflight) is forwarded; an allowed
  origin's response gains Allow-Origin, Allow-Credentials and Expose-Headers.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from podpath.model.gateway import CORSPolicy, RouteFilter
from podpath.model.routing import Request

PREFLIGHT_STATUS = 200
DEFAULT_PORTS = {"http": 80, "https": 443}
SAFELISTED_METHODS = (
    "GET",
    "HEAD",
    "POST",
)  # https://fetch.spec.whatwg.org/#cors-safelisted-method


def _origin_parts(origin: str) -> tuple[str, str, int] | None:
    m = re.fullmatch(r"([a-zA-Z][a-zA-Z0-9+.-]*)://([^/:]+|\[[^\]]+\])(?::(\d+))?/?", origin)
    if m is None:
        return None
    scheme = m.group(1).lower()
    port = int(m.group(3)) if m.group(3) else DEFAULT_PORTS.get(scheme, 0)
    return scheme, m.group(2).lower(), port


def cors_origin_matches(pattern: str, origin: str) -> bool:
    """``allowOrigins`` matching (module docstring): ``*`` alone; else scheme and port equal
    (defaults applied) and the host equal, ``*`` matching greedily to the left."""
    if pattern == "*":
        return True
    want, got = _origin_parts(pattern), _origin_parts(origin)
    if want is None or got is None or want[0] != got[0] or want[2] != got[2]:
        return False
    host = want[1]
    if "*" not in host:
        return host == got[1]
    regex = ".*".join(re.escape(part) for part in host.split("*"))
    return re.fullmatch(regex, got[1]) is not None


def is_preflight(request: Request) -> bool:
    """A CORS preflight: OPTIONS with ``Origin`` and ``Access-Control-Request-Method``."""
    return (
        request.method == "OPTIONS"
        and request.header("origin") is not None
        and request.header("access-control-request-method") is not None
    )


@dataclass(frozen=True, slots=True)
class CORSOutcome:
    """What the CORS filter does with one request: ``preflight`` answered by the gateway,
    ``allowed`` whether the origin matched, the response ``headers`` and the reasons."""

    preflight: bool
    allowed: bool
    headers: tuple[tuple[str, str], ...]
    reasons: tuple[str, ...]


def _listed(values: tuple[str, ...], requested: str | None) -> str | None:
    """An Allow-Methods / Allow-Headers value: omitted without the request header; ``*``
    answers what was requested (required with credentials, podpath does it always)."""
    if requested is None or not values:
        return None
    if "*" in values:
        return requested
    return ", ".join(values)


def _response_headers(
    cors: CORSPolicy, origin: str, request: Request, preflight: bool
) -> list[tuple[str, str]]:
    headers = [("Access-Control-Allow-Origin", origin)]
    if cors.allow_credentials:
        headers.append(("Access-Control-Allow-Credentials", "true"))
    if preflight:
        method = _listed(
            cors.allow_methods,
            request.header("access-control-request-method"),
        )
        if method is not None:
            headers.append(("Access-Control-Allow-Methods", method))
        allow = _listed(
            cors.allow_headers,
            request.header("access-control-request-headers"),
        )
        if allow is not None:
            headers.append(("Access-Control-Allow-Headers", allow))
        headers.append(("Access-Control-Max-Age", str(cors.max_age)))
    expose = cors.expose_headers
    if expose and not ("*" in expose and cors.allow_credentials):
        headers.append(("Access-Control-Expose-Headers", ", ".join(expose)))
    return headers


def _method_note(cors: CORSPolicy, request: Request) -> str | None:
    wanted = request.header("access-control-request-method")
    allowed = set(cors.allow_methods) | set(SAFELISTED_METHODS)
    if wanted is None or "*" in allowed or wanted in allowed:
        return None
    return (
        f"the browser refuses {wanted}: not in Access-Control-Allow-Methods "
        f"({', '.join(cors.allow_methods) or 'none'})"
    )


def cors_outcome(filters: tuple[RouteFilter, ...], request: Request) -> CORSOutcome | None:
    """The CORS filter of a matched rule applied to the request (None: no CORS filter, or a
    request without ``Origin``)."""
    cors = next((f.cors for f in filters if f.type == "CORS" and f.cors is not None), None)
    origin = request.header("origin")
    if cors is None or origin is None:
        return None
    preflight = is_preflight(request)
    allowed = any(cors_origin_matches(p, origin) for p in cors.allow_origins)
    what = "preflight" if preflight else "cross-origin request"
    if not allowed:
        return CORSOutcome(
            preflight,
            False,
            (),
            (
                f"CORS filter: origin {origin} is not in allowOrigins "
                f"({', '.join(cors.allow_origins) or 'none'}): {what} answered without CORS "
                "headers, the browser blocks it",
            ),
        )
    reasons = [
        f"CORS filter: origin {origin} allowed"
        + (f"; the gateway answers the preflight itself ({PREFLIGHT_STATUS})" if preflight else "")
    ]
    if preflight and (note := _method_note(cors, request)):
        reasons.append(note)
    headers = _response_headers(cors, origin, request, preflight)
    return CORSOutcome(preflight, True, tuple(headers), tuple(reasons))
