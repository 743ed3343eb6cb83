"""The Ingress/Gateway proxy of the data plane: HTTP in the controller and gateway pods.

Planning (no I/O): :func:`proxy_ports` finds, for every entry point of the routing engine
(:func:`podpath.engine.routing.entry_points`: an IngressClass's controller pods, a Gateway's
pods), the TCP ports its pods receive through the Services in front of them, with the Service
port a client used (the port an Ingress or a Gateway listener matches on).

Serving (:class:`Proxy`, run by the agent in those pods' namespaces, one connection at a time
per request, bounded by timeouts): each HTTP/1.x request is routed by
:func:`podpath.engine.routing.route_request` restricted to the pod's entry points; a non-200
answer (404 no rule, 500 invalid backend, redirects with their ``Location``...) is returned as
such, the connection's source address being the client address (ingress-nginx source ranges);
otherwise one of
the matched rule's weighted backends is picked at random and the proxy connects, from the
pod's own namespace, to the backend Service's ClusterIP (IPv4; an IPv6-only Service's IPv6
one) and port -- so the controller -> backend hop goes through the Service NAT and the
NetworkPolicy rules for real -- and returns ``200`` with the identity the backend pod
answered. A backend that cannot be reached gives ``504`` (timed out: dropped) or ``502``
(refused/unreachable); an invalid weighted backend its engine status (500, or 503 for a
Service without endpoints). TLS is not terminated: HTTPS listeners are not served. A request
with the header ``x-podpath-identity`` gets the pod's own identity (the probe's pod-to-pod and
Service checks).
"""

from __future__ import annotations

import asyncio
import random
import socket
from dataclasses import dataclass
from typing import Any

from podpath.cluster import Cluster
from podpath.dataplane.families import is_v4
from podpath.engine.entrypoints import entry_points
from podpath.engine.routing import parse_request, route_request
from podpath.errors import InputError
from podpath.model.routing import EntryPoint

READ_TIMEOUT = 5.0
UPSTREAM_TIMEOUT = 1.0
HEAD_LIMIT = 16384
BODY_LIMIT = 512
IDENTITY_HEADER = "x-podpath-identity"
HTTPS_PORT = 443
REASONS = {
    200: "OK",
    301: "Moved Permanently",
    302: "Found",
    307: "Temporary Redirect",
    308: "Permanent Redirect",
    400: "Bad Request",
    403: "Forbidden",
    404: "Not Found",
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
    504: "Gateway Timeout",
}


@dataclass(frozen=True, slots=True)
class ProxyPort:
    """Pod ``pod`` proxies on ``target`` (TCP) for entry points ``entries`` (EntryPoint
    labels); clients reached it on Service port ``service_port``."""

    pod: str
    target: int
    service_port: int
    entries: tuple[str, ...]


def proxy_ports(cluster: Cluster) -> tuple[ProxyPort, ...]:
    """Every (entry pod, target port) the proxy serves (module docstring)."""
    found: dict[tuple[str, int], tuple[int, set[str]]] = {}
    for ep in entry_points(cluster):
        pods = set(ep.pods)
        plain = _plain_http_ports(ep)
        for svc_key in ep.services:
            for pe in cluster.endpoints.get(svc_key, ()):
                if pe.service_port.protocol.value != "TCP" or not plain(pe.service_port.port):
                    continue
                for e in pe.endpoints:
                    if e.pod in pods:
                        port, entries = found.setdefault(
                            (e.pod, e.port), (pe.service_port.port, set())
                        )
                        entries.add(ep.label)
    return tuple(
        ProxyPort(pod, target, port, tuple(sorted(entries)))
        for (pod, target), (port, entries) in sorted(found.items())
    )


def _plain_http_ports(ep: EntryPoint) -> Any:
    """Which Service ports carry plain HTTP: a Gateway's HTTP listener ports; for an
    IngressClass every port but 443 (Ingress TLS is HTTPS on 443)."""
    if ep.kind != "Gateway":
        return lambda port: port != HTTPS_PORT
    ports = set()
    for text in ep.listeners:  # "NAME PROTOCOL/PORT HOST"
        parts = text.split()
        if len(parts) >= 2 and parts[1].startswith("HTTP/"):
            ports.add(int(parts[1].split("/")[1]))
    return lambda port: port in ports


