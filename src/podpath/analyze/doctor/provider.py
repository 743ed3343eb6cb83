"""The provider step (``--provider``): what the platform's load balancers do that the
manifests do not say. Each finding cites the provider's page (the profile's
:class:`~podpath.engine.providers.base.Cite`); the verdicts are the policy engine's.

- ``provider-health-check-denied``: the load balancer's health checks reach the pods (ip / NEG
  / Application Gateway targets) or a NodePort kube-proxy forwards to them, and the backends'
  NetworkPolicies deny their source: every target is unhealthy, no traffic is sent;
- ``provider-lb-traffic-denied``: the load balancer sends to the pods from its own addresses
  (a proxy, or an NLB without client IP preservation) and the policies deny them;
- ``provider-source-ranges-ignored``: source ranges the provider ignores (an NLB without
  client IP preservation, custom security groups), or clients it admits past them (Azure's
  default VNet rule);
- ``provider-internal-by-default``: a load balancer internal only because no annotation said
  otherwise (the AWS Load Balancer Controller's default), while the object looks meant for
  the internet (public source ranges, public host names or TLS);
- ``provider-local-nodes-without-endpoint``: ``externalTrafficPolicy: Local`` behind a load
  balancer that targets the nodes: the nodes without a ready endpoint fail the health check;
  with none at all, no target is healthy;
- ``provider-alb-group-cross-namespace``: an explicit ALB IngressGroup merging Ingresses of
  several namespaces into one ALB (the controller's "Security Risk" note), with the order its
  rules are evaluated in.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterator

from podpath.analyze.doctor.context import DoctorContext
from podpath.analyze.doctor.findings import Finding, Severity, check, make, rule
from podpath.engine.ingress import ingresses_by_class
from podpath.engine.policy import evaluate
from podpath.engine.policy_rules import peer_for_ip
from podpath.engine.policy_verdict import PodPeer
from podpath.engine.providers.alb import (
    GROUP_CITE,
    ORDER_CITE,
    ORDER_RULES_CITE,
    alb_groups,
    group_order,
    is_alb,
    shadowed,
)
from podpath.engine.providers.base import Path, Seen, first_host
from podpath.engine.providers.paths import EntryPath, entry_paths
from podpath.model.core import Pod

STEP = "7-provider"
HEALTH_DENIED = rule(
    "provider-health-check-denied",
    Severity.ERROR,
    STEP,
    "The load balancer's health checks reach the pods, and their NetworkPolicies deny them.",
)
TRAFFIC_DENIED = rule(
    "provider-lb-traffic-denied",
    Severity.ERROR,
    STEP,
    "The load balancer sends from its own addresses, and the pods' NetworkPolicies deny them.",
)
RANGES_IGNORED = rule(
    "provider-source-ranges-ignored",
    Severity.WARNING,
    STEP,
    "Source ranges the provider ignores, or clients it admits past them.",
)
INTERNAL_DEFAULT = rule(
    "provider-internal-by-default",
    Severity.WARNING,
    STEP,
    "A load balancer internal by default, for an object that looks meant for the internet.",
)
LOCAL_NODES = rule(
    "provider-local-nodes-without-endpoint",
    Severity.WARNING,
    STEP,
    "externalTrafficPolicy Local behind a load balancer targeting nodes without an endpoint.",
)
ALB_SHADOWED = rule(
    "provider-alb-rule-shadowed",
    Severity.WARNING,
    STEP,
    "An ALB rule never reached: an earlier Ingress of its IngressGroup takes all its requests.",
)
ALB_GROUP = rule(
    "provider-alb-group-cross-namespace",
    Severity.WARNING,
    STEP,
    "An ALB IngressGroup merging Ingresses of several namespaces into one load balancer.",
)


def _pods(ctx: DoctorContext, path: EntryPath) -> list[tuple[Pod, int]]:
    """The ready endpoint pods of the path's Service port, and the port they receive on."""
    out = []
    for pe in ctx.cluster.endpoints.get(path.service.key, ()):
        if path.port is not None and pe.service_port.port != path.port:
            continue
        for e in pe.endpoints:
            pod = ctx.cluster.pod_by_key.get(e.pod) if e.pod else None
            if pod is not None and e.ready:
                out.append((pod, e.port))
    return out


