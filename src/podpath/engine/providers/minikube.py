"""minikube (https://minikube.sigs.k8s.io/docs/handbook/accessing/#loadbalancer-access,
https://minikube.sigs.k8s.io/docs/commands/tunnel/): "tunnel creates a route to services
deployed with type LoadBalancer and sets their Ingress to their ClusterIP" -- a route on the
host to the ClusterIP via the node; without ``minikube tunnel`` the address stays pending and
nothing is reachable. The ingress addon (https://kubernetes.io/docs/tasks/access-application-cluster/ingress-minikube/)
runs ingress-nginx on the node's ports 80/443, reached at the node's address, from the host.
"""

from __future__ import annotations

from podpath.engine.providers.base import (
    INTERNAL,
    KUBE_PROXY_MASQ,
    Cite,
    Decision,
    Params,
    ParamSpec,
    Path,
    Profile,
    Ranges,
    Seen,
)
from podpath.model.services import Service

TUNNEL_CITE = Cite(
    "https://minikube.sigs.k8s.io/docs/handbook/accessing/#loadbalancer-access",
    "LoadBalancer access: minikube tunnel",
)
TUNNEL_COMMAND = Cite("https://minikube.sigs.k8s.io/docs/commands/tunnel/", "tunnel")


def minikube_host(params: Params) -> tuple[str, ...]:
    """The host running minikube (and ``minikube tunnel``): the only client outside."""
    return tuple(f"{h}/32" for h in params.cidrs("host-ip"))


def minikube_service(service: Service, params: Params) -> Decision | None:
    """``minikube tunnel``: the load-balancer address is the ClusterIP, routed from the host
    via the node; without the tunnel nothing is reachable (module docstring)."""
    if service.lb_class is not None:
        return None
    tunnel = params.get("tunnel").lower() in ("on", "true")
    return Decision(
        "minikube",
        "minikube tunnel" if tunnel else "minikube (no tunnel)",
        "minikube tunnel routes every LoadBalancer Service's ClusterIP from the host",
        INTERNAL,
        "routed only from the host running minikube tunnel"
        if tunnel
        else "without minikube tunnel the address stays pending",
        Path.CLUSTER_IP,
        "ClusterIP",
        Seen.CLIENT,
        Ranges(
            service.lb_source_ranges,
            "spec.loadBalancerSourceRanges" if service.lb_source_ranges else "",
            "kube-proxy's load-balancer rules",
            "the tunnel routes to the ClusterIP, not the load-balancer address"
            if service.lb_source_ranges
            else None,
        ),
        None,
        minikube_host(params) if tunnel else (),
        (),
        (
            "the load-balancer address is the ClusterIP; kube-proxy masquerades traffic from "
            "outside the cluster CIDR to the node",
        ),
        (TUNNEL_CITE, TUNNEL_COMMAND, KUBE_PROXY_MASQ),
    )


PROFILE = Profile(
    "minikube",
    "minikube",
    (
        ParamSpec("tunnel", "on", "on: minikube tunnel is running; off: it is not"),
        ParamSpec("host-ip", "192.168.49.1", "the host's address on the minikube network"),
        ParamSpec("network", "192.168.49.0/24", "the minikube network (the docker driver's)"),
    ),
    minikube_service,
    nodes_reachable=lambda params: params.cidrs("network"),
    docs=(TUNNEL_CITE, TUNNEL_COMMAND),
)
