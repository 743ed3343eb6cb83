"""What is asked: ``--port PORT[/PROTO]`` and the kind of DST.

DST is a Service (``svc:NS/NAME``), a pod (``NS/NAME``), a workload (``NS/NAME`` or
``NS/KIND/NAME``: all its pods, as ``--from`` takes it), an IP, a DNS name, or a URL. Each kind
is one small value; the dispatch (:mod:`podpath.analyze.trace.dispatch`) picks the pipeline
from it.

- ``HOST:PORT`` (``cartservice:7070``, the form applications write in their environment
  variables), ``IP:PORT``, ``[IPv6]:PORT``, ``svc:NS/NAME:PORT``, ``NS/POD:PORT``: the port is
  split off and is the port the client connects to, as ``--port`` (which may say the same
  number, with a protocol, but no other); ``name:port`` is never asked of DNS. An IPv6 address
  takes a port only in brackets (``[fd00::1]:80``).
- A URL from inside stands for its host and its port (``--port`` when given, else the URL's
  or its scheme's default). A host without a scheme is a URL, as ``podpath route`` takes it,
  when it has a path and its first segment cannot be a namespace (it has a dot or a port:
  namespace names are DNS labels) or is an Ingress/Gateway host: ``shop.example.com/api``.
- From outside, a URL or a host name (with any port and path) is an HTTP request asked of the
  routing engine (:mod:`podpath.analyze.trace.url`); a Service or an address is a connection
  (:mod:`podpath.analyze.trace.outside`). A URL whose host is a LoadBalancer Service's address
  (``status.loadBalancer.ingress`` IP, or hostname, which public DNS resolves to it) that no
  Ingress or Gateway serves is a TCP connection to that load balancer on the URL's port (80 or
  443 by default): what the browser of Online Boutique's README opens at
  ``http://EXTERNAL_IP`` of ``frontend-external`` (:func:`l4_load_balancer`). ``--gateway`` or
  ``--ingress-class`` asks that entry point, as ``podpath route`` does.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

from podpath.analyze.trace.values import SERVICE_PREFIX, PortSpec, RouteOptions, TraceError
from podpath.cluster import Cluster
from podpath.engine.dns import is_ip
from podpath.engine.routing import parse_request, route_request
from podpath.model.core import Pod, Protocol
from podpath.model.services import Service, ServiceType

URL_DEFAULT_PORTS = {"http": 80, "https": 443, "grpc": 80, "grpcs": 443}
DST_FORMS = "DST is NS/POD, NS/WORKLOAD, svc:NS/NAME, a DNS name, an IP, HOST:PORT or a URL"


@dataclass(frozen=True, slots=True)
class ToService:
    service: Service


@dataclass(frozen=True, slots=True)
class ToPod:
    """Pods: one named ``NS/NAME``, or the pods of ``workload`` (``NS/KIND/NAME``)."""

    pods: tuple[Pod, ...]
    workload: str | None = None


@dataclass(frozen=True, slots=True)
class ToAddress:
    """An address (from outside, also a load balancer's hostname); ``url``: the URL it was
    asked as, when no Ingress or Gateway serves it (an L4 load balancer)."""

    ip: str
    url: str | None = None


@dataclass(frozen=True, slots=True)
class ToName:
    name: str


@dataclass(frozen=True, slots=True)
class ToRequest:
    """A URL (or host name) from outside, as given: an HTTP request for the routing engine."""

    url: str


Destination = ToService | ToPod | ToAddress | ToName
OutsideDestination = ToService | ToAddress | ToRequest


MAX_PORT_DIGITS = 6  # 65535, with a leading zero to spare
MAX_SHOWN = 40


def parse_port(text: str | None) -> PortSpec:
    """``80``, ``53/UDP``, ``http`` or ``http/TCP``."""
    if not text:
        return PortSpec(None)
    head, _, proto = text.partition("/")
    try:
        protocol = Protocol(proto.upper()) if proto else Protocol.TCP
    except ValueError:
        raise TraceError(f"unknown protocol {proto!r} (TCP, UDP, SCTP)") from None
    port: int | str = _port_number(head, text) if head.isdigit() else head
    return PortSpec(port, protocol)


def ask(cluster: Cluster, dst: str, spec: PortSpec) -> tuple[Destination, PortSpec]:
    """DST from inside the cluster, and the port the client connects to (module docstring)."""
    if not dst.startswith(SERVICE_PREFIX) and ("://" in dst or is_bare_url(cluster, dst)):
        return _url(dst if "://" in dst else f"http://{dst}", spec)
    host, port = split_port(dst)
    return parse_destination(cluster, host), with_port(spec, port, dst)


def ask_outside(cluster: Cluster, dst: str, spec: PortSpec) -> tuple[OutsideDestination, PortSpec]:
    """DST from outside the cluster, and the port (module docstring)."""
    if "://" in dst:
        return ToRequest(dst), spec
    host, port = split_port(dst)
    if host.startswith(SERVICE_PREFIX):
        return ToService(_service(cluster, host)), with_port(spec, port, dst)
    if is_ip(dst):
        return ToAddress(dst), spec
    if "/" not in dst or is_bare_url(cluster, dst):
        return ToRequest(dst), spec
    raise TraceError(f"{dst!r}: from outside, DST is an address, svc:NS/NAME or a URL")


def l4_load_balancer(
    cluster: Cluster, url: str, spec: PortSpec, options: RouteOptions
) -> tuple[ToAddress, PortSpec] | None:
    """A URL from outside to a LoadBalancer Service's address (or hostname) that no Ingress or
    Gateway serves: a TCP connection to that address on the URL's port (module docstring)."""
    if options.gateway or options.ingress_class:
        return None
    request = parse_request(url, options.method, options.headers)
    if not any(
        svc.type is ServiceType.LOAD_BALANCER
        and (request.host in svc.lb_ingress or request.host in svc.lb_hostnames)
        for svc in cluster.services
    ):
        return None
    if any(a.entry_point for a in route_request(cluster, request)):
        return None
    return ToAddress(request.host, url), PortSpec(request.port, spec.protocol)


def split_port(text: str) -> tuple[str, int | None]:
    """``HOST:PORT`` -> (HOST, PORT); ``[IPv6]:PORT`` and ``[IPv6]`` without the brackets; an
    IPv6 address or anything without a numeric port as it is."""
    if text.startswith("[") and "]" in text:
        inside, _, rest = text[1:].partition("]")
        if is_ip(inside) and (not rest or (rest.startswith(":") and rest[1:].isdigit())):
            return inside, _port_number(rest[1:], text) if rest else None
    if is_ip(text):
        return text, None
    head, sep, tail = text.rpartition(":")
    if not sep or not head or not tail.isdigit() or head.endswith(":"):
        return text, None
    return head, _port_number(tail, text)


def _port_number(digits: str, text: str) -> int:
    """A port's digits, 1-65535; thousands of digits are refused before ``int()`` (whose
    4300-digit limit would raise)."""
    port = int(digits) if len(digits) <= MAX_PORT_DIGITS else 0
    if not 0 < port < 65536:
        shown = text if len(text) <= MAX_SHOWN else f"{text[:MAX_SHOWN]}..."
        raise TraceError(f"{shown!r}: port out of range 1-65535")
    return port


def with_port(spec: PortSpec, port: int | None, dst: str) -> PortSpec:
    """``--port`` and the port of ``HOST:PORT`` together: one of them, or the same number."""
    if port is None or spec.port == port:
        return spec
    if spec.port is not None:
        raise TraceError(f"--to {dst} says port {port} but --port says {spec.port}: give one")
    return PortSpec(port, spec.protocol)


def is_bare_url(cluster: Cluster, text: str) -> bool:
    """A host and a path without a scheme (module docstring); never a pod or a workload."""
    head, sep, _ = text.partition("/")
    if not sep or not head or text in cluster.pod_by_key or workload_pods(cluster, text):
        return False
    return "." in head or ":" in head or head in ingress_hosts(cluster)


def ingress_hosts(cluster: Cluster) -> set[str]:
    """The host names Ingress rules and HTTPRoutes/Gateway listeners name."""
    hosts = {r.host for ing in cluster.of_kind("Ingress") for r in ing.rules if r.host}
    hosts |= {h for route in cluster.of_kind("HTTPRoute") for h in route.hostnames}
    for gateway in cluster.of_kind("Gateway"):
        hosts |= {lis.hostname for lis in gateway.listeners if lis.hostname}
    return hosts


def parse_destination(cluster: Cluster, text: str) -> Destination:
    """DST seen from inside the cluster, but a URL (module docstring)."""
    if text.startswith(SERVICE_PREFIX):
        return ToService(_service(cluster, text))
    if text in cluster.pod_by_key:
        return ToPod((cluster.pod_by_key[text],))
    if is_ip(text):
        return ToAddress(text)
    if "/" in text:
        pods = workload_pods(cluster, text)
        if not pods or pods[0].owner is None:
            raise TraceError(f"no pod or workload {text!r} ({DST_FORMS})")
        return ToPod(pods, str(pods[0].owner))
    return ToName(text)


def workload_pods(cluster: Cluster, text: str) -> tuple[Pod, ...]:
    """The pods of the workload ``NS/NAME`` or ``NS/KIND/NAME`` (the first one matching, as
    :meth:`podpath.cluster.Cluster.find_pod` picks it for ``--from``), in name order."""
    first = cluster.find_pod(text)
    if first is None or first.owner is None or first.key == text:
        return ()
    return tuple(p for p in cluster.pods if p.owner == first.owner)


def _service(cluster: Cluster, text: str) -> Service:
    service = cluster.service_by_key.get(text[len(SERVICE_PREFIX) :])
    if service is None:
        raise TraceError(f"no Service {text[len(SERVICE_PREFIX) :]!r} (svc:NS/NAME)")
    return service


def _url(text: str, spec: PortSpec) -> tuple[Destination, PortSpec]:
    """A URL from inside: its host, on ``--port`` or the URL's port."""
    url = urlsplit(text)
    host = url.hostname or ""
    if spec.port is None:
        try:
            port = url.port or URL_DEFAULT_PORTS.get(url.scheme, 80)
        except ValueError:
            raise TraceError(f"{text!r}: the URL's port is not a number in 1-65535") from None
        spec = PortSpec(port, spec.protocol)
    return (ToAddress(host) if is_ip(host) else ToName(host)), spec
