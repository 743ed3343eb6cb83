"""Stage 1, the source: who opens the connection -- a pod, an IP (a pod's, a node's, or
outside the cluster) or ``internet`` -- and the ``source`` hop that names it.

A pod's IP stands for that pod and a node's IP for that node; any other address, and
``internet`` (:data:`INTERNET_CLIENT_IP`, TEST-NET-3), is a client outside the cluster.
"""

from __future__ import annotations

from podpath.analyze.trace.values import (
    INTERNET,
    INTERNET_CLIENT_IP,
    Hop,
    Leg,
    Source,
    TraceError,
    pick,
)
from podpath.cluster import Cluster
from podpath.engine.dns import is_ip


def parse_source(cluster: Cluster, text: str) -> Source:
    """A pod ``NS/NAME`` (or ``NS/WORKLOAD``: its first pod), an IP (a pod's is that pod),
    or ``internet``."""
    if text.lower() == INTERNET:
        return Source(INTERNET, INTERNET, ip=INTERNET_CLIENT_IP)
    if is_ip(text):
        pod = cluster.pod_by_ip.get(text)
        if pod is not None:
            return Source("pod", pod.key, pod=pod, ip=text)
        node = cluster.node_at(text)
        return Source("ip", f"{text} (node {node.name})" if node else text, ip=text)
    pod = cluster.find_pod(text)
    if pod is None:
        raise TraceError(f"no pod {text!r} (SRC is NS/NAME, NS/WORKLOAD, an IP or internet)")
    return Source("pod", pod.key, pod=pod, ip=pick(pod.ips, None) or "")


def is_outside(cluster: Cluster, source: Source) -> bool:
    """``internet``, or an address that is no pod's and no node's."""
    if source.kind == INTERNET:
        return True
    return (
        source.kind == "ip"
        and cluster.pod_by_ip.get(source.ip) is None
        and cluster.node_at(source.ip) is None
    )


def source_leg(source: Source) -> Leg:
    """The ``source`` hop: the pod and its node, the address, or the client outside."""
    if source.pod is not None:
        pod = source.pod
        net = " (host network)" if pod.host_network else ""
        detail = f"pod {pod.key} {source.ip or '(no IP)'} on node {pod.node_name}{net}"
        return Leg((Hop("source", detail, (str(pod.ref),)),))
    return Leg((Hop("source", f"address {source.label}"),))


def outside_leg(source: Source) -> Leg:
    """The ``source`` hop of a client outside the cluster."""
    return Leg((Hop("source", f"client {source.ip} outside the cluster"),))
