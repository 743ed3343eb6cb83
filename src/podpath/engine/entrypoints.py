"""Entry points: the pods that implement an IngressClass or a Gateway, and what is in front.

Kubernetes does not link an IngressClass (``spec.controller``) or a GatewayClass
(``spec.controllerName``) to pods; podpath finds them, in this order, and says how:

1. an explicit override ``NS/SELECTOR`` (``--ingress-controller``): the pods of namespace NS
   matching the equality selector ``k=v,k2=v2`` (empty: every pod of NS);
2. for a Gateway, pods labelled ``gateway.networking.k8s.io/gateway-name: NAME`` in the
   Gateway's namespace (Istio, NGINX Gateway Fabric, Contour provisioner...), or Envoy
   Gateway's ``gateway.envoyproxy.io/owning-gateway-name``/``-namespace`` labels;
3. a table of well-known controllers and the labels their charts give the pods
   (ingress-nginx, Traefik, HAProxy, Contour, Istio, Kong, Cilium, NGINX...);
4. a heuristic: pods whose ``app.kubernetes.io/name``, ``app`` or namespace equals the last
   segment of the controller name (``k8s.io/ingress-nginx`` -> ``ingress-nginx``).

The Services in front are the Services selecting those pods (LoadBalancer first, then
NodePort); the addresses are the Gateway's ``status.addresses`` (else ``spec.addresses``),
else the load-balancer addresses of those Services.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from podpath.engine.ingress import ingresses_by_class
from podpath.engine.services import service_selects_pod
from podpath.errors import InputError
from podpath.model.core import Labels, Pod
from podpath.model.gateway import Gateway, GatewayClass
from podpath.model.ingress import IngressClass
from podpath.model.routing import EntryPoint
from podpath.model.services import Service, ServiceType

if TYPE_CHECKING:
    from podpath.cluster import Cluster

GATEWAY_NAME_LABEL = "gateway.networking.k8s.io/gateway-name"
ENVOY_OWNER_NAME = "gateway.envoyproxy.io/owning-gateway-name"
ENVOY_OWNER_NS = "gateway.envoyproxy.io/owning-gateway-namespace"

KNOWN_CONTROLLERS: dict[str, tuple[dict[str, str], ...]] = {
    "k8s.io/ingress-nginx": (
        {"app.kubernetes.io/name": "ingress-nginx", "app.kubernetes.io/component": "controller"},
        {"app.kubernetes.io/name": "ingress-nginx"},
    ),
    "nginx.org/ingress-controller": (
        {"app.kubernetes.io/name": "nginx-ingress"},
        {"app": "nginx-ingress"},
    ),
    "traefik.io/ingress-controller": ({"app.kubernetes.io/name": "traefik"},),
    "traefik.io/gateway-controller": ({"app.kubernetes.io/name": "traefik"},),
    "haproxy.org/ingress-controller": ({"app.kubernetes.io/name": "kubernetes-ingress"},),
    "projectcontour.io/ingress-controller": (
        {"app.kubernetes.io/component": "envoy"},
        {"app": "envoy"},
    ),
    "projectcontour.io/gateway-controller": (
        {"app.kubernetes.io/component": "envoy"},
        {"app": "envoy"},
    ),
    "istio.io/ingress-controller": ({"istio": "ingressgateway"},),
    "ingress-controllers.konghq.com/kong": ({"app.kubernetes.io/name": "kong"},),
    "konghq.com/kic-gateway-controller": ({"app.kubernetes.io/name": "kong"},),
    "cilium.io/ingress-controller": ({"k8s-app": "cilium"},),
    "io.cilium/gateway-controller": ({"k8s-app": "cilium"},),
    "gateway.nginx.org/nginx-gateway-controller": ({"app.kubernetes.io/name": "nginx-gateway"},),
}


def parse_controller_override(text: str) -> tuple[str, Labels]:
    """``NS/SELECTOR`` -> (namespace, equality selector); ``NS`` alone selects every pod."""
    ns, _, sel = text.partition("/")
    if not ns:
        raise InputError(
            f"--ingress-controller {text!r}: expected NS/KEY=VALUE[,KEY=VALUE]",
            field="--ingress-controller",
        )
    pairs: dict[str, str] = {}
    for part in (p.strip() for p in sel.split(",") if p.strip()):
        key, eq, value = part.partition("=")
        if not eq or not key:
            raise InputError(
                f"--ingress-controller {text!r}: {part!r} is not KEY=VALUE",
                field="--ingress-controller",
            )
        pairs[key.strip()] = value.strip()
    return ns, Labels(pairs)


def _has(labels: Mapping[str, str], want: Mapping[str, str]) -> bool:
    return all(labels.get(k) == v for k, v in want.items())


def controller_pods(cluster: Cluster, controller: str) -> tuple[tuple[Pod, ...], str]:
    """Pods of a controller by the well-known table, else the name heuristic (module doc)."""
    for want in KNOWN_CONTROLLERS.get(controller, ()):
        pods = tuple(p for p in cluster.pods if _has(p.labels, want))
        if pods:
            return pods, f"pods labelled {Labels(want)} (known controller {controller})"
    token = controller.rstrip("/").rsplit("/", 1)[-1].lower()
    if token:
        by_label = tuple(
            p
            for p in cluster.pods
            if token in (p.labels.get("app.kubernetes.io/name"), p.labels.get("app"))
        )
        if by_label:
            return by_label, f"pods whose app.kubernetes.io/name or app is {token!r} (heuristic)"
        by_ns = tuple(p for p in cluster.pods if p.namespace == token)
        if by_ns:
            return by_ns, f"pods of namespace {token!r} (heuristic)"
    return (), f"no pods found for controller {controller or '(unknown)'}"


def gateway_pods(cluster: Cluster, gw: Gateway, controller: str) -> tuple[tuple[Pod, ...], str]:
    own = tuple(
        p
        for p in cluster.pods
        if p.namespace == gw.namespace and p.labels.get(GATEWAY_NAME_LABEL) == gw.name
    )
    if own:
        return own, f"pods labelled {GATEWAY_NAME_LABEL}={gw.name}"
    envoy = tuple(
        p
        for p in cluster.pods
        if p.labels.get(ENVOY_OWNER_NAME) == gw.name
        and p.labels.get(ENVOY_OWNER_NS) == gw.namespace
    )
    if envoy:
        return envoy, f"pods labelled {ENVOY_OWNER_NAME}={gw.name}"
    return controller_pods(cluster, controller)


def fronting_services(cluster: Cluster, pods: tuple[Pod, ...]) -> tuple[Service, ...]:
    """Services selecting any of the pods: LoadBalancer, then NodePort (the others only when
    none of those exists)."""
    rank = {ServiceType.LOAD_BALANCER: 0, ServiceType.NODE_PORT: 1}
    out = [s for s in cluster.services if any(service_selects_pod(s, p) for p in pods)]
    exposed = [s for s in out if s.type in rank]
    return tuple(sorted(exposed or out, key=lambda s: (rank.get(s.type, 2), s.key)))


def _lb_addresses(services: tuple[Service, ...]) -> tuple[str, ...]:
    return tuple(
        a
        for s in services
        if s.type is ServiceType.LOAD_BALANCER
        for a in (*s.lb_ingress, *s.lb_hostnames)
    )


def _override_pods(cluster: Cluster, override: str) -> tuple[tuple[Pod, ...], str]:
    ns, sel = parse_controller_override(override)
    pods = tuple(p for p in cluster.pods_in(ns) if _has(p.labels, sel))
    return pods, f"pods of {ns} matching {sel or 'everything'} (--ingress-controller)"


def entry_points(cluster: Cluster, ingress_controller: str | None = None) -> tuple[EntryPoint, ...]:
    """Every IngressClass (declared, or named by an Ingress) and every Gateway, with the pods
    that implement it and the Services/addresses in front (module docstring)."""
    classes: dict[str, IngressClass] = {c.name: c for c in cluster.of_kind("IngressClass")}
    by_class, _ = ingresses_by_class(cluster)
    out = []
    for name in sorted(set(classes) | set(by_class)):
        cls = classes.get(name)
        controller = cls.controller if cls else ""
        if ingress_controller:
            pods, how = _override_pods(cluster, ingress_controller)
        else:
            pods, how = controller_pods(cluster, controller or name)
        svcs = fronting_services(cluster, pods)
        reasons = (
            [how]
            if cls
            else [f"IngressClass {name} is not in the input (named by an Ingress)", how]
        )
        out.append(
            EntryPoint(
                "IngressClass",
                name,
                name,
                controller,
                cls is not None,
                tuple(p.key for p in pods),
                tuple(s.key for s in svcs),
                _lb_addresses(svcs),
                (),
                tuple(reasons),
            )
        )
    gw_classes: dict[str, GatewayClass] = {c.name: c for c in cluster.of_kind("GatewayClass")}
    for gw in sorted(cluster.of_kind("Gateway"), key=lambda g: g.key):
        gcls = gw_classes.get(gw.class_name)
        controller = gcls.controller_name if gcls else ""
        pods, how = gateway_pods(cluster, gw, controller or gw.class_name)
        svcs = fronting_services(cluster, pods)
        labelled = tuple(
            s
            for s in cluster.services
            if s.labels.get(GATEWAY_NAME_LABEL) == gw.name
            and s.namespace == gw.namespace
            and s not in svcs
        )
        svcs = labelled + svcs
        reasons = [how] if gcls else [f"GatewayClass {gw.class_name} is not in the input", how]
        addresses = gw.status_addresses or gw.addresses or _lb_addresses(svcs)
        out.append(
            EntryPoint(
                "Gateway",
                gw.key,
                gw.class_name,
                controller,
                gcls is not None,
                tuple(p.key for p in pods),
                tuple(s.key for s in svcs),
                addresses,
                tuple(
                    f"{lis.name} {lis.protocol}/{lis.port} {lis.hostname or '*'}"
                    for lis in gw.listeners
                ),
                tuple(reasons),
            )
        )
    return tuple(out)
