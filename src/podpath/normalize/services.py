"""Raw Services, EndpointSlices and Endpoints -> model, API defaults applied once.

Defaults (https://kubernetes.io/docs/reference/kubernetes-api/service-resources/service-v1/):
``type`` ClusterIP; port ``protocol`` TCP; ``targetPort`` = ``port``; ``sessionAffinity``
None; ``externalTrafficPolicy`` and ``internalTrafficPolicy`` Cluster. A core/v1 Endpoints
object becomes one EndpointSlice per subset (the EndpointSlice mirroring controller).
"""

from __future__ import annotations

import ipaddress
from typing import Any

from podpath.model.core import SourceRef
from podpath.model.services import (
    EndpointSlice,
    Service,
    ServiceCIDR,
    ServicePort,
    ServiceType,
    SliceEndpoint,
    SlicePort,
)
from podpath.normalize.fields import Fields, object_fields

SERVICE_NAME_LABEL = "kubernetes.io/service-name"


def _service_type(spec: Fields) -> ServiceType:
    text = spec.str("type", "ClusterIP") or "ClusterIP"
    try:
        return ServiceType(text)
    except ValueError:
        raise spec.error(
            "type",
            f"unknown Service type {text!r} (ClusterIP, NodePort, LoadBalancer, ExternalName)",
        ) from None


def _service_port(p: Fields) -> ServicePort:
    port = p.port_number("port")
    if port is None:
        raise p.error("port", "required field is missing")
    node_port = p.int("nodePort")
    if node_port is not None and not 1 <= node_port <= 65535:
        raise p.error("nodePort", f"port {node_port} is out of range 1-65535")
    # SetDefaults_Service: a targetPort of 0 or "" is unset, and defaults to port.
    unset = p.get("targetPort") in (0, "") and not isinstance(p.get("targetPort"), bool)
    target = None if unset else p.int_or_string("targetPort")
    return ServicePort(
        port=port,
        target_port=target if target is not None else port,
        protocol=p.protocol(),
        name=p.str("name"),
        node_port=node_port,
        app_protocol=p.str("appProtocol"),
    )


def normalize_service(raw: dict[str, Any], source: SourceRef) -> Service:
    top, meta, ns, name = object_fields(raw, source)
    spec, status = top.map("spec"), top.map("status")
    stype = _service_type(spec)
    cluster_ips: tuple[str, ...] = ()
    headless = False
    given = spec.strs("clusterIPs") or (
        (spec.str("clusterIP") or "",) if spec.has("clusterIP") else ()
    )
    if given and given[0] == "None":
        headless = True
    elif given and given[0]:
        cluster_ips = tuple(spec.ip("clusterIPs", ip, i) for i, ip in enumerate(given))
    selector = spec.labels("selector") if spec.has("selector") else None
    if selector is not None and not selector:
        selector = None  # an empty selector means "no selector" for Services
    lb = status.map("loadBalancer")
    lb_ips = tuple(i.ip("ip") for i in lb.maps("ingress") if i.has("ip"))
    lb_hosts = tuple(i.str("hostname") or "" for i in lb.maps("ingress") if i.has("hostname"))
    lb_modes = tuple(_ip_mode(i) for i in lb.maps("ingress") if i.has("ip"))
    return Service(
        namespace=ns or "default",
        name=name,
        type=stype,
        selector=selector if stype is not ServiceType.EXTERNAL_NAME else None,
        ports=tuple(_service_port(p) for p in spec.maps("ports")),
        cluster_ips=cluster_ips if stype is not ServiceType.EXTERNAL_NAME else (),
        headless=headless,
        external_name=spec.str("externalName") if stype is ServiceType.EXTERNAL_NAME else None,
        external_ips=spec.ips("externalIPs"),
        lb_ingress=lb_ips,
        lb_ip_modes=lb_modes if any(m != "VIP" for m in lb_modes) else (),
        lb_hostnames=lb_hosts,
        lb_requested_ip=spec.ip("loadBalancerIP") if spec.has("loadBalancerIP") else None,
        lb_source_ranges=spec.cidrs("loadBalancerSourceRanges"),
        lb_origin="status" if lb_ips or lb_hosts else "none",
        session_affinity=spec.str("sessionAffinity", "None") or "None",
        external_traffic_policy=_traffic_policy(spec, "externalTrafficPolicy"),
        internal_traffic_policy=_traffic_policy(spec, "internalTrafficPolicy"),
        publish_not_ready_addresses=spec.bool("publishNotReadyAddresses"),
        traffic_distribution=_traffic_distribution(spec),
        ip_family_policy=_ip_family_policy(spec),
        ip_families=_ip_families(spec),
        allocate_lb_node_ports=spec.bool("allocateLoadBalancerNodePorts", True),
        lb_class=spec.str("loadBalancerClass"),
        health_check_node_port=spec.int("healthCheckNodePort"),
        labels=meta.labels("labels"),
        annotations=meta.labels("annotations"),
        source=source,
    )


