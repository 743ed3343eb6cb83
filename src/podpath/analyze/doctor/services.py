"""Checklist step 2: Service selectors match pod labels, ports line up, types are sound.

Every verdict on which pods a Service selects and which become endpoints comes from the
services engine (:mod:`podpath.engine.services`) and the resolved ``cluster.endpoints``.

- A Service selects the pods *of its namespace* whose labels hold every selector pair;
  not-ready pods are not routed to (https://kubernetes.io/docs/concepts/services-networking/service/).
- A named ``targetPort`` resolves per pod; pods without it are left out of that port
  (https://kubernetes.io/docs/concepts/services-networking/service/#field-spec-ports).
- A ``nodePort`` must be inside the node port range and unique; the API server rejects the
  Service otherwise (https://kubernetes.io/docs/concepts/services-networking/service/#type-nodeport).
- ``externalName`` must be a lowercase RFC-1123 hostname; an IPv4 address is treated as a
  name of digits and not resolved
  (https://kubernetes.io/docs/concepts/services-networking/service/#externalname).
- A StatefulSet's ``serviceName`` must name a headless Service that gives its pods DNS
  records (https://kubernetes.io/docs/concepts/workloads/controllers/statefulset/#stable-network-id).
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterator, Mapping

from podpath.analyze.doctor.context import DoctorContext, canary_keys
from podpath.analyze.doctor.findings import Finding, Severity, check, make, rule, undecided
from podpath.engine.near_miss import closest_labels, format_labels
from podpath.engine.selectors import equality_selector_matches
from podpath.engine.services import REASON_NO_NAMED_PORT, service_selects_pod
from podpath.model.core import Labels, LabelSelector, Pod
from podpath.model.services import PortEndpoints, Service, ServiceType

STEP = "2-services"
OUTAGE = 100  # impact of a Service (port) that serves nothing
PARTIAL = 10  # impact per pod left out

SELECTS_NO_PODS = rule(
    "service-selects-no-pods",
    Severity.ERROR,
    STEP,
    "A Service's selector matches no pod in its namespace.",
)
NO_READY_PODS = rule(
    "service-no-ready-pods",
    Severity.ERROR,
    STEP,
    "A Service selects pods but none is a ready endpoint.",
)
MULTIPLE_WORKLOADS = rule(
    "service-selects-multiple-workloads",
    Severity.WARNING,
    STEP,
    "A Service selects the pods of two or more workloads.",
)
TARGET_PORT_UNDECLARED = rule(
    "service-target-port-not-declared",
    Severity.WARNING,
    STEP,
    "A numeric targetPort that no selected container declares.",
)
NAMED_PORT_MISSING = rule(
    "service-named-port-missing",
    Severity.ERROR,
    STEP,
    "A named targetPort that some selected pods do not declare.",
)
NODEPORT_COLLISION = rule(
    "nodeport-collision", Severity.ERROR, STEP, "Two Services claim the same nodePort."
)
NODEPORT_RANGE = rule(
    "nodeport-out-of-range", Severity.ERROR, STEP, "A nodePort outside the node port range."
)
NODEPORT_FULL = rule(
    "nodeport-range-full", Severity.ERROR, STEP, "No nodePort is left to allocate."
)
LB_NO_ADDRESS = rule(
    "loadbalancer-no-address", Severity.WARNING, STEP, "A LoadBalancer Service has no address."
)
EXTERNALNAME_INVALID = rule(
    "externalname-invalid", Severity.ERROR, STEP, "An ExternalName that is not a valid DNS name."
)
EXTERNALNAME_IN_CLUSTER = rule(
    "externalname-in-cluster",
    Severity.WARNING,
    STEP,
    "An ExternalName that points back into the cluster's own domain.",
)
STATEFULSET_NO_HEADLESS = rule(
    "statefulset-service-not-headless",
    Severity.WARNING,
    STEP,
    "A StatefulSet's serviceName names no headless Service.",
)

_DNS1123_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")


def is_dns1123_subdomain(name: str) -> bool:
    """RFC 1123 subdomain as Kubernetes validates it (``IsDNS1123Subdomain``): at most 253
    characters, dot-separated lowercase labels of letters, digits and ``-``."""
    return 0 < len(name) <= 253 and all(
        len(label) <= 63 and _DNS1123_LABEL.match(label) for label in name.split(".")
    )


def _selected(ctx: DoctorContext, svc: Service) -> list[Pod]:
    return [p for p in ctx.pods_by_namespace.get(svc.namespace, ()) if service_selects_pod(svc, p)]


def _port_field(svc: Service, pe: PortEndpoints) -> str:
    return f"spec.ports[{svc.ports.index(pe.service_port)}]"


def _no_pods_finding(ctx: DoctorContext, svc: Service) -> Finding:
    selector: Mapping[str, str] = svc.selector or {}
    text = format_labels(selector)
    here_pods = ctx.pods_by_namespace.get(svc.namespace, ())
    creators = ctx.likely_creators([svc.namespace], LabelSelector(Labels(selector)), here_pods)
    if creators:
        return undecided(
            SELECTS_NO_PODS,
            str(svc.ref),
            f"selector {text} matches no pod of the input in namespace {svc.namespace}",
            creators,
            source=svc.source,
        )
    here = [p.labels for p in ctx.pods_by_namespace.get(svc.namespace, ())]
    near = closest_labels(selector, here)
    elsewhere = sorted(
        {p.namespace for p in ctx.cluster.pods if equality_selector_matches(selector, p.labels)}
    )
    if near is not None:
        hint = (
            f"did you mean {format_labels(near)}? change spec.selector (now {text}) "
            "to match the pod labels"
        )
    elif elsewhere:
        hint = (
            f"pods labelled {text} exist in namespace {', '.join(elsewhere)}, but a Service "
            "selects pods of its own namespace only: move the Service (metadata.namespace) "
            "or the pods"
        )
    else:
        hint = (
            f"change spec.selector ({text}) or the pod template's metadata.labels "
            "so that they match"
        )
    return make(
        SELECTS_NO_PODS,
        str(svc.ref),
        f"selector {text} matches no pod in namespace {svc.namespace}",
        hint,
        source=svc.source,
        impact=OUTAGE * max(1, len(svc.ports)),
    )


def _named_port_findings(svc: Service, selected: list[Pod], pe: PortEndpoints) -> Iterator[Finding]:
    port = pe.service_port
    reason = REASON_NO_NAMED_PORT.format(name=port.target_port, protocol=port.protocol)
    missing = [pod for pod, why in pe.excluded if why == reason]
    if not missing:
        return
    none_left = not pe.endpoints
    yield make(
        NAMED_PORT_MISSING,
        str(svc.ref),
        f"port {port.label} targets port name {port.target_port!r}, which "
        + (
            "no selected pod declares"
            if none_left
            else f"{len(missing)} of {len(selected)} selected pods lack"
        )
        + f" ({', '.join(missing[:5])}{', ...' if len(missing) > 5 else ''}); "
        + ("the port has no endpoints" if none_left else "they get no traffic on it"),
        f"name a container port {port.target_port!r} ({port.protocol}) in "
        f"spec.containers[].ports of those pods, or change {_port_field(svc, pe)}.targetPort",
        source=svc.source,
        impact=OUTAGE if none_left else PARTIAL * len(missing),
        severity=Severity.ERROR if none_left else Severity.WARNING,
        related=missing,
    )


def _numeric_port_findings(
    svc: Service, selected: list[Pod], pe: PortEndpoints
) -> Iterator[Finding]:
    port = pe.service_port
    if not isinstance(port.target_port, int) or not selected:
        return
    declared = sorted(
        {cp.container_port for p in selected for cp in p.ports if cp.protocol is port.protocol}
    )
    if port.target_port in declared or any(
        not any(cp.protocol is port.protocol for cp in p.ports) for p in selected
    ):
        return  # a pod that declares no ports may listen anywhere: no evidence of a mistake
    guess = f"did you mean targetPort: {declared[0]}? " if len(declared) == 1 else ""
    yield make(
        TARGET_PORT_UNDECLARED,
        str(svc.ref),
        f"port {port.label} forwards to targetPort {port.target_port}, but the selected containers "
        f"declare {', '.join(map(str, declared))}/{port.protocol}",
        f"{guess}set {_port_field(svc, pe)}.targetPort to the port the container listens on "
        "(or declare it in spec.containers[].ports)",
        source=svc.source,
        impact=OUTAGE,
        related=[p.key for p in selected],
    )


def _readiness_finding(
    svc: Service, selected: list[Pod], ports: tuple[PortEndpoints, ...]
) -> Iterator[Finding]:
    if not selected or not ports or any(pe.ready for pe in ports):
        return
    if all(not pe.endpoints for pe in ports) and all(
        why.startswith("no container port named") for pe in ports for _, why in pe.excluded
    ):
        return  # reported as service-named-port-missing
    reasons = sorted(
        {why for pe in ports for _, why in pe.excluded}
        | ({"not ready"} if any(pe.endpoints for pe in ports) else set())
    )
    yield make(
        NO_READY_PODS,
        str(svc.ref),
        f"selects {len(selected)} pod(s), none of them a ready endpoint ({'; '.join(reasons)})",
        "fix the pods' readiness (spec.containers[].readinessProbe, crashing containers); "
        "spec.publishNotReadyAddresses only hides the problem",
        source=svc.source,
        impact=OUTAGE * len(ports),
        related=[p.key for p in selected],
    )


def _workload_finding(svc: Service, selected: list[Pod]) -> Iterator[Finding]:
    owned = {str(p.owner) for p in selected if p.owner is not None}
    if len(owned) < 2:
        return
    first = {str(p.owner): p.labels for p in selected if p.owner is not None}
    versions = canary_keys(list(first.values()))
    if versions:
        yield make(
            MULTIPLE_WORKLOADS,
            str(svc.ref),
            f"selector {format_labels(svc.selector or {})} selects pods of {len(owned)} "
            f"workloads that differ by {', '.join(versions)}: {', '.join(sorted(owned))}; "
            "the canary (version) pattern: traffic is spread over them by their replicas",
            "nothing to change if the versions are meant to share the traffic; to send it to "
            "one, select its label in spec.selector or route by version (Gateway API weights)",
            source=svc.source,
            severity=Severity.INFO,
            related=sorted(owned),
        )
        return
    yield make(
        MULTIPLE_WORKLOADS,
        str(svc.ref),
        f"selector {format_labels(svc.selector or {})} selects pods of {len(owned)} workloads: "
        f"{', '.join(sorted(owned))}; traffic is spread over all of them",
        "add a label that tells the workloads apart to spec.selector (and to the intended "
        "workload's spec.template.metadata.labels)",
        source=svc.source,
        impact=PARTIAL * len(selected),
        related=sorted(owned),
    )


@check(
    STEP,
    SELECTS_NO_PODS,
    NO_READY_PODS,
    MULTIPLE_WORKLOADS,
    TARGET_PORT_UNDECLARED,
    NAMED_PORT_MISSING,
)
def service_selectors(ctx: DoctorContext) -> Iterator[Finding]:
    """Selector, readiness, workload and target-port checks of every selector Service."""
    for svc in ctx.cluster.services:
        if svc.selector is None or svc.external_name is not None:
            continue
        selected = _selected(ctx, svc)
        if not selected:
            yield _no_pods_finding(ctx, svc)
            continue
        ports = ctx.cluster.endpoints.get(svc.key, ())
        yield from _readiness_finding(svc, selected, ports)
        yield from _workload_finding(svc, selected)
        for pe in ports:
            yield from _named_port_findings(svc, selected, pe)
            yield from _numeric_port_findings(svc, selected, pe)


@check(STEP, NODEPORT_COLLISION, NODEPORT_RANGE, NODEPORT_FULL)
def node_ports(ctx: DoctorContext) -> Iterator[Finding]:
    """The resolved cluster's nodePort notes (the API server would reject these Services)."""
    low, high = ctx.cluster.settings.node_port_range
    move = (
        f"change spec.ports[].nodePort to a free port in {low}-{high}, or remove it to "
        "have one allocated"
    )
    free = (
        "delete unused NodePort Services, set spec.allocateLoadBalancerNodePorts: false on "
        "LoadBalancer Services that need no nodePort, or widen --service-node-port-range"
    )
    rules = {
        NODEPORT_COLLISION.code: (NODEPORT_COLLISION, move),
        NODEPORT_RANGE.code: (NODEPORT_RANGE, move),
        NODEPORT_FULL.code: (NODEPORT_FULL, free),
    }
    for note in ctx.cluster.notes:
        if note.code not in rules:
            continue
        found, fix = rules[note.code]
        yield make(
            found,
            note.object,
            note.message + "; the API server rejects this Service",
            fix,
            source=note.source,
            impact=OUTAGE,
        )


