"""What the routing engine derives from a cluster alone, made once for many requests to it.

:func:`podpath.engine.routing.route_request` needs, for every request, the Ingresses of each
class, the Gateways, every route's attachment to a listener and, for an ingress-nginx class,
its servers (locations) and canaries. None of it depends on the request, and a corpus of
requests (``podpath migrate``: every path of every host, from both sides) rebuilt it each time:
O(requests x objects). A :class:`RoutingContext` is made from one cluster
(:func:`routing_context`) and passed along with it (``route_request(..., context=ctx)``); the
answers are the same as without it. It lives as long as the caller keeps it: nothing is
cached in a module, and a context answers for the cluster it was made from only.
"""

from __future__ import annotations

from dataclasses import dataclass
from types import MappingProxyType
from typing import TYPE_CHECKING

from podpath.engine.gateway_attach import Attachment, attachments, gateways_by_key
from podpath.engine.gateway_index import ListenerKey, ListenerRoutes, index_attachments
from podpath.engine.ingress import ingresses_by_class
from podpath.engine.ingress_nginx import NginxServers, is_ingress_nginx
from podpath.model.gateway import Gateway
from podpath.model.ingress import Ingress

if TYPE_CHECKING:
    from collections.abc import Mapping

    from podpath.cluster import Cluster

MSG_OTHER_CLUSTER = "a routing context answers for the cluster it was made from only"


@dataclass(frozen=True, slots=True)
class RoutingContext:
    """The request-independent part of routing for ``cluster`` (module docstring):
    ``by_class`` the Ingresses of each class, ``gateways`` by ``NS/NAME``, ``attachments``
    every (route, listener) attachment, ``nginx`` the configuration of each ingress-nginx
    class (its servers built as requests reach them), ``by_listener`` the attachments by
    listener and host name (:mod:`podpath.engine.gateway_index`)."""

    cluster: Cluster
    by_class: Mapping[str, tuple[Ingress, ...]]
    gateways: Mapping[str, Gateway]
    attachments: tuple[Attachment, ...]
    nginx: Mapping[str, NginxServers]
    by_listener: Mapping[ListenerKey, ListenerRoutes]

    def of(self, cluster: Cluster) -> RoutingContext:
        """This context, checked to be ``cluster``'s."""
        if cluster is not self.cluster:
            raise ValueError(MSG_OTHER_CLUSTER)
        return self


def routing_context(cluster: Cluster) -> RoutingContext:
    """The routing context of ``cluster`` (module docstring)."""
    by_class, _ = ingresses_by_class(cluster)
    atts = attachments(cluster)
    nginx = {
        name: NginxServers(ings)
        for name, ings in by_class.items()
        if is_ingress_nginx(cluster, name)
    }
    return RoutingContext(
        cluster,
        MappingProxyType(by_class),
        MappingProxyType(gateways_by_key(cluster)),
        atts,
        MappingProxyType(nginx),
        index_attachments(atts),
    )
