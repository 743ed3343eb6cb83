"""``probe`` with a provider profile: every client outside to every frontend of the provider's
load balancers, compared with ``trace --from CLIENT --to svc:NS/NAME --port PORT/PROTO
--provider NAME`` (no I/O).

The trace says which endpoints a connection can land on, the address each pod sees
(``source_ips``) and whether NetworkPolicy admits it; the servers answer ``NS/NAME from
SOURCE``, so the check compares the pod *and* the source it saw. A trace without endpoints
maps to what the packet meets here: ``no route`` (an internal load balancer, nodes that
cannot be reached) -> ICMP net-unreachable; source ranges -> dropped (timeout); no NodePort
-> refused; no endpoints -> refused or unreachable (as :func:`no_endpoint`).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from podpath.analyze.trace.values import NO_LISTENER, NO_ROUTE, TraceResult
from podpath.cluster import Cluster
from podpath.dataplane.probe_outcomes import (
    ANSWERED,
    IDENTITY_REQUEST,
    REFUSED,
    TIMEOUT,
    UNREACHABLE,
    Check,
    no_endpoint,
    served_ports,
    without_source,
)
from podpath.engine.policy import evaluate
from podpath.engine.policy_rules import peer_for_ip
from podpath.engine.policy_verdict import PodPeer
from podpath.engine.providers import choose
from podpath.engine.providers.base import Choice
from podpath.model.core import Protocol
from podpath.model.services import Endpoint


def recorded_choice(state: dict[str, Any]) -> Choice | None:
    """The profile ``up`` was given, from the state (None: the generic model)."""
    prov = state.get("provider")
    if not isinstance(prov, dict):
        return None
    return choose(str(prov["name"]), {str(k): str(v) for k, v in prov["params"].items()})


def traced_outcomes(
    cluster: Cluster,
    result: TraceResult,
    protocol: str,
    ready: Iterable[Endpoint],
    served: dict[str, set[tuple[int, str]]],
) -> set[str]:
    """What one connection may do, per endpoint and per address the pod sees (module
    docstring)."""
    if not result.endpoints:
        drop = result.drop or ""
        if drop == NO_ROUTE:
            return {UNREACHABLE}
        if drop.startswith("denied"):
            return {TIMEOUT}
        if drop == NO_LISTENER:
            return {REFUSED}
        return no_endpoint(ready)
    out: set[str] = set()
    for e in result.endpoints:
        pod = cluster.pod_by_key.get(e.pod or "")
        if e.verdict == "denied":
            out.add(TIMEOUT)
            continue
        if pod is None or (e.port, protocol) not in served.get(pod.key, set()):
            out.add(REFUSED if pod is not None else f"{ANSWERED} {e.ip}")
            continue
        for ip in e.source_ips or ("",):
            allowed = e.verdict == "allowed" or (
                bool(ip)
                and evaluate(
                    cluster, peer_for_ip(cluster, ip), PodPeer(pod), e.port, Protocol(protocol)
                ).allowed
            )
            if not allowed:
                out.add(TIMEOUT)
            else:
                out.add(f"{ANSWERED} {pod.key} from {ip}" if ip else f"{ANSWERED} {pod.key}")
    return out


def health_checks(cluster: Cluster, state: dict[str, Any]) -> Iterable[Check]:
    """The load balancer's health checks that reach the pods (EKS ip targets), from the edge
    with the check's source address: answered by the pod where its NetworkPolicies admit the
    source (:func:`evaluate`, as ``doctor``'s health-check finding), else timeout."""
    prov = state["provider"]
    served = served_ports(state)
    for service, source, ip, port in prov.get("health", []):
        pod = cluster.pod_by_ip.get(ip)
        if pod is None:
            continue
        allowed = evaluate(cluster, peer_for_ip(cluster, source), PodPeer(pod), port, Protocol.TCP)
        if not allowed.allowed:
            outcome = TIMEOUT
        elif (port, "TCP") in served.get(pod.key, set()):
            outcome = f"{ANSWERED} {pod.key} from {source}"
        else:
            outcome = REFUSED
        yield Check(
            f"health-check {source} ({service})",
            prov["edge"],
            pod.key,
            ip,
            port,
            "TCP",
            frozenset({outcome}),
            "allowed" if allowed.allowed else "denied",
            seen=True,
            bind=source,
        )


def provider_checks(cluster: Cluster, state: dict[str, Any]) -> Iterable[Check]:
    """Every client to every frontend (module docstring), and the health checks to pods."""
    from podpath.analyze.trace.dispatch import trace

    choice = recorded_choice(state)
    if choice is None:
        return
    yield from health_checks(cluster, state)
    prov = state["provider"]
    served = served_ports(state)
    proxied = {(pod, target) for pod, target, _, _ in state.get("proxies", [])}
    for name, netns, ip in prov["clients"]:
        source = "internet" if name == "internet" else ip
        for service, address, port, protocol in prov["frontends"]:
            svc = cluster.service_by_key.get(service)
            pe = next(
                (
                    p
                    for p in cluster.endpoints.get(service, ())
                    if p.service_port.port == port and p.service_port.protocol.value == protocol
                ),
                None,
            )
            if svc is None or pe is None:
                continue
            result = trace(cluster, source, f"svc:{service}", f"{port}/{protocol}", provider=choice)
            outcomes = traced_outcomes(cluster, result, protocol, pe.ready, served)
            # a proxy answers for its pod with an HTTP identity, without the source it saw
            http = protocol == "TCP" and any((e.pod, e.port) in proxied for e in pe.ready)
            if http:
                outcomes = {without_source(o) for o in outcomes}
            yield Check(
                name,
                netns,
                f"svc:{service}",
                address,
                port,
                protocol,
                frozenset(outcomes),
                result.verdict,
                seen=not http,
                send=IDENTITY_REQUEST if http else b"",
                http=http,
            )