@check(STEP, LB_NO_ADDRESS)
def load_balancers(ctx: DoctorContext) -> Iterator[Finding]:
    for svc in ctx.cluster.services:
        if svc.type is ServiceType.LOAD_BALANCER and svc.lb_origin == "none":
            yield make(
                LB_NO_ADDRESS,
                str(svc.ref),
                "LoadBalancer has no address (status.loadBalancer.ingress is empty): "
                "no load-balancer controller has served it",
                "install or check the cloud/bare-metal load-balancer controller, its address "
                "pool, or spec.loadBalancerClass; until then use the nodePort",
                source=svc.source,
                impact=OUTAGE,
            )


def _in_cluster_target(ctx: DoctorContext, name: str) -> str | None:
    domain = ctx.cluster.settings.cluster_domain.strip(".")
    if name != domain and not name.endswith("." + domain):
        return None
    parts = name[: -len(domain) - 1].split(".")
    if len(parts) == 3 and parts[2] == "svc":
        return f"{parts[1]}/{parts[0]}"
    return ""


@check(STEP, EXTERNALNAME_INVALID, EXTERNALNAME_IN_CLUSTER)
def external_names(ctx: DoctorContext) -> Iterator[Finding]:
    for svc in ctx.cluster.services:
        if svc.external_name is None:
            continue
        name = svc.external_name.rstrip(".")
        field = "spec.externalName"
        if _is_ip(name):
            yield make(
                EXTERNALNAME_INVALID,
                str(svc.ref),
                f"externalName {svc.external_name!r} is an IP address; DNS serves it as a "
                "CNAME to a name of digits, which does not resolve",
                "use a Service without selector and an EndpointSlice with that address "
                f"instead of {field}",
                source=svc.source,
                impact=OUTAGE,
            )
        elif not is_dns1123_subdomain(name):
            yield make(
                EXTERNALNAME_INVALID,
                str(svc.ref),
                f"externalName {svc.external_name!r} is not a lowercase RFC-1123 hostname",
                f"set {field} to a DNS name of lowercase letters, digits, '-' and '.'",
                source=svc.source,
                impact=OUTAGE,
            )
        else:
            target = _in_cluster_target(ctx, name)
            if target is None:
                continue
            exists = bool(target) and target in ctx.cluster.service_by_key
            missing = "" if exists or not target else f"; Service {target} does not exist"
            yield make(
                EXTERNALNAME_IN_CLUSTER,
                str(svc.ref),
                f"externalName {svc.external_name!r} points back into the cluster domain{missing}",
                "select the pods directly (spec.selector) or have clients use the target's own "
                f"name; {field} is meant for names outside the cluster",
                source=svc.source,
                impact=OUTAGE if missing or not target else 0,
                severity=Severity.ERROR if missing else None,
                related=[f"Service/{target}"] if target else [],
            )


