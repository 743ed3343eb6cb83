"""What reaches a pod from outside the cluster: the entry paths that lead to it, each written
as a DST that ``trace --from internet|IP`` takes.

From outside, a packet never names a pod: it is sent to an address that something exposes and
reaches the pod through it. Those things are a Service of type LoadBalancer or NodePort, or one
with ``externalIPs``, with the pod among its endpoints
(https://kubernetes.io/docs/concepts/services-networking/service/#publishing-services-service-types,
#external-ips); and an Ingress or Gateway API route whose backend's endpoints hold the pod (the
routing table of :func:`podpath.analyze.routes.routing_table`).
"""

from __future__ import annotations

from podpath.analyze.routes import routing_table
from podpath.cluster import Cluster
from podpath.model.core import Pod
from podpath.model.services import ServiceType

EXPOSING_TYPES = (ServiceType.LOAD_BALANCER, ServiceType.NODE_PORT)


def exposures(cluster: Cluster, pods: tuple[Pod, ...]) -> tuple[str, ...]:
    """Each entry path to ``pods`` as ``DST (what it is)``, sorted: ``svc:NS/NAME`` for an
    exposing Service, ``http://HOST/PATH`` for a route (``ADDRESS`` when its host is ``*``)."""
    keys = {p.key for p in pods}
    out: list[str] = []
    for svc in cluster.services:
        if svc.type not in EXPOSING_TYPES and not svc.external_ips:
            continue
        ports = cluster.endpoints.get(svc.key, ())
        if any(e.pod in keys for pe in ports for e in pe.endpoints):
            how = svc.type.value + (" with externalIPs" if svc.external_ips else "")
            out.append(f"svc:{svc.key} ({how})")
    for row in routing_table(cluster)["routes"]:
        backends = row["backends"]
        if not any(pod in keys for b in backends for pod in b.get("endpoints") or ()):
            continue
        host = row["host"] if row["host"] not in ("", "*", None) else "ADDRESS"
        path = (row["match"] or "/").split()[0]
        path = path if path.startswith("/") else "/"
        out.append(f"http://{host}{path} ({row['object']} via {row['entry_point']})")
    return tuple(sorted(dict.fromkeys(out)))


def not_a_destination_from_outside(cluster: Cluster, dst: str, pods: tuple[Pod, ...]) -> str:
    """The one-line answer to ``--from internet --to NS/POD``: what reaches the pod from
    outside, to trace (or that nothing does)."""
    found = exposures(cluster, pods)
    if not found:
        return (
            f"{dst!r}: from outside, a pod is reached only through what exposes it, and nothing "
            "exposes it (no LoadBalancer, NodePort or externalIPs Service, no Ingress or Gateway "
            "route leads to it): it is unreachable from outside the cluster"
        )
    first = found[0].split(" ", 1)[0]
    return (
        f"{dst!r}: from outside, a pod is reached only through what exposes it: "
        f"{'; '.join(found)}. Trace each as --to (e.g. --to {first}): the trace says whether it "
        "gets there and, with --provider, the address the pod sees"
    )
