"""What is asked: ``--port PORT[/PROTO]`` and the kind of DST.

DST is a Service (``svc:NS/NAME``), a URL, a pod (``NS/NAME``), an IP, or a DNS name. From
inside the cluster a URL stands for its host (and its port, when ``--port`` is not given); from
outside, a URL or a bare host name is an HTTP request asked of the routing engine
(:mod:`podpath.analyze.trace.url`). Each kind is one small value; the dispatch
(:mod:`podpath.analyze.trace.dispatch`) picks the pipeline from it.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

from podpath.analyze.trace.values import SERVICE_PREFIX, PortSpec, TraceError
from podpath.cluster import Cluster
from podpath.engine.dns import is_ip
from podpath.model.core import Pod, Protocol
from podpath.model.services import Service

URL_DEFAULT_PORTS = {"http": 80, "https": 443, "grpc": 80, "grpcs": 443}


@dataclass(frozen=True, slots=True)
class ToService:
    service: Service


@dataclass(frozen=True, slots=True)
class ToPod:
    pod: Pod


@dataclass(frozen=True, slots=True)
class ToAddress:
    ip: str


@dataclass(frozen=True, slots=True)
class ToName:
    name: str


@dataclass(frozen=True, slots=True)
class ToUrl:
    """A URL from inside: its host, and its port (else its scheme's default; None when the
    URL's port is not a valid one)."""

    host: str
    port: int | None


@dataclass(frozen=True, slots=True)
class ToRequest:
    """A URL (or host name) from outside, as given: an HTTP request for the routing engine."""

    url: str


Destination = ToService | ToPod | ToAddress | ToName
OutsideDestination = ToService | ToAddress | ToRequest


def parse_port(text: str | None) -> PortSpec:
    """``80``, ``53/UDP``, ``http`` or ``http/TCP``."""
    if not text:
        return PortSpec(None)
    head, _, proto = text.partition("/")
    try:
        protocol = Protocol(proto.upper()) if proto else Protocol.TCP
    except ValueError:
        raise TraceError(f"unknown protocol {proto!r} (TCP, UDP, SCTP)") from None
    port: int | str = int(head) if head.isdigit() else head
    if isinstance(port, int) and not 0 < port < 65536:
        raise TraceError(f"port {port} out of range 1-65535")
    return PortSpec(port, protocol)


def ask(cluster: Cluster, dst: str, spec: PortSpec) -> tuple[Destination, PortSpec]:
    """DST from inside the cluster, and the port: ``--port``, else a URL's (module docstring)."""
    if dst.startswith(SERVICE_PREFIX) or "://" not in dst:
        return parse_destination(cluster, dst), spec
    url = _url(dst)
    if spec.port is None:
        if url.port is None:
            raise TraceError(f"{dst!r}: the URL's port is not a number in 1-65535")
        spec = PortSpec(url.port, spec.protocol)
    return (ToAddress(url.host) if is_ip(url.host) else ToName(url.host)), spec


def parse_destination(cluster: Cluster, text: str) -> Destination:
    """DST seen from inside the cluster, but a URL (module docstring)."""
    if text.startswith(SERVICE_PREFIX):
        return ToService(_service(cluster, text))
    if text in cluster.pod_by_key:
        return ToPod(cluster.pod_by_key[text])
    if is_ip(text):
        return ToAddress(text)
    if "/" in text:
        raise TraceError(
            f"no pod {text!r} (DST is NS/NAME, svc:NS/NAME, a DNS name, an IP or a URL)"
        )
    return ToName(text)


def parse_outside_destination(cluster: Cluster, text: str) -> OutsideDestination:
    """DST seen from outside: a URL (or host name), a Service, or an address."""
    bare_name = not is_ip(text) and not text.startswith(SERVICE_PREFIX) and "/" not in text
    if "://" in text or bare_name:
        return ToRequest(text)
    if text.startswith(SERVICE_PREFIX):
        return ToService(_service(cluster, text))
    if is_ip(text):
        return ToAddress(text)
    raise TraceError(f"{text!r}: from outside, DST is an address, svc:NS/NAME or a URL")


def _service(cluster: Cluster, text: str) -> Service:
    service = cluster.service_by_key.get(text[len(SERVICE_PREFIX) :])
    if service is None:
        raise TraceError(f"no Service {text[len(SERVICE_PREFIX) :]!r} (svc:NS/NAME)")
    return service


def _url(text: str) -> ToUrl:
    url = urlsplit(text)
    try:
        port: int | None = url.port or URL_DEFAULT_PORTS.get(url.scheme, 80)
    except ValueError:
        port = None
    return ToUrl(url.hostname or "", port)
