"""The prober of ``probe``: one real connection per check, from inside the source's network
namespace (TCP, UDP, and the cluster DNS lookup a pod would make), classified as an outcome
(``answered ...``, ``timeout``, ``refused``, ``unreachable``, ``dns-timeout``, ``http ...``).
"""

from __future__ import annotations

import asyncio
import errno
import os
import socket

from dnslib import QTYPE, DNSRecord

from podpath.dataplane.families import family_of
from podpath.dataplane.netns import open_netns, socket_in
from podpath.dataplane.plan import DNS_PORT
from podpath.dataplane.probe_outcomes import (
    ANSWERED,
    DNS_TIMEOUT,
    REFUSED,
    TIMEOUT,
    UNREACHABLE,
    Check,
    without_source,
)

PROBE_PAYLOAD = b"podpath-probe\n"
READ_LIMIT = 512
ROUTE_TIMEOUT = 3.0  # a route check waits for the proxy's own upstream timeout (1 s)


class Prober:
    def __init__(self, timeout: float, concurrency: int, dns_ip: str) -> None:
        self.timeout = timeout
        self.limit = asyncio.Semaphore(concurrency)
        self.dns_ip = dns_ip
        self.home = os.open("/proc/thread-self/ns/net", os.O_RDONLY)
        self.fds: dict[str, int] = {}

    def close(self) -> None:
        for fd in [self.home, *self.fds.values()]:
            os.close(fd)

    def socket(self, netns: str, kind: int, ip: str = "") -> socket.socket:
        if netns not in self.fds:
            self.fds[netns] = open_netns(netns)
        af = socket.AF_INET6 if family_of(ip) == 6 else socket.AF_INET
        sock = socket_in(self.fds[netns], self.home, af, kind)
        sock.setblocking(False)
        return sock

    async def tcp(
        self,
        netns: str,
        ip: str,
        port: int,
        *,
        read: bool = True,
        send: bytes = b"",
        timeout: float | None = None,
        bind: str = "",
    ) -> tuple[str, bytes]:
        loop = asyncio.get_running_loop()
        sock = self.socket(netns, socket.SOCK_STREAM, ip)
        wait = timeout or self.timeout
        try:
            if bind:
                sock.bind((bind, 0))
            await asyncio.wait_for(loop.sock_connect(sock, (ip, port)), wait)
            if not read:  # a DNS server waits for a query: the connection is the answer
                return ANSWERED, b""
            if send:
                await asyncio.wait_for(loop.sock_sendall(sock, send), wait)
            data = b""
            while len(data) < READ_LIMIT:
                chunk = await asyncio.wait_for(loop.sock_recv(sock, READ_LIMIT), wait)
                if not chunk:
                    break
                data += chunk
            return f"{ANSWERED} {data.decode(errors='replace').strip()}", data
        except TimeoutError:
            return TIMEOUT, b""
        except OSError as exc:
            return _os_outcome(exc), b""
        finally:
            sock.close()

    async def udp(
        self, netns: str, ip: str, port: int, payload: bytes = PROBE_PAYLOAD
    ) -> tuple[str, bytes]:
        loop = asyncio.get_running_loop()
        sock = self.socket(netns, socket.SOCK_DGRAM, ip)
        try:
            sock.connect((ip, port))
            await loop.sock_sendall(sock, payload)
            data = await asyncio.wait_for(loop.sock_recv(sock, 4096), self.timeout)
            return f"{ANSWERED} {data.decode(errors='replace').strip()}", data
        except TimeoutError:
            return TIMEOUT, b""
        except OSError as exc:
            return _os_outcome(exc), b""
        finally:
            sock.close()

    async def resolve(self, netns: str, name: str, family: int | None = None) -> str | None:
        """The first A record (AAAA for ``family`` 6) the cluster DNS gives this pod for
        ``name`` (None: no answer; the query goes to the IPv4 cluster DNS address)."""
        qtype = "AAAA" if family == 6 else "A"
        query = DNSRecord.question(name, qtype)
        outcome, data = await self.udp(netns, self.dns_ip, DNS_PORT, bytes(query.pack()))
        if not outcome.startswith(ANSWERED):
            return None
        try:
            reply = DNSRecord.parse(data)
        except Exception:  # dnslib raises several types for malformed packets
            return ""
        want = QTYPE.AAAA if family == 6 else QTYPE.A
        return next((str(rr.rdata) for rr in reply.rr if rr.rtype == want), "")

    async def run(self, check: Check, dns_serving: set[tuple[str, int, str]]) -> str:
        async with self.limit:
            address = check.address
            if family_of(address) is None:
                resolved = await self.resolve(check.netns, address, check.family)
                if resolved is None:
                    return DNS_TIMEOUT
                if not resolved:
                    return UNREACHABLE
                address = resolved
            dns = check.dns or (check.target, check.port, check.protocol) in dns_serving
            if check.protocol == "TCP":
                outcome, data = await self.tcp(
                    check.netns,
                    address,
                    check.port,
                    read=not dns,
                    send=check.send,
                    timeout=max(self.timeout, ROUTE_TIMEOUT) if check.route else None,
                    bind=check.bind,
                )
                if check.http and outcome.startswith(ANSWERED):
                    outcome = _http_outcome(data, check.route)
            else:
                payload = (
                    bytes(DNSRecord.question("podpath.probe", "A").pack()) if dns else PROBE_PAYLOAD
                )
                outcome, _ = await self.udp(check.netns, address, check.port, payload)
            if dns and outcome.startswith(ANSWERED):  # a DNS server does not say who it is
                answers = sorted(o for o in check.expected if o.startswith(ANSWERED))
                return answers[0] if answers else f"{ANSWERED} {check.target}"
            # servers answer "NS/NAME from SOURCE": the source counts only where it is checked
            return outcome if check.seen else without_source(outcome)


def _http_outcome(data: bytes, route: bool) -> str:
    """``http STATUS [IDENTITY]`` for a route check; ``answered IDENTITY`` when a proxy answered
    the identity request."""
    head, _, body = data.partition(b"\r\n\r\n")
    parts = head.split(b" ", 2)
    if len(parts) < 2 or not parts[1].isdigit():
        return f"error not HTTP: {data[:40]!r}"
    status = int(parts[1])
    text = body.decode(errors="replace").strip()
    if route:
        return f"http {status} {text}" if status == 200 else f"http {status}"
    return f"{ANSWERED} {text}" if status == 200 else f"http {status}"


def _os_outcome(exc: OSError) -> str:
    if exc.errno == errno.ECONNREFUSED:
        return REFUSED
    if exc.errno in (errno.EHOSTUNREACH, errno.ENETUNREACH):
        return UNREACHABLE
    return f"error {exc.strerror}"