IP_FAMILY_POLICIES = ("SingleStack", "PreferDualStack", "RequireDualStack")
IP_FAMILIES = {"IPv4": 4, "IPv6": 6}
IP_MODES = ("VIP", "Proxy")


def _ip_family_policy(spec: Fields) -> str | None:
    """``spec.ipFamilyPolicy``: SingleStack, PreferDualStack or RequireDualStack (unset: the
    API server defaults it, :func:`podpath.cluster.service_cidrs.service_families`).
    https://kubernetes.io/docs/reference/kubernetes-api/service-resources/service-v1/#ServiceSpec"""
    value = spec.str("ipFamilyPolicy")
    if value is not None and value not in IP_FAMILY_POLICIES:
        raise spec.error(
            "ipFamilyPolicy",
            f"unknown ipFamilyPolicy {value!r} ({', '.join(IP_FAMILY_POLICIES)})",
        )
    return value


def _ip_families(spec: Fields) -> tuple[int, ...]:
    """``spec.ipFamilies``: IPv4 and/or IPv6, at most two and not the same twice (the first
    is the primary family, that of ``spec.clusterIP``)."""
    names = spec.strs("ipFamilies")
    for name in names:
        if name not in IP_FAMILIES:
            raise spec.error("ipFamilies", f"unknown IP family {name!r} (IPv4 or IPv6)")
    if len(names) > 2 or len(set(names)) != len(names):
        raise spec.error("ipFamilies", "at most one of each family: IPv4, IPv6")
    return tuple(IP_FAMILIES[n] for n in names)


def _ip_mode(ingress: Fields) -> str:
    """``status.loadBalancer.ingress[].ipMode`` (KEP-1860, Kubernetes 1.32 GA): ``VIP`` (the
    default: traffic arrives at the node with the load-balancer IP as destination) or
    ``Proxy`` (the load balancer proxies it to the node or pod).
    https://kubernetes.io/docs/concepts/services-networking/service/#load-balancer-ip-mode"""
    value = ingress.str("ipMode", "VIP") or "VIP"
    if value not in IP_MODES:
        raise ingress.error("ipMode", f"unknown ipMode {value!r} (VIP or Proxy)")
    return value


def normalize_service_cidr(raw: dict[str, Any], source: SourceRef) -> ServiceCIDR:
    """networking.k8s.io/v1 ServiceCIDR: ``spec.cidrs``, at most two, one per family (KEP-1880;
    https://kubernetes.io/docs/reference/kubernetes-api/networking/service-cidr-v1/)."""
    top, _, _, name = object_fields(raw, source)
    spec = top.map("spec")
    cidrs = spec.cidrs("cidrs")
    versions = [ipaddress.ip_network(c, strict=False).version for c in cidrs]
    if len(cidrs) > 2 or len(set(versions)) != len(versions):
        raise spec.error("cidrs", "at most two CIDRs, one per IP family")
    return ServiceCIDR(name=name, cidrs=cidrs, source=source)


TRAFFIC_DISTRIBUTIONS = ("PreferClose", "PreferSameZone", "PreferSameNode")