def _denied(ctx: DoctorContext, sources: tuple[str, ...], pods: list[tuple[Pod, int]]) -> list[str]:
    """``pod:port from ip`` for each pod whose policies deny one of ``sources``."""
    out = []
    for pod, port in pods:
        for ip in sources:
            verdict = evaluate(ctx.cluster, peer_for_ip(ctx.cluster, ip), PodPeer(pod), port)
            if not verdict.allowed:
                out.append(f"{pod.key}:{port} from {ip}")
                break
    return out


def _cite(path: EntryPath) -> str:
    return "; ".join(map(str, path.decision.cites[:3]))


def health_sources(ctx: DoctorContext, path: EntryPath) -> tuple[str, ...]:
    """The addresses a health check reaches the pods from (none: it stops at the node)."""
    health = path.decision.health
    if health is None:
        return ()
    if health.to_pods:
        return tuple(first_host(c) for c in health.sources)
    if health.forwarded and path.service.external_traffic_policy == "Cluster":
        return tuple(n.internal_ips[0] for n in ctx.cluster.nodes if n.internal_ips)
    return ()


@check(STEP, HEALTH_DENIED, TRAFFIC_DENIED)
def load_balancer_admitted(ctx: DoctorContext) -> Iterator[Finding]:
    if ctx.provider is None:
        return
    done: set[tuple[str, str, str]] = set()
    for path in entry_paths(ctx.cluster, ctx.provider):
        d, pods = path.decision, _pods(ctx, path)
        checks = [(HEALTH_DENIED, health_sources(ctx, path))]
        if d.path is Path.POD_DIRECT and d.seen is Seen.LOAD_BALANCER:
            checks.append((TRAFFIC_DENIED, d.seen_addresses("")))
        for code, sources in checks:
            key = (code.code, path.object, path.service.key)
            denied = _denied(ctx, sources, pods) if sources else []
            if not denied or key in done:
                continue
            done.add(key)
            what = f"health checks ({d.health})" if code is HEALTH_DENIED else "its traffic"
            cidrs = d.health.sources if code is HEALTH_DENIED and d.health else d.lb_sources
            forwarded = code is HEALTH_DENIED and d.health is not None and not d.health.to_pods
            if forwarded:
                cidrs = sources  # a NodePort check forwarded by kube-proxy: the nodes' addresses
            cite = d.health.cite if code is HEALTH_DENIED and d.health and d.health.cite else None
            yield make(
                code,
                path.object,
                f"{d.label} sends {what} to {path.service.key}'s pods from "
                f"{', '.join(sources)}; NetworkPolicy denies {', '.join(denied[:3])}"
                + (f" (+{len(denied) - 3} more)" if len(denied) > 3 else "")
                + (
                    ": kube-proxy forwards each node's check to any endpoint, so checks fail "
                    "on some nodes"
                    if forwarded
                    else ": every target fails the check and gets no traffic"
                )
                + f" (see {cite or _cite(path)})",
                f"allow ipBlock {', '.join(cidrs)} in spec.ingress[].from of a policy "
                "selecting these pods",
                source=path.source,
                impact=len(pods),
                severity=Severity.WARNING if forwarded else None,
                related=[f"Service/{path.service.key}"],
            )


def _public_intent(path: EntryPath) -> str | None:
    """Why the object looks meant for the internet, or None."""
    public = [
        c
        for c in path.decision.ranges.cidrs
        if not ipaddress.ip_network(c, strict=False).is_private
    ]
    if public:
        return f"source ranges {', '.join(public)} are public addresses"
    if path.tls or any("." in h and not h.endswith((".internal", ".local")) for h in path.hosts):
        return f"it serves {', '.join(path.hosts) or 'TLS'}"
    return None


