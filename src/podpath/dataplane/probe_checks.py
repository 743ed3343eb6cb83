"""The checks of ``probe`` and the outcomes the model expects of each (no I/O).

Every expected outcome comes from the engines (:func:`podpath.engine.policy.evaluate`,
:func:`podpath.analyze.trace.dispatch.trace`); what each kind of check means is described in
:mod:`podpath.dataplane.probe`, which runs them.

Dual stack (``state["families"]``): a connection is of one family, so pod -> pod and pod ->
Service checks are made once per family brought up, between the addresses of that family,
expected from the verdict for that family (``PodPeer(family=F)``, ``trace --family``); the
others (internet, load balancers, routes, a provider's edge) are IPv4 only. Every check of a
dual-stack model carries its family.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from typing import Any

from podpath.cluster import Cluster
from podpath.cluster.service_network import is_dns_service
from podpath.dataplane.families import family_of
from podpath.dataplane.plan import DNS_PORT
from podpath.dataplane.probe_outcomes import (
    ANSWERED,
    DNS_TIMEOUT,
    IDENTITY_REQUEST,
    REFUSED,
    TIMEOUT,
    UNREACHABLE,
    Check,
    endpoint_outcome,
    no_endpoint,
    served_ports,
)
from podpath.dataplane.probe_provider import provider_checks
from podpath.dataplane.probe_routes import route_checks
from podpath.engine.dns_access import dns_verdicts
from podpath.engine.policy import evaluate
from podpath.engine.policy_rules import peer_for_ip
from podpath.engine.policy_verdict import INTERNET_IP, IPPeer, Peer, PodPeer
from podpath.engine.providers.base import ip_in
from podpath.model.core import Pod, Protocol
from podpath.model.services import Service, ServiceType


def _verdict(outcomes: set[str]) -> str:
    answered = {o for o in outcomes if o.startswith(ANSWERED)}
    if not outcomes:
        return UNREACHABLE
    if answered == outcomes:
        return "allowed"
    if not answered:
        return "denied" if TIMEOUT in outcomes else sorted(outcomes)[0]
    return "partial"


def _proxied(state: dict[str, Any]) -> set[tuple[str, int]]:
    """(pod, port) pairs where the Ingress/Gateway proxy listens."""
    return {(pod, target) for pod, target, _, _ in state.get("proxies", [])}


def families(state: dict[str, Any]) -> tuple[int, ...]:
    """The families brought up: (4,) single-stack, (4, 6) dual stack with IPv6 up."""
    return (4, 6) if "ipv6" in state.get("families", ()) else (4,)


def _fam(state: dict[str, Any], family: int) -> int | None:
    """The family a verdict is asked for: ``family`` on a dual-stack model, else None (any of
    a pod's addresses: the single-stack answers stay what they were)."""
    return family if "families" in state else None


def _address(pod: dict[str, Any], family: int) -> str | None:
    found = pod.get("ip6") if family == 6 else pod.get("ip")
    return found if isinstance(found, str) else None


def _pod_checks(cluster: Cluster, state: dict[str, Any]) -> Iterable[Check]:
    proxied = _proxied(state)
    pods = [p for p in state["pods"] if not p["host_network"]]
    for family in families(state):
        fam = _fam(state, family)
        for src in pods:
            if _address(src, family) is None:
                continue
            peer = PodPeer(cluster.pod_by_key[src["key"]], family=fam)
            for dst in pods:
                address = _address(dst, family)
                if dst["key"] == src["key"] or address is None:
                    continue
                target = PodPeer(cluster.pod_by_key[dst["key"]], family=fam)
                for port, proto, _ in dst["listeners"]:
                    allowed = evaluate(cluster, peer, target, port, Protocol(proto)).allowed
                    outcome = f"{ANSWERED} {dst['key']}" if allowed else TIMEOUT
                    model = "allowed" if allowed else "denied"
                    yield Check(
                        src["key"],
                        src["netns"],
                        dst["key"],
                        address,
                        port,
                        proto,
                        frozenset({outcome}),
                        model,
                        family=fam,
                        **_identity_request((dst["key"], port) in proxied and proto == "TCP"),
                    )


def _identity_request(http: bool) -> dict[str, Any]:
    return {"send": IDENTITY_REQUEST, "http": True} if http else {}


def _internet_checks(cluster: Cluster, state: dict[str, Any]) -> Iterable[Check]:
    """Every pod to the ``internet`` client on each port it serves (ports egress rules name,
    and one they do not). Expected: ``podpath trace --from POD --to INTERNET_IP --port P``
    (:func:`podpath.analyze.trace.dispatch.trace`): allowed -> answered by ``internet``, denied ->
    timeout (egress is the only side with a policy)."""
    from podpath.analyze.trace.dispatch import trace

    internet = state["internet"]
    for src in (p for p in state["pods"] if not p["host_network"]):
        for port, proto, _ in internet.get("listeners", []):
            verdict = trace(
                cluster, src["key"], internet["ip"], f"{port}/{proto}", family=_fam(state, 4)
            ).verdict
            outcome = f"{ANSWERED} internet" if verdict == "allowed" else TIMEOUT
            yield Check(
                src["key"],
                src["netns"],
                "internet",
                internet["ip"],
                port,
                proto,
                frozenset({outcome}),
                verdict,
            )


def _dns_outcomes(cluster: Cluster, pod: Pod) -> set[str]:
    """``dns-timeout`` when policy denies this pod's DNS over UDP to some cluster DNS pod (its
    queries land on any of them): :func:`podpath.engine.dns_access.dns_verdicts`, the verdicts
    trace's DNS hop and doctor read."""
    found = dns_verdicts(cluster, pod)
    if found is None or found.assumed:
        return set()
    return {DNS_TIMEOUT} if any(not v.allowed for v in found.of(Protocol.UDP)) else set()


def _probed_services(cluster: Cluster, family: int) -> list[Service]:
    return [
        s
        for s in cluster.services
        if s.external_name is None
        and not s.headless
        and any(family_of(ip) == family for ip in s.cluster_ips)
    ]


def _traced_outcomes(
    cluster: Cluster,
    source: str,
    svc: Service,
    pe: Any,
    served: dict[str, set[tuple[int, str]]],
    family: int | None = None,
) -> tuple[set[str], str]:
    """The outcomes ``trace --from SOURCE --to svc:NS/NAME --port PORT/PROTO`` allows, mapped
    to what a connection does here: an endpoint pod ``allowed`` answers when it serves the
    target port (refused otherwise), ``denied`` times out; an endpoint that is no policed
    pod's answers/refuses as its address does (:func:`endpoint_outcome`). With no endpoint
    the trace says only "unreachable"; whether that is a reject or a drop is this data plane's
    (:func:`no_endpoint`)."""
    from podpath.analyze.trace.dispatch import trace

    proto = pe.service_port.protocol.value
    result = trace(
        cluster, source, f"svc:{svc.key}", f"{pe.service_port.port}/{proto}", family=family
    )
    out: set[str] = set()
    by_ip = {e.ip: e for e in pe.ready}
    src = PodPeer(cluster.pod_by_key[source], family=family)
    for e in result.endpoints:
        pod = cluster.pod_by_key.get(e.pod or "")
        if pod is None or pod.host_network:
            ep = by_ip.get(e.ip)
            if e.verdict == "denied":
                out.add(TIMEOUT)
            elif ep is not None:
                out.add(endpoint_outcome(cluster, src, ep, proto, served, family))
            continue
        if e.verdict == "denied":
            out.add(TIMEOUT)
        elif (e.port, proto) in served.get(pod.key, set()):
            out.add(f"{ANSWERED} {pod.key}")
        else:
            out.add(REFUSED)
    return out or no_endpoint(pe.ready, family or 4), result.verdict


def _service_checks(
    cluster: Cluster, state: dict[str, Any], protocols: set[str]
) -> Iterable[Check]:
    """Every pod to every Service port by DNS name; expected from ``trace``
    (:func:`_traced_outcomes`), plus ``dns-timeout`` where policy blocks the pod's DNS."""
    served = served_ports(state)
    proxied = _proxied(state)
    zone = cluster.settings.cluster_domain
    for family in families(state):
        fam = _fam(state, family)
        services = _probed_services(cluster, family)
        for src in (p for p in state["pods"] if not p["host_network"]):
            if _address(src, family) is None:
                continue
            pod = cluster.pod_by_key[src["key"]]
            dns = _dns_outcomes(cluster, pod)
            for svc in services:
                for pe in cluster.endpoints.get(svc.key, ()):
                    proto = pe.service_port.protocol.value
                    if proto not in protocols:
                        continue
                    outcomes, model = _traced_outcomes(cluster, pod.key, svc, pe, served, fam)
                    eps = [e for e in pe.ready if family_of(e.ip) == family]
                    yield Check(
                        src["key"],
                        src["netns"],
                        f"svc:{svc.key}",
                        f"{svc.name}.{svc.namespace}.svc.{zone}",
                        pe.service_port.port,
                        proto,
                        frozenset(outcomes | dns),
                        model,
                        dns=is_dns_service(svc) and pe.service_port.port == DNS_PORT,
                        family=fam,
                        **_identity_request(
                            proto == "TCP" and any((e.pod, e.port) in proxied for e in eps)
                        ),
                    )


def _external_checks(
    cluster: Cluster, state: dict[str, Any], protocols: set[str]
) -> Iterable[Check]:
    served = served_ports(state)
    proxied = _proxied(state)
    nodes = {n["name"]: n["ip"] for n in state["nodes"]}
    lb_node = {ip: node_ip for ip, node_ip in state.get("lb_routes", [])}
    netns = state["internet"]["netns"]
    prov = state.get("provider") or {}
    taken = {f[0] for f in prov.get("frontends", [])}  # probed as the provider builds them
    reach = prov.get("nodes_reachable")
    nodes_unreachable = reach is not None and not ip_in(INTERNET_IP, reach)
    for svc in cluster.services:
        if svc.type not in (ServiceType.NODE_PORT, ServiceType.LOAD_BALANCER):
            continue
        local = svc.external_traffic_policy == "Local"
        for pe in cluster.endpoints.get(svc.key, ()):
            proto = pe.service_port.protocol.value
            if proto not in protocols:
                continue
            targets: list[tuple[str, int, str]] = []
            if pe.service_port.node_port:
                targets += [(ip, pe.service_port.node_port, ip) for ip in nodes.values()]
            if svc.type is ServiceType.LOAD_BALANCER and svc.key not in taken:
                targets += [
                    (ip, pe.service_port.port, lb_node[ip])
                    for ip in svc.lb_ingress
                    if ip in lb_node
                ]
            for address, port, node_ip in targets:
                node = cluster.node_at(node_ip)
                eps = [e for e in pe.ready if family_of(e.ip) == 4]
                if local:
                    eps = [e for e in eps if node is not None and e.node_name == node.name]
                src: Peer = IPPeer(INTERNET_IP) if local else peer_for_ip(cluster, node_ip)
                fam = _fam(state, 4)
                outcomes = {endpoint_outcome(cluster, src, e, proto, served, fam) for e in eps}
                outcomes = outcomes or no_endpoint(pe.ready)
                if nodes_unreachable:  # the provider's nodes are on a private network
                    outcomes = {UNREACHABLE}
                yield Check(
                    "internet",
                    netns,
                    f"svc:{svc.key}",
                    address,
                    port,
                    proto,
                    frozenset(outcomes),
                    _verdict(outcomes),
                    **_identity_request(
                        proto == "TCP" and any((e.pod, e.port) in proxied for e in eps)
                    ),
                )


def build_checks(cluster: Cluster, state: dict[str, Any], *, services: bool = True) -> list[Check]:
    protocols = {"TCP", "UDP"}
    checks = list(_pod_checks(cluster, state))
    if services:
        checks += list(_service_checks(cluster, state, protocols))
        checks += list(_external_checks(cluster, state, protocols))
    if services:
        checks += list(_internet_checks(cluster, state))
        checks += list(route_checks(cluster, state))
        checks += list(provider_checks(cluster, state))
    if "families" in state:  # dual stack: every check says its family (the rest are IPv4)
        checks = [c if c.family is not None else replace(c, family=4) for c in checks]
    return checks