def respond(status: int, body: str = "", entry: str = "", location: str | None = None) -> bytes:
    data = body.encode()
    head = (
        f"HTTP/1.1 {status} {REASONS.get(status, 'Status')}\r\n"
        f"Content-Length: {len(data)}\r\nContent-Type: text/plain\r\nConnection: close\r\n"
        + (f"X-Podpath-Entry: {entry}\r\n" if entry else "")
        + (f"Location: {location}\r\n" if location else "")
        + "\r\n"
    )
    return head.encode() + data


def parse_head(head: bytes) -> tuple[str, str, list[tuple[str, str]]]:
    """(method, target, headers) of an HTTP/1.x request head; ValueError when malformed."""
    lines = head.decode("latin-1").split("\r\n")
    method, target, version = lines[0].split(" ")
    if not version.startswith("HTTP/1."):
        raise ValueError(version)
    headers = []
    for line in lines[1:]:
        if line:
            name, _, value = line.partition(":")
            headers.append((name.strip().lower(), value.strip()))
    return method, target, headers


class Proxy:
    """The proxy of one pod on one port (module docstring). ``socket_factory(family)`` makes a
    TCP socket of that address family in the pod's namespace."""

    def __init__(
        self, cluster: Cluster, port: ProxyPort, identity: str, socket_factory: Any
    ) -> None:
        self.cluster = cluster
        self.port = port
        self.identity = identity
        self.socket_factory = socket_factory

    def decide(
        self,
        method: str,
        target: str,
        headers: list[tuple[str, str]],
        client_ip: str | None = None,
    ) -> tuple[int, Any, str | None]:
        """(status, None, Location) to answer now, or (0, (service key, port), None) to
        forward; ``client_ip`` is the connection's source (ingress-nginx source ranges)."""
        host = next((v for k, v in headers if k == "host"), "").rsplit(":", 1)[0]
        try:
            request = parse_request(
                f"http://{host}:{self.port.service_port}{target}",
                method,
                headers,
                client_ip=client_ip,
            )
        except InputError:
            return 400, None, None
        answers = [
            a for a in route_request(self.cluster, request) if a.entry_point in self.port.entries
        ]
        if not answers:
            return 404, None, None
        answer = answers[0]
        live = [b for b in answer.backends if b.weight > 0]
        if answer.status != 200 or not live:
            return answer.status, None, answer.location
        backend = random.choices(live, weights=[b.weight for b in live])[0]
        if backend.status is not None or backend.service is None or backend.port is None:
            return backend.status or 500, None, None
        return 0, (backend.service, backend.port), None

    async def upstream(self, service: str, port: int) -> tuple[int, str]:
        svc = self.cluster.service_by_key.get(service)
        ips = svc.cluster_ips if svc else ()
        # the IPv4 ClusterIP, else (an IPv6-only Service of a dual-stack model) the IPv6 one
        ip = next((i for i in ips if is_v4(i)), None) or next(iter(ips), None)
        if ip is None:
            return 503, f"no ClusterIP for {service}"
        loop = asyncio.get_running_loop()
        family = socket.AF_INET if is_v4(ip) else socket.AF_INET6
        sock: socket.socket = self.socket_factory(family)
        try:
            await asyncio.wait_for(loop.sock_connect(sock, (ip, port)), UPSTREAM_TIMEOUT)
            data = b""
            while len(data) < BODY_LIMIT:
                chunk = await asyncio.wait_for(loop.sock_recv(sock, BODY_LIMIT), UPSTREAM_TIMEOUT)
                if not chunk:
                    break
                data += chunk
            return 200, data.decode(errors="replace")
        except TimeoutError:
            return 504, f"{service}:{port} timed out"
        except OSError as exc:
            return 502, f"{service}:{port}: {exc.strerror}"
        finally:
            sock.close()

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        entry = ",".join(self.port.entries)
        try:
            head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), READ_TIMEOUT)
            try:
                method, target, headers = parse_head(head[:-4])
            except ValueError:
                writer.write(respond(400, "bad request\n", entry))
                return
            if any(k == IDENTITY_HEADER for k, _ in headers):
                writer.write(respond(200, self.identity + "\n", entry))
                return
            peer = writer.get_extra_info("peername")
            client_ip = peer[0] if isinstance(peer, tuple) and peer else None
            status, forward, location = self.decide(method, target, headers, client_ip)
            body = ""
            if forward is not None:
                status, body = await self.upstream(*forward)
            writer.write(respond(status, body, entry, location))
            await asyncio.wait_for(writer.drain(), READ_TIMEOUT)
        except (OSError, TimeoutError, asyncio.IncompleteReadError, asyncio.LimitOverrunError):
            pass
        finally:
            writer.close()
