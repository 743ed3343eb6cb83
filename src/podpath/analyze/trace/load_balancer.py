"""Stage 3 with a provider profile (``--provider``): the load balancer as the provider builds
it, between the client outside and the pods.

The profile (:mod:`podpath.engine.providers`) decides; this module follows its
:class:`~podpath.engine.providers.base.Decision` for one connection and writes the
``load-balancer`` hop that names it (the load balancer, its scheme, target mode, where the
source ranges are enforced, what the pods see):

1. scheme: an internal load balancer serves only its network (``reachable_from``: the VPC or
   VNet); any other client gets "no route";
2. source ranges: checked where the provider enforces them, unless the provider ignores them
   (then a note says why); clients the provider's defaults let past them (``bypass``) get in;
3. the path: straight to the pod IPs; through the NodePort or passthrough to the node, where
   kube-proxy applies ``externalTrafficPolicy`` (Cluster: source NAT to the node's IP, any
   ready endpoint; Local: the address the load balancer hands on, the nodes with an endpoint,
   which the health check picks); to the ClusterIP (kube-proxy masquerades it to the node).

The source the pods see is handed to stage 5 as a
:class:`~podpath.analyze.trace.endpoints.NodeForward` (no node: every ready endpoint) and
judged by NetworkPolicy in stage 6. For an entry point the provider itself implements (an ALB,
an Application Gateway, GKE's Ingress and Gateway load balancers, cloud-provider-kind), the load
balancer takes the request to the backends' pods or NodePorts directly: no controller pod is on
the path (:func:`provider_entry`).
"""

from __future__ import annotations

from podpath.analyze.trace.endpoints import NodeForward, mapping, ready_endpoints
from podpath.analyze.trace.entry import matched_route
from podpath.analyze.trace.policy import judge
from podpath.analyze.trace.values import (
    DENIED_SOURCE_RANGES,
    NO_ENDPOINTS,
    NO_LISTENER,
    NO_ROUTE,
    Hop,
    Leg,
    PortSpec,
    Source,
    Target,
)
from podpath.cluster import Cluster
from podpath.engine.ingress import ingress_host_matches, ingresses_by_class
from podpath.engine.providers.alb import alb_groups, alb_route, is_alb, with_group_annotations
from podpath.engine.providers.base import Choice, Decision, Path, ip_in
from podpath.model.ingress import Ingress, IngressClass
from podpath.model.routing import EntryPoint, Request, RouteAnswer
from podpath.model.services import Service, ServicePort, ServiceType

LB_STEP = "load-balancer"
DENIED_PROVIDER_RANGES = "denied by source ranges of {what}"


def describe(decision: Decision, seen: tuple[str, ...]) -> str:
    """The ``load-balancer`` hop's words: which load balancer and why, scheme, target mode,
    the source the pods see."""
    path = {
        Path.POD_DIRECT: "straight to the pod IPs (kube-proxy is not on the path)",
        Path.NODE_PORT: "to the NodePort on the nodes, kube-proxy forwards",
        Path.PASSTHROUGH: "passthrough to the node, destination the load-balancer address",
        Path.CLUSTER_IP: "to the ClusterIP via the node",
    }[decision.path]
    who = "the client's address" if decision.seen.value == "client" else "its own address"
    return (
        f"{decision.label} ({decision.why}); scheme {decision.scheme} ({decision.scheme_why}); "
        f"target {decision.target}: {path}; hands on {who} ({', '.join(seen)})"
    )


def gate(decision: Decision, source: Source, drop: str, obj: tuple[str, ...]) -> Leg | None:
    """Scheme and source ranges (module docstring 1, 2): a leg that drops, or None."""
    if not decision.reachable(source.ip) and not decision.reachable_from:
        detail = f"{decision.label}: {decision.scheme_why}; client {source.ip} cannot reach it"
        return Leg((Hop(LB_STEP, detail, obj),), drop=NO_ROUTE)
    if not decision.reachable(source.ip):
        detail = (
            f"{decision.label} is {decision.scheme}: reachable only from "
            f"{', '.join(decision.reachable_from)}; client {source.ip} is not"
        )
        return Leg((Hop(LB_STEP, detail, obj),), drop=NO_ROUTE)
    ranges = decision.ranges
    if ranges.ignored is None and ranges.cidrs and not ranges.admits(source.ip):
        detail = (
            f"client {source.ip} not in {ranges.origin} {', '.join(ranges.cidrs)} "
            f"(enforced by {ranges.at})"
        )
        return Leg((Hop(LB_STEP, detail, obj),), drop=drop)
    return None