@check(STEP, RANGES_IGNORED, INTERNAL_DEFAULT)
def scheme_and_ranges(ctx: DoctorContext) -> Iterator[Finding]:
    if ctx.provider is None:
        return
    done: set[tuple[str, str]] = set()
    for path in entry_paths(ctx.cluster, ctx.provider):
        d, r = path.decision, path.decision.ranges
        if r.cidrs and (r.ignored or r.bypass) and (RANGES_IGNORED.code, path.object) not in done:
            done.add((RANGES_IGNORED.code, path.object))
            why = r.ignored or f"{', '.join(r.bypass)} is admitted whatever the ranges say"
            yield make(
                RANGES_IGNORED,
                path.object,
                f"{d.label}: {r.origin} {', '.join(r.cidrs)} will not keep clients out: {why}"
                f" (see {r.cite or _cite(path)})",
                "enable client IP preservation (preserve_client_ip.enabled=true) or restrict "
                "with the provider's own rules"
                if r.ignored
                else "set the annotation that denies everything but the ranges "
                "(service.beta.kubernetes.io/azure-deny-all-except-load-balancer-source-ranges)",
                source=path.source,
            )
        intent = _public_intent(path)
        if (
            d.internal
            and d.scheme_why.startswith("default")
            and (INTERNAL_DEFAULT.code, path.object) not in done
        ):
            done.add((INTERNAL_DEFAULT.code, path.object))
            yield make(
                INTERNAL_DEFAULT,
                path.object,
                f"{d.label} is internal by default ({d.scheme_why}): reachable only from "
                f"{', '.join(d.reachable_from)}"
                + (f", but {intent}" if intent else "")
                + f" (see {_cite(path)})",
                "set the scheme annotation to internet-facing if it is meant for the internet, "
                "or to internal to say so",
                source=path.source,
                severity=Severity.WARNING if intent else Severity.INFO,
            )


@check(STEP, LOCAL_NODES)
def local_nodes(ctx: DoctorContext) -> Iterator[Finding]:
    if ctx.provider is None:
        return
    done: set[str] = set()
    nodes = {n.name for n in ctx.cluster.nodes}
    for path in entry_paths(ctx.cluster, ctx.provider):
        svc = path.service
        if svc.external_traffic_policy != "Local" or path.decision.path is not Path.NODE_PORT:
            continue
        if path.object in done:
            continue
        done.add(path.object)
        with_ep = {p.node_name for p, _ in _pods(ctx, path) if p.node_name}
        without = sorted(nodes - with_ep)
        if not without:
            continue
        yield make(
            LOCAL_NODES,
            path.object,
            f"{path.decision.label} targets every node's NodePort; with externalTrafficPolicy "
            f"Local of {svc.key} only {len(with_ep)} of {len(nodes)} nodes have a ready "
            f"endpoint: {', '.join(without)} fail the health check"
            + ("; no target is healthy" if not with_ep else "")
            + f" (see {_cite(path)})",
            "use ip targets (straight to the pods), or run an endpoint on every node",
            source=path.source,
            severity=Severity.ERROR if not with_ep else None,
            related=[f"Service/{svc.key}"],
        )


@check(STEP, ALB_GROUP, ALB_SHADOWED)
def alb_group_namespaces(ctx: DoctorContext) -> Iterator[Finding]:
    if ctx.provider is None or ctx.provider.name != "eks":
        return
    classes = {c.name: c for c in ctx.cluster.of_kind("IngressClass")}
    by_class, _ = ingresses_by_class(ctx.cluster)
    albs = [i for name, ings in by_class.items() if is_alb(classes.get(name), name) for i in ings]
    for group in alb_groups(albs):
        for rule_, by in shadowed(group):
            yield make(
                ALB_SHADOWED,
                str(rule_.ingress.ref),
                f"{group.label}: rule {rule_.rule} path {rule_.path.path} "
                f"({rule_.path.path_type}) is never reached: {by.ingress.ref} "
                f"(order {group_order(by.ingress)}) path {by.path.path} ({by.path.path_type}) "
                f"is evaluated first and takes all its requests (see {ORDER_CITE}; "
                f"{ORDER_RULES_CITE})",
                f"give {rule_.ingress.ref} a smaller alb.ingress.kubernetes.io/group.order "
                f"than {group_order(by.ingress)}",
                source=rule_.ingress.source,
                related=[str(by.ingress.ref)],
            )
        if not group.explicit or len(group.namespaces) < 2:
            continue
        order = ", ".join(f"{i.key} (order {group_order(i)})" for i in group.ingresses)
        yield make(
            ALB_GROUP,
            f"IngressGroup/{group.name}",
            f"one ALB merges Ingresses of namespaces {', '.join(group.namespaces)}; its rules "
            f"are evaluated in this order: {order} -- an Ingress of any namespace can join the "
            f"group and take precedence (see {GROUP_CITE}; {ORDER_CITE})",
            "give each team its own group.name, or restrict it with IngressClassParams "
            "namespaceSelector / group",
            source=group.ingresses[0].source,
            related=[str(i.ref) for i in group.ingresses],
        )