def _traffic_distribution(spec: Fields) -> str | None:
    """``spec.trafficDistribution``: PreferClose (= PreferSameZone, its newer name),
    PreferSameZone or PreferSameNode; the API server refuses any other value
    (https://kubernetes.io/docs/reference/networking/virtual-ips/#traffic-distribution)."""
    value = spec.str("trafficDistribution")
    if value is not None and value not in TRAFFIC_DISTRIBUTIONS:
        raise spec.error(
            "trafficDistribution",
            f"unknown trafficDistribution {value!r} ({', '.join(TRAFFIC_DISTRIBUTIONS)})",
        )
    return value


def _traffic_policy(spec: Fields, key: str) -> str:
    value = spec.str(key, "Cluster") or "Cluster"
    if value not in ("Cluster", "Local"):
        raise spec.error(key, f"unknown traffic policy {value!r} (Cluster or Local)")
    return value


def _slice_endpoint(e: Fields) -> SliceEndpoint:
    cond = e.map("conditions")
    ref = e.maybe_map("targetRef")
    target = None
    if ref is not None and ref.str("kind") == "Pod":
        target = f"{ref.str('namespace') or ''}/{ref.str('name') or ''}"
    ready = cond.get("ready")
    hints = e.maybe_map("hints")
    return SliceEndpoint(
        addresses=e.ips("addresses"),
        ready=True if ready is None else bool(ready),
        serving=cond.bool("serving", True if ready is None else bool(ready)),
        terminating=cond.bool("terminating"),
        hostname=e.str("hostname"),
        node_name=e.str("nodeName"),
        target_pod=target,
        zone=e.str("zone"),
        for_zones=tuple(z.req_str("name") for z in hints.maps("forZones")) if hints else (),
        for_nodes=tuple(n.req_str("name") for n in hints.maps("forNodes")) if hints else (),
    )


def normalize_endpoint_slice(raw: dict[str, Any], source: SourceRef) -> EndpointSlice | None:
    """discovery.k8s.io/v1 EndpointSlice; its ``kubernetes.io/service-name`` label names its
    Service. The label is optional in the API, and it is what ties a slice to its Service
    ("you can find all of the slices for a given service by listing EndpointSlices in the
    service's namespace whose kubernetes.io/service-name label contains the service's name",
    https://kubernetes.io/docs/reference/kubernetes-api/discovery/endpoint-slice-v1/): a slice
    without it belongs to no Service. It is None here (its fields still checked), and the
    caller notes that it is ignored."""
    top, meta, ns, name = object_fields(raw, source)
    labels = meta.labels("labels")
    service = labels.get(SERVICE_NAME_LABEL)
    endpoints = tuple(_slice_endpoint(e) for e in top.maps("endpoints"))
    if not service:
        return None
    return EndpointSlice(
        namespace=ns or "default",
        name=name,
        service_name=service,
        endpoints=endpoints,
        ports=tuple(
            SlicePort(p.port_number("port"), p.protocol(), p.str("name", "") or "")
            for p in top.maps("ports")
        ),
        address_type=top.str("addressType", "IPv4") or "IPv4",
        source=source,
    )


def normalize_endpoints(raw: dict[str, Any], source: SourceRef) -> list[EndpointSlice]:
    """core/v1 Endpoints: each subset becomes a slice (addresses ready, notReadyAddresses not)."""
    top, _, ns, name = object_fields(raw, source)
    slices = []
    for i, subset in enumerate(top.maps("subsets")):
        endpoints = []
        for key, ready in (("addresses", True), ("notReadyAddresses", False)):
            for a in subset.maps(key):
                ref = a.maybe_map("targetRef")
                target = None
                if ref is not None and ref.str("kind") == "Pod":
                    target = f"{ref.str('namespace') or ns or 'default'}/{ref.str('name') or ''}"
                endpoints.append(
                    SliceEndpoint(
                        addresses=(a.ip("ip"),),
                        ready=ready,
                        serving=ready,
                        hostname=a.str("hostname"),
                        node_name=a.str("nodeName"),
                        target_pod=target,
                    )
                )
        ports = tuple(
            SlicePort(p.port_number("port"), p.protocol(), p.str("name", "") or "")
            for p in subset.maps("ports")
        )
        slices.append(
            EndpointSlice(
                namespace=ns or "default",
                name=f"{name}-endpoints-{i}",
                service_name=name,
                endpoints=tuple(endpoints),
                ports=ports,
                source=source,
            )
        )
    return slices
