"""The pods' servers: one asyncio process holding sockets in every pod's namespace.

``python -m podpath.dataplane.agent STATE_DIR`` reads ``state.json`` and rebuilds the model from
``input.json`` (written by ``podpath up``; the folder and files checked as every data plane
command checks them: :mod:`podpath.dataplane.statedir`), binds every listener inside its pod's
namespace (``setns`` then ``socket()``: a socket stays in the namespace it was made in), answers
TCP connections and UDP datagrams with the pod's identity ``NS/NAME\\n``, serves cluster DNS
where the plan says, prints ``ready`` on standard output and runs until killed. A pod with an
IPv6 address (dual stack) gets a second socket per listener, IPv6 only (``IPV6_V6ONLY``: the
source it reports stays the IPv4 address for IPv4 clients).
"""

from __future__ import annotations

import asyncio
import os
import resource
import socket
import sys
from pathlib import Path
from typing import Any, cast

from podpath.cluster import Cluster
from podpath.dataplane.dnsserver import DNSAnswerer
from podpath.dataplane.lifecycle import load_model, load_state
from podpath.dataplane.netns import open_netns, socket_in
from podpath.dataplane.plan import DNS_NS, DNS_PORT
from podpath.dataplane.proxy import Proxy, ProxyPort
from podpath.dataplane.statedir import open_state_dir
from podpath.errors import PodpathError, StateDirError

BACKLOG = 512
SOCK = {"TCP": socket.SOCK_STREAM, "UDP": socket.SOCK_DGRAM, "SCTP": socket.SOCK_STREAM}
PROTO = {"TCP": 0, "UDP": 0, "SCTP": socket.IPPROTO_SCTP}
READ_TIMEOUT = 5.0


class _Identity(asyncio.DatagramProtocol):
    def __init__(self, reply: bytes) -> None:
        self.reply = reply
        self.transport: asyncio.DatagramTransport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.DatagramTransport, transport)

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        if self.transport is not None:
            self.transport.sendto(_seen(self.reply, addr), addr)


class _DNSUdp(asyncio.DatagramProtocol):
    def __init__(self, answerer: DNSAnswerer) -> None:
        self.answerer = answerer
        self.transport: asyncio.DatagramTransport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.DatagramTransport, transport)

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        reply = self.answerer.answer(data)
        if reply is not None and self.transport is not None:
            self.transport.sendto(reply, addr)


def _seen(identity: bytes, peer: Any) -> bytes:
    """``NS/NAME from SOURCE``: the identity and the address the connection came from (what
    NetworkPolicy saw: the probe compares it with the model where a load balancer or source
    NAT decides it)."""
    source = peer[0] if isinstance(peer, tuple) and peer else "?"
    return identity + b" from " + str(source).encode() + b"\n"


def _identity_stream(reply: bytes) -> Any:
    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            writer.write(_seen(reply, writer.get_extra_info("peername")))
            await asyncio.wait_for(writer.drain(), READ_TIMEOUT)
        except (OSError, TimeoutError):
            pass
        finally:
            writer.close()

    return handle


def _dns_stream(answerer: DNSAnswerer) -> Any:
    """DNS over TCP (RFC 1035 4.2.2: two-byte length prefix)."""

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            size = int.from_bytes(
                await asyncio.wait_for(reader.readexactly(2), READ_TIMEOUT), "big"
            )
            data = await asyncio.wait_for(reader.readexactly(size), READ_TIMEOUT)
            reply = answerer.answer(data)
            if reply is not None:
                writer.write(len(reply).to_bytes(2, "big") + reply)
                await asyncio.wait_for(writer.drain(), READ_TIMEOUT)
        except (OSError, TimeoutError, asyncio.IncompleteReadError):
            pass
        finally:
            writer.close()

    return handle


async def _listen(
    netns: str,
    port: int,
    proto: str,
    serves: str,
    identity: str,
    answerer: DNSAnswerer,
    home: int,
    proxy: Proxy | None = None,
    family: int = 4,
) -> None:
    loop = asyncio.get_running_loop()
    fd = open_netns(netns)
    af = socket.AF_INET6 if family == 6 else socket.AF_INET
    try:
        sock = socket_in(fd, home, af, SOCK[proto], PROTO[proto])
    finally:
        os.close(fd)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if family == 6:
        sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
    sock.bind(("::" if family == 6 else "0.0.0.0", port))
    sock.setblocking(False)
    if proto == "UDP":
        factory: Any = (
            (lambda: _DNSUdp(answerer))
            if serves == "dns"
            else (lambda: _Identity(identity.encode()))
        )
        await loop.create_datagram_endpoint(factory, sock=sock)
        return
    sock.listen(BACKLOG)
    if proxy is not None:
        handler = proxy.handle
    elif serves == "dns":
        handler = _dns_stream(answerer)
    else:
        handler = _identity_stream(identity.encode())
    await asyncio.start_server(handler, sock=sock)


def _socket_factory(netns: str, home: int) -> Any:
    """Non-blocking TCP sockets (of an address family, IPv4 by default) made in ``netns`` (its
    descriptor stays open: one per pod)."""
    fd = open_netns(netns)

    def make(family: int = socket.AF_INET) -> socket.socket:
        sock = socket_in(fd, home, family, socket.SOCK_STREAM)
        sock.setblocking(False)
        return sock

    return make


def _load(state_dir: Path) -> tuple[dict[str, Any], Cluster]:
    sd = open_state_dir(state_dir, create=False)
    if sd is None:
        raise StateDirError(f"no state folder {state_dir}")
    try:
        state = load_state(sd)
        if state is None:
            raise StateDirError(f"no state file in {state_dir}")
        return state, load_model(sd)
    finally:
        sd.close()


async def serve(state_dir: Path) -> None:
    state, cluster = _load(state_dir)
    answerer = DNSAnswerer(cluster)
    home = os.open("/proc/thread-self/ns/net", os.O_RDONLY)
    proxies = {
        (pod, target): ProxyPort(pod, target, sport, tuple(entries))
        for pod, target, sport, entries in state.get("proxies", [])
    }
    for pod in state["pods"]:
        for port, proto, serves in pod["listeners"]:
            proxy = None
            spec = proxies.get((pod["key"], port))
            if serves == "proxy" and spec is not None:
                proxy = Proxy(cluster, spec, pod["key"], _socket_factory(pod["netns"], home))
            for family in (4, 6) if pod.get("ip6") else (4,):
                await _listen(
                    pod["netns"], port, proto, serves, pod["key"], answerer, home, proxy, family
                )
    internet = state["internet"]
    for port, proto, serves in internet.get("listeners", []):
        await _listen(internet["netns"], port, proto, serves, "internet", answerer, home)
    if not state["dns_in_pods"]:
        for proto in ("UDP", "TCP"):
            await _listen(DNS_NS, DNS_PORT, proto, "dns", "", answerer, home)
    print("ready", flush=True)
    await asyncio.Event().wait()


def main() -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    try:
        asyncio.run(serve(Path(sys.argv[1])))
    except (OSError, PodpathError) as exc:
        print(f"error: {exc}", flush=True)
        sys.exit(1)


if __name__ == "__main__":
    main()
