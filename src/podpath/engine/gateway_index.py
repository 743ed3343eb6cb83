"""Route attachments indexed for routing: by listener, then by host name, built once per
routing context so a request looks at the routes that can serve its host only, not at every
route of the cluster.

The index changes no answer: :func:`podpath.engine.gateway.route_gateway` asked every
attachment of the chosen listener, in their order, and dropped those whose hostnames do not
match the request's host (HTTPRouteSpec.hostnames, TLSRouteSpec.hostnames:
https://gateway-api.sigs.k8s.io/reference/spec/#httproutespec -- an exact name, or
``*.suffix`` matching one or more labels). :meth:`ListenerRoutes.for_host` gives the same
attachments in the same order: those with no hostnames, those naming the host exactly, and
those with a wildcard that is a suffix of the host (looked up label by label).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from types import MappingProxyType

from podpath.engine.gateway_attach import Attachment

ListenerKey = tuple[str, str, str]  # (Gateway NS/NAME, owner, listener name)


@dataclass(frozen=True, slots=True)
class ListenerRoutes:
    """The attachments of one listener (``atts``, in attachment order), whether any is a
    GRPCRoute, and the positions of those with no hostnames (``any_host``), with an exact
    hostname (``exact``) and with a wildcard (``wildcard``, keyed by ``.suffix``)."""

    atts: tuple[Attachment, ...]
    has_grpc: bool
    any_host: tuple[int, ...]
    exact: Mapping[str, tuple[int, ...]]
    wildcard: Mapping[str, tuple[int, ...]]

    def for_host(self, host: str) -> list[Attachment]:
        """The attachments whose hostnames may match ``host`` (module docstring)."""
        host = host.lower()
        found = set(self.any_host)
        found.update(self.exact.get(host, ()))
        if self.wildcard:
            dot = host.find(".", 1)
            while dot != -1:
                found.update(self.wildcard.get(host[dot:], ()))
                dot = host.find(".", dot + 1)
        return [self.atts[i] for i in sorted(found)]


def _listener_routes(atts: list[Attachment]) -> ListenerRoutes:
    exact: dict[str, list[int]] = defaultdict(list)
    wildcard: dict[str, list[int]] = defaultdict(list)
    any_host: list[int] = []
    for i, a in enumerate(atts):
        if not a.hostnames:
            any_host.append(i)
        for h in dict.fromkeys(h.lower() for h in a.hostnames):
            if h.startswith("*."):
                wildcard[h[1:]].append(i)
            else:
                exact[h].append(i)
    return ListenerRoutes(
        tuple(atts),
        any(a.route.kind == "GRPCRoute" for a in atts),
        tuple(any_host),
        MappingProxyType({h: tuple(v) for h, v in exact.items()}),
        MappingProxyType({h: tuple(v) for h, v in wildcard.items()}),
    )


def index_attachments(atts: Iterable[Attachment]) -> Mapping[ListenerKey, ListenerRoutes]:
    """Every listener's :class:`ListenerRoutes`, keyed by (Gateway, owner, listener name)."""
    grouped: dict[ListenerKey, list[Attachment]] = defaultdict(list)
    for a in atts:
        grouped[(a.gateway.key, a.owner, a.listener.name)].append(a)
    return MappingProxyType({k: _listener_routes(v) for k, v in grouped.items()})


NO_ROUTES = _listener_routes([])