def range_notes(decision: Decision, source: Source) -> tuple[str, ...]:
    """What the source ranges did: enforced where, ignored why, bypassed by whom."""
    r = decision.ranges
    if not r.cidrs:
        return ()
    cidrs = ", ".join(r.cidrs)
    if r.ignored is not None:
        return (f"{r.origin} {cidrs} ignored: {r.ignored}",)
    if not ip_in(source.ip, r.cidrs) and ip_in(source.ip, r.bypass):
        return (
            f"client {source.ip} is not in {r.origin} {cidrs} but gets in: "
            f"{', '.join(r.bypass)} is admitted whatever the ranges say",
        )
    return (f"client {source.ip} in {r.origin} {cidrs} (enforced by {r.at})",)


def node_ips(cluster: Cluster) -> tuple[str, ...]:
    return tuple(n.internal_ips[0] for n in cluster.nodes if n.internal_ips)


def after_kube_proxy(
    cluster: Cluster, decision: Decision, service: Service, seen: tuple[str, ...]
) -> tuple[tuple[str, ...], str]:
    """The source the pods see once kube-proxy has the connection (module docstring 3)."""
    if decision.path is Path.POD_DIRECT:
        return seen, f"pods see {', '.join(seen)}"
    if decision.path is Path.CLUSTER_IP:
        ips = node_ips(cluster)
        return ips, f"kube-proxy masquerades to the node IP ({', '.join(ips)})"
    if service.external_traffic_policy == "Local":
        why = "the health check skips the others" if decision.health else "only they attract it"
        return seen, (
            f"externalTrafficPolicy Local: the nodes with a ready endpoint ({why}); "
            f"source {', '.join(seen)} kept"
        )
    ips = node_ips(cluster)
    return ips, (
        "externalTrafficPolicy Cluster: any node forwards with source NAT to the node IP "
        f"({', '.join(ips)})"
    )


def provider_load_balancer(
    cluster: Cluster, source: Source, service: Service, address: str, sp: ServicePort
) -> tuple[Leg, NodeForward | None] | None:
    """A LoadBalancer Service's address from outside, as the provider builds it; None
    without a provider, or when the Service is not the provider's (module docstring)."""
    choice = source.provider
    decision = choice.service(service) if choice is not None else None
    if decision is None:
        return None
    obj = (str(service.ref),)
    dropped = gate(decision, source, DENIED_SOURCE_RANGES.format(service=service.key), obj)
    if dropped is not None:
        return dropped, None
    seen = decision.seen_addresses(source.ip)
    lead = Hop(LB_STEP, f"{address} port {sp.label}: " + describe(decision, seen), obj)
    notes = (*range_notes(decision, source), *decision.notes, *docs(decision))
    if decision.path is Path.NODE_PORT and sp.node_port is None:
        hop = Hop("node", f"{service.key} port {sp.label} has no NodePort", obj)
        return Leg((lead, hop), notes, drop=NO_LISTENER), None
    after, detail = after_kube_proxy(cluster, decision, service, seen)
    hop = Hop("node" if decision.path is not Path.POD_DIRECT else "pod", detail, obj)
    return Leg((lead, hop), notes), NodeForward(service, sp, None, after)


def docs(decision: Decision) -> tuple[str, ...]:
    """The pages the decision follows, as one note."""
    return (f"{decision.provider} documentation: " + "; ".join(map(str, decision.cites)),)


def lb_service_at(cluster: Cluster, choice: Choice | None, ip: str) -> Service | None:
    """A LoadBalancer Service whose load-balancer address is its ClusterIP for the provider
    (``minikube tunnel``)."""
    svc = cluster.service_at(ip)
    if choice is None or svc is None or svc.type is not ServiceType.LOAD_BALANCER:
        return None
    decision = choice.service(svc)
    if decision is None or decision.path is not Path.CLUSTER_IP or ip not in svc.cluster_ips:
        return None
    return svc


def nodes_unreachable(source: Source, what: str) -> Leg | None:
    """A leg that drops when the provider's nodes cannot be reached from the client (a local
    cluster on the host's private network), else None."""
    choice = source.provider
    if choice is None or choice.nodes_reachable_from(source.ip):
        return None
    detail = (
        f"{what}: the {choice.profile.title} nodes are on the host's private network; "
        f"client {source.ip} cannot reach them"
    )
    return Leg((Hop("route", detail, ()),), drop=NO_ROUTE)


