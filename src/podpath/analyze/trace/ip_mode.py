"""Stage 3, a load-balancer address asked from inside the cluster, by its ``ipMode``.

``status.loadBalancer.ingress[].ipMode`` (KEP-1860, GA in Kubernetes 1.32;
https://kubernetes.io/docs/concepts/services-networking/service/#load-balancer-ip-mode):

- ``VIP`` (the default): the load balancer delivers traffic with the load-balancer IP as
  destination, so kube-proxy binds that IP on every node and short-circuits an in-cluster
  client's connection to it straight to the Service's endpoints (the load balancer is never on
  the path; :class:`~podpath.analyze.trace.endpoints.ServiceAddress`);
- ``Proxy``: the load balancer proxies traffic to the node or pod, so kube-proxy does not bind
  the IP; an in-cluster client's connection leaves the cluster to the load balancer like any
  other, and the load balancer's rules apply: ``loadBalancerSourceRanges`` (or the provider
  profile's), and its path back in (source NAT per ``externalTrafficPolicy``).

With ``Proxy`` the pod's own egress policy is judged on the load-balancer address (an address
outside the cluster for NetworkPolicy), and the load balancer sees the client as the pod's node
address: traffic from a pod to an address outside the cluster network leaves masqueraded to
its node's IP (the usual CNI / ip-masq-agent rule; an assumption, noted on the hop).
"""

from __future__ import annotations

from dataclasses import replace

from podpath.analyze.trace.policy import drop_reason
from podpath.analyze.trace.values import Hop, Leg, PortSpec, Source
from podpath.cluster import Cluster
from podpath.engine.policy import evaluate
from podpath.engine.policy_rules import peer_for_ip
from podpath.engine.policy_verdict import PodPeer
from podpath.model.services import Service, ServicePort

PROXY = "Proxy"
VIP = "VIP"


def ip_mode(service: Service, address: str) -> str:
    """The ``ipMode`` of one of the Service's load-balancer addresses (VIP when unset)."""
    if address in service.lb_ingress and service.lb_ip_modes:
        return service.lb_ip_modes[service.lb_ingress.index(address)]
    return VIP


def proxied_client(
    cluster: Cluster, source: Source, service: Service, address: str, port: ServicePort
) -> tuple[Leg, Source]:
    """An in-cluster client's connection to an ``ipMode: Proxy`` address (module docstring):
    the hop out to the load balancer (dropped where the pod's egress policy denies it), and the
    client as the load balancer sees it, for the load-balancer stage that follows."""
    obj = (str(service.ref),)
    pod = source.pod
    node = cluster.node_by_name.get(pod.node_name or "") if pod is not None else None
    seen = node.internal_ips[0] if node is not None and node.internal_ips else source.ip
    if pod is not None and pod.host_network:
        seen = source.ip
    detail = (
        f"{address} has ipMode Proxy: kube-proxy does not short-circuit it; the connection "
        f"leaves the cluster to the load balancer, which sees client {seen}"
        + (" (pod egress masqueraded to its node's IP)" if seen != source.ip else "")
    )
    hops = [Hop("loadbalancer", detail, obj)]
    if pod is not None and not pod.host_network:
        verdict = evaluate(
            cluster, PodPeer(pod), peer_for_ip(cluster, address), port.port, port.protocol
        )
        if not verdict.egress.allowed:
            why = "; ".join(verdict.reasons) or "egress isolated"
            hops.append(Hop("policy", f"egress from {pod.key} to {address}: {why}", obj))
            return Leg(tuple(hops), drop=drop_reason(verdict)), source
    outside = replace(source, kind="ip", label=seen, pod=None, ip=seen)
    return Leg(tuple(hops)), outside


def proxied_spec(port: ServicePort) -> PortSpec:
    """The ``--port`` the load-balancer stage is asked on: the Service port found."""
    return PortSpec(port.port, port.protocol)
