"""What an API server's answers mean for a live read: which failures skip a kind and which
stop the read, each as one line (:class:`~podpath.errors.ClusterAccessError`, exit 2).

- 404: the resource is not served. For a CRD's kind that is "not installed" (skipped, with an
  ``info`` note); for a built-in kind every supported Kubernetes serves, it is an error: the
  server is not a Kubernetes API server, or it is broken -- not an empty cluster.
- 403: not permitted (skipped, with a ``warning`` note). 410: the continue token expired (the
  list restarts). 401: the credentials were rejected -- or, with an exec credential plugin,
  the plugin gave none.
- 3xx: podpath does not follow redirects (an API server does not redirect list requests, and
  a redirect could carry the request elsewhere); the message names the host it pointed to.
- A list whose ``items`` is not a list, or whose ``continue`` token repeats, is an error: it
  would otherwise end in an empty or endless answer.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlsplit

from podpath.errors import ClusterAccessError

LIVE_TIMEOUT = 300.0  # the default --timeout: seconds for the whole read
MSG_UNAUTHORIZED = "the credentials were rejected (Unauthorized)"
MSG_CONNECT = "cannot connect to {host}: {problem}"
MSG_REDIRECT = (
    "the API server at {host} redirected the request to {target} (HTTP {code}); "
    "podpath does not follow redirects: point the kubeconfig at the API server itself"
)
MSG_BUILTIN_MISSING = (
    "the API server does not serve {resource} ({versions}), which every supported Kubernetes "
    "serves (HTTP 404): is {host} a Kubernetes API server?"
)
MSG_ITEMS_NOT_A_LIST = "the list response's items is {got}, not a list"
MSG_ITEM_NOT_AN_OBJECT = "item {index} of the list response is {got}, not an object"
MSG_CONTINUE_REPEATED = "the server repeated a continue token while paging (a paging loop)"
MSG_DEADLINE = "the read did not finish within --timeout {seconds:g} s"


class ResourceNotFound(Exception):
    """The resource is not served (HTTP 404 in every version tried)."""


class ResourceForbidden(Exception):
    """The credentials may not list the resource (HTTP 403)."""


class ListExpired(Exception):
    """HTTP 410: the continue token expired; the list restarts."""


def status_message(body: Any) -> str:
    """The ``message`` of a ``Status`` body (the first 200 characters of anything else)."""
    try:
        status = json.loads(body) if body else {}
    except (ValueError, TypeError):
        return str(body)[:200]
    message = status.get("message") if isinstance(status, dict) else None
    return str(message) if message else ""


def _location(exc: Any) -> str:
    headers = getattr(exc, "headers", None) or {}
    try:
        target = str(headers.get("Location") or headers.get("location") or "")
    except AttributeError:
        return "?"
    parts = urlsplit(target)
    return parts.netloc or target[:200] or "?"


def api_error(exc: Any, what: str, host: str) -> Exception:
    """The podpath error for an ``ApiException`` of the request for ``what`` to ``host``."""
    code = int(getattr(exc, "status", 0) or 0)
    if code == 404:
        return ResourceNotFound(what)
    if code == 403:
        return ResourceForbidden(what)
    if code == 410:
        return ListExpired(what)
    if code == 401:
        return ClusterAccessError(MSG_UNAUTHORIZED, resource=what, status=401)
    if 300 <= code < 400:
        message = MSG_REDIRECT.format(host=host, target=_location(exc), code=code)
        return ClusterAccessError(message, resource=what, status=code)
    message = status_message(getattr(exc, "body", "")) or str(getattr(exc, "reason", "")) or "?"
    return ClusterAccessError(message.splitlines()[0], resource=what, status=code or None)


def connect_problem(exc: BaseException) -> str:
    """One line for a connection failure (refused, TLS, DNS, timeout)."""
    reason = getattr(exc, "reason", None) or exc
    text = str(reason)
    if "Connection refused" in text or "Errno 111" in text:
        return "connection refused"
    return text.splitlines()[0][:200] if text else type(exc).__name__


def list_items(body: dict[str, Any], what: str) -> list[dict[str, Any]]:
    """The ``items`` of a list response: a list of objects (missing or null: none)."""
    items = body.get("items")
    if items is None:
        return []
    if not isinstance(items, list):
        got = type(items).__name__
        raise ClusterAccessError(MSG_ITEMS_NOT_A_LIST.format(got=got), resource=what)
    for index, item in enumerate(items):
        if not isinstance(item, dict):
            got = type(item).__name__
            raise ClusterAccessError(
                MSG_ITEM_NOT_AN_OBJECT.format(index=index, got=got), resource=what
            )
    return items