def entry_decision(
    cluster: Cluster, choice: Choice, ep: EntryPoint, answer: RouteAnswer, request: Request
) -> tuple[Decision, RouteAnswer, str] | None:
    """The provider's load balancer for an entry point it implements itself, and the answer
    it gives (an ALB evaluates its IngressGroup's rules in its own order); None otherwise."""
    backend = cluster.service_by_key.get(answer.backend.service or "") if answer.backend else None
    if ep.kind == "Gateway":
        gw = next((g for g in cluster.of_kind("Gateway") if g.key == ep.name), None)
        gcls = next((c for c in cluster.of_kind("GatewayClass") if c.name == ep.class_name), None)
        decision = choice.gateway(gw, gcls) if gw is not None and gcls is not None else None
        return (decision, answer, ep.label) if decision is not None else None
    cls: IngressClass | None = next(
        (c for c in cluster.of_kind("IngressClass") if c.name == ep.class_name), None
    )
    ingresses = ingresses_by_class(cluster)[0].get(ep.class_name, ())
    ingress = _matched_ingress(answer, ingresses, request)
    if ingress is None:
        return None
    label = ep.label
    if choice.name == "eks" and is_alb(cls, ep.class_name):
        group = next(g for g in alb_groups(ingresses) if ingress in g.ingresses)
        answer = alb_route(cluster, group, request)
        backend = (
            cluster.service_by_key.get(answer.backend.service or "") if answer.backend else None
        )
        matched = answer.match.object if answer.match else ""
        ingress = with_group_annotations(
            group, next((i for i in group.ingresses if i.key == matched), ingress)
        )
        label = f"{ep.label} ({group.label})"
    decision = choice.ingress(ingress, cls, backend)
    return (decision, answer, label) if decision is not None else None


def provider_implements(
    cluster: Cluster, source: Source, ep: EntryPoint, answer: RouteAnswer, request: Request
) -> bool:
    """Whether the provider's own load balancer is the entry point (no controller pods)."""
    choice = source.provider
    return choice is not None and entry_decision(cluster, choice, ep, answer, request) is not None


def _matched_ingress(
    answer: RouteAnswer, ingresses: tuple[Ingress, ...], request: Request
) -> Ingress | None:
    """The Ingress the answer matched, else the first one with a rule for the host."""
    if answer.match is not None and answer.match.kind == "Ingress":
        found = next((i for i in ingresses if i.key == answer.match.object), None)
        if found is not None:
            return found
    for ing in ingresses:
        if any(ingress_host_matches(r.host, request.host) for r in ing.rules):
            return ing
    return ingresses[0] if ingresses else None


def provider_entry(
    cluster: Cluster,
    source: Source,
    ep: EntryPoint,
    request: Request,
    answer: RouteAnswer,
    spec: PortSpec,
) -> Leg | None:
    """Client -> the provider's load balancer -> the matched rule -> the backends' pods (or
    NodePorts), judged by NetworkPolicy from the load balancer's side; None when the provider
    does not implement this entry point itself (module docstring)."""
    choice = source.provider
    found = entry_decision(cluster, choice, ep, answer, request) if choice else None
    if found is None:
        return None
    decision, answer, label = found
    obj = (ep.label,)
    dropped = gate(decision, source, DENIED_PROVIDER_RANGES.format(what=ep.label), obj)
    if dropped is not None:
        return dropped
    seen = decision.seen_addresses(source.ip)
    lead = Hop(LB_STEP, f"{label}: " + describe(decision, seen), obj)
    notes = (*range_notes(decision, source), *decision.notes, *docs(decision))
    leg = Leg((lead,), notes) + matched_route(request, answer, ep)
    if leg.drop is not None:
        return leg
    backends = to_backends(cluster, decision, answer, seen)
    if backends.drop is not None:
        return leg + backends
    return leg + backends + judge(cluster, backends.targets, spec.protocol, "NetworkPolicy")


def to_backends(
    cluster: Cluster, decision: Decision, answer: RouteAnswer, seen: tuple[str, ...]
) -> Leg:
    """Each weighted backend's ready endpoints, reached the provider's way."""
    hops: list[Hop] = []
    targets: list[Target] = []
    for backend in answer.backends:
        svc = cluster.service_by_key.get(backend.service or "")
        if svc is None or backend.status is not None or backend.weight <= 0:
            continue
        sp = next((p for p in svc.ports if p.port == backend.port), None)
        obj = (str(svc.ref),)
        if decision.path is Path.NODE_PORT and (sp is None or sp.node_port is None):
            detail = f"backend {svc.key} has no NodePort for {decision.target} targets"
            hops.append(Hop("service", detail, obj))
            continue
        after, how = after_kube_proxy(cluster, decision, svc, seen)
        ready = ready_endpoints(cluster, svc, sp)
        hops.append(
            Hop(
                "service",
                f"backend {svc.key} port {backend.port} (weight {backend.weight}): {how}; "
                f"ready endpoints {mapping(ready)}",
                obj,
            )
        )
        for e in ready:
            pod = cluster.pod_by_key.get(e.pod) if e.pod else None
            targets.append(Target(e.ip, e.port, pod, after, None))
    return Leg(tuple(hops), targets=tuple(targets), drop=None if targets else NO_ENDPOINTS)