def _is_ip(name: str) -> bool:
    try:
        ipaddress.ip_address(name)
    except ValueError:
        return False
    return True


@check(STEP, STATEFULSET_NO_HEADLESS)
def statefulset_services(ctx: DoctorContext) -> Iterator[Finding]:
    """A StatefulSet's pods carry ``subdomain = serviceName``; that Service must be headless."""
    seen: set[str] = set()
    for pod in ctx.cluster.pods:
        if pod.owner is None or pod.owner.kind != "StatefulSet" or not pod.subdomain:
            continue
        sts = f"StatefulSet/{pod.namespace}/{pod.owner.name}"
        if sts in seen:
            continue
        seen.add(sts)
        svc = ctx.cluster.service_by_key.get(f"{pod.namespace}/{pod.subdomain}")
        if svc is not None and svc.headless:
            continue
        what = "names no Service" if svc is None else "names a Service that is not headless"
        yield make(
            STATEFULSET_NO_HEADLESS,
            sts,
            f"serviceName {pod.subdomain!r} {what}; its pods get no stable DNS names "
            f"({pod.owner.name}-0.{pod.subdomain}.{pod.namespace}.svc)"
            + ("; harmless unless a client resolves them" if svc is None else ""),
            f"create Service {pod.namespace}/{pod.subdomain} with spec.clusterIP: None "
            "selecting the StatefulSet's pods, or fix the StatefulSet's spec.serviceName"
            + (" (or drop it: nothing needs the names)" if svc is None else ""),
            source=pod.source,
            impact=0 if svc is None else OUTAGE,
            # a dangling serviceName breaks nothing by itself (argo-cd ships one, argo-cd#29498)
            severity=Severity.INFO if svc is None else None,
            related=[f"Service/{pod.namespace}/{pod.subdomain}"],
        )
