"""``probe``: real connections through the data plane, compared with the model.

Checks (each one attempt, bounded by ``timeout``, at most ``concurrency`` at once; a check
that disagrees is tried once more with a longer timeout, fewer at a time, and only that second
answer counts -- a loaded machine drops SYNs and answers late, a wrong rule does so every time):

- pod -> pod: every pod to every other pod on every port/protocol it serves. The model's answer
  is the policy engine's verdict (:func:`podpath.engine.policy.evaluate`); the real one is what
  the connection did: ``answered`` (by the right pod), ``timeout`` (dropped), ``refused`` or
  ``unreachable``. They agree when allowed <-> answered and denied <-> timeout.
- pod -> Service by DNS name: the pod asks the cluster DNS (as its resolv.conf says) for
  ``<svc>.<ns>.svc.<zone>`` and connects to the answer on each Service port. One connection
  lands on one endpoint, so the model gives the *set* of outcomes it allows: per ready endpoint
  (only the client node's for ``internalTrafficPolicy: Local``) ``answered by`` it when policy
  allows and the pod serves the target port, ``refused`` when it does not serve it, ``timeout``
  when policy denies; ``unreachable`` without endpoints; ``dns-timeout`` when policy denies the
  pod's DNS traffic to a DNS pod. The real outcome must be in that set.
- internet -> every LoadBalancer address and every node's NodePort: as above, with the source
  the pod sees (the node's IP unless ``externalTrafficPolicy: Local``) and the endpoints the
  receiving node uses.

Pods reaching their own IP and host-network pods are not probed (traffic that never crosses a
node's forwarding path; see docs/dataplane.md).
"""

from __future__ import annotations

import asyncio
import errno
import os
import socket
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from dnslib import QTYPE, DNSRecord

from podpath.cluster import Cluster, is_dns_service
from podpath.dataplane.netns import open_netns, socket_in
from podpath.dataplane.plan import DNS_PORT, INTERNET_IP, dns_endpoint_ports, is_v4
from podpath.engine.policy import IPPeer, Peer, PodPeer, evaluate, peer_for_ip
from podpath.model.core import Protocol
from podpath.model.services import Endpoint, Service, ServiceType

ANSWERED = "answered"
TIMEOUT = "timeout"
REFUSED = "refused"
UNREACHABLE = "unreachable"
DNS_TIMEOUT = "dns-timeout"
PROBE_PAYLOAD = b"podpath-probe\n"
READ_LIMIT = 512
ROUTE_TIMEOUT = 3.0  # a route check waits for the proxy's own upstream timeout (1 s)
IDENTITY_REQUEST = (
    b"GET / HTTP/1.1\r\nHost: podpath-probe\r\nx-podpath-identity: 1\r\nConnection: close\r\n\r\n"
)
RETRY_FACTOR = 4.0  # a disagreement is tried again with this times the timeout (at least
RETRY_MIN_TIMEOUT = 2.0  # this many seconds), at most RETRY_CONCURRENCY at a time
RETRY_CONCURRENCY = 64
Progress = Callable[[str], None]


@dataclass(frozen=True, slots=True)
class Check:
    source: str  # pod key or "internet"
    netns: str
    target: str  # pod key, "svc:NS/NAME" or an address
    address: str  # IP, or a DNS name to resolve first
    port: int
    protocol: str
    expected: frozenset[str]  # allowed outcomes ("answered NS/NAME", "timeout", ...)
    model: str
    dns: bool = False  # the target serves DNS (no identity: any answer counts as its)
    send: bytes = b""  # sent after connecting (an HTTP request to a proxy)
    http: bool = False  # the answer is HTTP: identity in the body (``route``: "http STATUS")
    route: bool = False


class _Prober:
    def __init__(self, timeout: float, concurrency: int, dns_ip: str) -> None:
        self.timeout = timeout
        self.limit = asyncio.Semaphore(concurrency)
        self.dns_ip = dns_ip
        self.home = os.open("/proc/thread-self/ns/net", os.O_RDONLY)
        self.fds: dict[str, int] = {}

    def close(self) -> None:
        for fd in [self.home, *self.fds.values()]:
            os.close(fd)

    def socket(self, netns: str, kind: int) -> socket.socket:
        if netns not in self.fds:
            self.fds[netns] = open_netns(netns)
        sock = socket_in(self.fds[netns], self.home, socket.AF_INET, kind)
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
    ) -> tuple[str, bytes]:
        loop = asyncio.get_running_loop()
        sock = self.socket(netns, socket.SOCK_STREAM)
        wait = timeout or self.timeout
        try:
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
        sock = self.socket(netns, socket.SOCK_DGRAM)
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

    async def resolve(self, netns: str, name: str) -> str | None:
        """The first A record the cluster DNS gives this pod for ``name`` (None: no answer)."""
        query = DNSRecord.question(name, "A")
        outcome, data = await self.udp(netns, self.dns_ip, DNS_PORT, bytes(query.pack()))
        if not outcome.startswith(ANSWERED):
            return None
        try:
            reply = DNSRecord.parse(data)
        except Exception:  # dnslib raises several types for malformed packets
            return ""
        return next((str(rr.rdata) for rr in reply.rr if rr.rtype == QTYPE.A), "")

    async def run(self, check: Check, dns_serving: set[tuple[str, int, str]]) -> str:
        async with self.limit:
            address = check.address
            if not is_v4(address):
                resolved = await self.resolve(check.netns, address)
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
            return outcome


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


def _served(state: dict[str, Any]) -> dict[str, set[tuple[int, str]]]:
    return {p["key"]: {(port, proto) for port, proto, _ in p["listeners"]} for p in state["pods"]}


def _endpoint_outcome(
    cluster: Cluster,
    src: Peer,
    ep: Endpoint,
    protocol: str,
    served: dict[str, set[tuple[int, str]]],
) -> str:
    """What one connection landing on ``ep`` does. A pod reaching itself through a Service is
    source-NATed to its node's IP (kube-proxy's hairpin masquerade), so its node is the source
    policy sees. An endpoint that is no pod's answers when a host-network pod serves it on that
    node, is refused by a node without a listener, and is unreachable elsewhere."""
    dst = cluster.pod_by_key.get(ep.pod or "") or cluster.pod_by_ip.get(ep.ip)
    if dst is None or dst.host_network:
        # an address that is no (policed) pod's: only the source pod's egress applies
        if not evaluate(
            cluster, src, peer_for_ip(cluster, ep.ip), ep.port, Protocol(protocol)
        ).allowed:
            return TIMEOUT
        owner = next(
            (
                k
                for k, ports in served.items()
                if (ep.port, protocol) in ports
                and cluster.pod_by_key[k].host_network
                and ep.ip in cluster.pod_by_key[k].ips
            ),
            None,
        )
        if owner is not None:
            return f"{ANSWERED} {owner}"
        return REFUSED if cluster.node_at(ep.ip) is not None else UNREACHABLE
    if isinstance(src, PodPeer) and src.pod.key == dst.key and dst.node_name:
        node = cluster.node_by_name.get(dst.node_name)
        if node is not None and node.internal_ips:
            src = peer_for_ip(cluster, node.internal_ips[0])
    if not evaluate(cluster, src, PodPeer(dst), ep.port, Protocol(protocol)).allowed:
        return TIMEOUT
    if (ep.port, protocol) not in served.get(dst.key, set()):
        return REFUSED
    return f"{ANSWERED} {dst.key}"


def _no_endpoint(ready: Iterable[Endpoint]) -> set[str]:
    """No endpoint to use: a traffic policy of Local without a local endpoint drops; no ready
    endpoint at all rejects (kube-proxy: ICMP unreachable, or no listener on the node)."""
    return {TIMEOUT} if any(is_v4(e.ip) for e in ready) else {UNREACHABLE, REFUSED}


def _verdict(outcomes: set[str]) -> str:
    answered = {o for o in outcomes if o.startswith(ANSWERED)}
    if not outcomes:
        return UNREACHABLE
    if answered == outcomes:
        return "allowed"
    if not answered:
        return "denied" if TIMEOUT in outcomes else sorted(outcomes)[0]
    return "partial"


def _proxied(state: dict[str, Any]) -> set[tuple[str, int]]:
    """(pod, port) pairs where the Ingress/Gateway proxy listens."""
    return {(pod, target) for pod, target, _, _ in state.get("proxies", [])}


def _pod_checks(cluster: Cluster, state: dict[str, Any]) -> Iterable[Check]:
    proxied = _proxied(state)
    pods = [p for p in state["pods"] if not p["host_network"]]
    for src in pods:
        peer = PodPeer(cluster.pod_by_key[src["key"]])
        for dst in pods:
            if dst["key"] == src["key"]:
                continue
            target = PodPeer(cluster.pod_by_key[dst["key"]])
            for port, proto, _ in dst["listeners"]:
                allowed = evaluate(cluster, peer, target, port, Protocol(proto)).allowed
                outcome = f"{ANSWERED} {dst['key']}" if allowed else TIMEOUT
                model = "allowed" if allowed else "denied"
                yield Check(
                    src["key"],
                    src["netns"],
                    dst["key"],
                    dst["ip"],
                    port,
                    proto,
                    frozenset({outcome}),
                    model,
                    **_identity_request((dst["key"], port) in proxied and proto == "TCP"),
                )


def _identity_request(http: bool) -> dict[str, Any]:
    return {"send": IDENTITY_REQUEST, "http": True} if http else {}


def _internet_checks(cluster: Cluster, state: dict[str, Any]) -> Iterable[Check]:
    """Every pod to the ``internet`` client on each port it serves (ports egress rules name,
    and one they do not). Expected: ``podpath trace --from POD --to INTERNET_IP --port P``
    (:func:`podpath.analyze.trace.trace`): allowed -> answered by ``internet``, denied ->
    timeout (egress is the only side with a policy)."""
    from podpath.analyze.trace import trace

    internet = state["internet"]
    for src in (p for p in state["pods"] if not p["host_network"]):
        for port, proto, _ in internet.get("listeners", []):
            verdict = trace(cluster, src["key"], internet["ip"], f"{port}/{proto}").verdict
            outcome = f"{ANSWERED} internet" if verdict == "allowed" else TIMEOUT
            yield Check(
                src["key"],
                src["netns"],
                "internet",
                internet["ip"],
                port,
                proto,
                frozenset({outcome}),
                verdict,
            )


def _dns_outcomes(cluster: Cluster, src: Peer) -> set[str]:
    """``dns-timeout`` when policy denies this pod's DNS traffic to some DNS pod."""
    out = set()
    for key, ports in dns_endpoint_ports(cluster).items():
        dst = cluster.pod_by_key.get(key)
        for port, proto in ports:
            if (
                dst is not None
                and proto == "UDP"
                and not evaluate(cluster, src, PodPeer(dst), port, Protocol.UDP).allowed
            ):
                out.add(DNS_TIMEOUT)
    return out


def _probed_services(cluster: Cluster) -> list[Service]:
    return [
        s
        for s in cluster.services
        if s.external_name is None and not s.headless and any(is_v4(ip) for ip in s.cluster_ips)
    ]


def _traced_outcomes(
    cluster: Cluster,
    source: str,
    svc: Service,
    pe: Any,
    served: dict[str, set[tuple[int, str]]],
) -> tuple[set[str], str]:
    """The outcomes ``trace --from SOURCE --to svc:NS/NAME --port PORT/PROTO`` allows, mapped
    to what a connection does here: an endpoint pod ``allowed`` answers when it serves the
    target port (refused otherwise), ``denied`` times out; an endpoint that is no policed
    pod's answers/refuses as its address does (:func:`_endpoint_outcome`). With no endpoint
    the trace says only "unreachable"; whether that is a reject or a drop is this data plane's
    (:func:`_no_endpoint`)."""
    from podpath.analyze.trace import trace

    proto = pe.service_port.protocol.value
    result = trace(cluster, source, f"svc:{svc.key}", f"{pe.service_port.port}/{proto}")
    out: set[str] = set()
    by_ip = {e.ip: e for e in pe.ready}
    src = PodPeer(cluster.pod_by_key[source])
    for e in result.endpoints:
        pod = cluster.pod_by_key.get(e.pod or "")
        if pod is None or pod.host_network:
            ep = by_ip.get(e.ip)
            if e.verdict == "denied":
                out.add(TIMEOUT)
            elif ep is not None:
                out.add(_endpoint_outcome(cluster, src, ep, proto, served))
            continue
        if e.verdict == "denied":
            out.add(TIMEOUT)
        elif (e.port, proto) in served.get(pod.key, set()):
            out.add(f"{ANSWERED} {pod.key}")
        else:
            out.add(REFUSED)
    return out or _no_endpoint(pe.ready), result.verdict


def _service_checks(
    cluster: Cluster, state: dict[str, Any], protocols: set[str]
) -> Iterable[Check]:
    """Every pod to every Service port by DNS name; expected from ``trace``
    (:func:`_traced_outcomes`), plus ``dns-timeout`` where policy blocks the pod's DNS."""
    served = _served(state)
    proxied = _proxied(state)
    zone = cluster.settings.cluster_domain
    services = _probed_services(cluster)
    for src in (p for p in state["pods"] if not p["host_network"]):
        pod = cluster.pod_by_key[src["key"]]
        dns = _dns_outcomes(cluster, PodPeer(pod))
        for svc in services:
            for pe in cluster.endpoints.get(svc.key, ()):
                proto = pe.service_port.protocol.value
                if proto not in protocols:
                    continue
                outcomes, model = _traced_outcomes(cluster, pod.key, svc, pe, served)
                eps = [e for e in pe.ready if is_v4(e.ip)]
                yield Check(
                    src["key"],
                    src["netns"],
                    f"svc:{svc.key}",
                    f"{svc.name}.{svc.namespace}.svc.{zone}",
                    pe.service_port.port,
                    proto,
                    frozenset(outcomes | dns),
                    model,
                    dns=is_dns_service(svc) and pe.service_port.port == DNS_PORT,
                    **_identity_request(
                        proto == "TCP" and any((e.pod, e.port) in proxied for e in eps)
                    ),
                )


def _external_checks(
    cluster: Cluster, state: dict[str, Any], protocols: set[str]
) -> Iterable[Check]:
    served = _served(state)
    proxied = _proxied(state)
    nodes = {n["name"]: n["ip"] for n in state["nodes"]}
    lb_node = {ip: node_ip for ip, node_ip in state.get("lb_routes", [])}
    netns = state["internet"]["netns"]
    for svc in cluster.services:
        if svc.type not in (ServiceType.NODE_PORT, ServiceType.LOAD_BALANCER):
            continue
        local = svc.external_traffic_policy == "Local"
        for pe in cluster.endpoints.get(svc.key, ()):
            proto = pe.service_port.protocol.value
            if proto not in protocols:
                continue
            targets: list[tuple[str, int, str]] = []
            if pe.service_port.node_port:
                targets += [(ip, pe.service_port.node_port, ip) for ip in nodes.values()]
            if svc.type is ServiceType.LOAD_BALANCER:
                targets += [
                    (ip, pe.service_port.port, lb_node[ip])
                    for ip in svc.lb_ingress
                    if ip in lb_node
                ]
            for address, port, node_ip in targets:
                node = cluster.node_at(node_ip)
                eps = [e for e in pe.ready if is_v4(e.ip)]
                if local:
                    eps = [e for e in eps if node is not None and e.node_name == node.name]
                src: Peer = IPPeer(INTERNET_IP) if local else peer_for_ip(cluster, node_ip)
                outcomes = {_endpoint_outcome(cluster, src, e, proto, served) for e in eps}
                outcomes = outcomes or _no_endpoint(pe.ready)
                yield Check(
                    "internet",
                    netns,
                    f"svc:{svc.key}",
                    address,
                    port,
                    proto,
                    frozenset(outcomes),
                    _verdict(outcomes),
                    **_identity_request(
                        proto == "TCP" and any((e.pod, e.port) in proxied for e in eps)
                    ),
                )


async def _run_all(
    checks: list[Check],
    prober: _Prober,
    dns_serving: set[tuple[str, int, str]],
    progress: Progress | None,
) -> list[str]:
    done = 0

    async def one(check: Check) -> str:
        nonlocal done
        result = await prober.run(check, dns_serving)
        done += 1
        if progress is not None and done % 200 == 0:
            progress(f"{done}/{len(checks)} connections")
        return result

    return list(await asyncio.gather(*(one(c) for c in checks)))


def _agrees(check: Check, real: str) -> bool:
    return real in check.expected


def build_checks(cluster: Cluster, state: dict[str, Any], *, services: bool = True) -> list[Check]:
    protocols = {"TCP", "UDP"}
    checks = list(_pod_checks(cluster, state))
    if services:
        checks += list(_service_checks(cluster, state, protocols))
        checks += list(_external_checks(cluster, state, protocols))
    if services:
        from podpath.dataplane.probe_routes import route_checks

        checks += list(_internet_checks(cluster, state))
        checks += list(route_checks(cluster, state))
    return checks


def run_probe(
    cluster: Cluster,
    state: dict[str, Any],
    *,
    timeout: float = 1.0,
    concurrency: int = 256,
    services: bool = True,
    progress: Progress | None = None,
) -> dict[str, Any]:
    """Run every check; the DESIGN.md probe result."""
    checks = build_checks(cluster, state, services=services)
    dns_serving = {
        (p["key"], port, proto)
        for p in state["pods"]
        for port, proto, serves in p["listeners"]
        if serves == "dns"
    }
    prober = _Prober(timeout, concurrency, state["dns_ip"])
    try:
        reals = asyncio.run(_run_all(checks, prober, dns_serving, progress))
        # a failed attempt may be the machine's load, not the network: each disagreement is
        # tried once more, fewer at a time and with a longer timeout, before it counts
        again = [
            i for i, (c, real) in enumerate(zip(checks, reals, strict=True)) if not _agrees(c, real)
        ]
        if again:
            if progress is not None:
                progress(f"retrying {len(again)} disagreements")
            prober.timeout = max(RETRY_FACTOR * timeout, RETRY_MIN_TIMEOUT)
            prober.limit = asyncio.Semaphore(max(1, min(concurrency, RETRY_CONCURRENCY)))
            retried = asyncio.run(_run_all([checks[i] for i in again], prober, dns_serving, None))
            for i, real in zip(again, retried, strict=True):
                reals[i] = real
    finally:
        prober.close()
    disagreements = [
        {
            "from": c.source,
            "to": c.target,
            "port": f"{c.port}/{c.protocol}",
            "model": c.model,
            "real": real,
            "expected": sorted(c.expected),
        }
        for c, real in zip(checks, reals, strict=True)
        if not _agrees(c, real)
    ]
    return {
        "checked": len(checks),
        "agree": len(checks) - len(disagreements),
        "retried": len(again),
        "disagreements": disagreements,
    }


def render_table(result: dict[str, Any]) -> str:
    from podpath.render.table import render_table as table

    head = (
        f"checked {result['checked']}, agree {result['agree']}, "
        f"disagree {len(result['disagreements'])}\n"
    )
    if not result["disagreements"]:
        return head
    rows = [[d["from"], d["to"], d["port"], d["model"], d["real"]] for d in result["disagreements"]]
    return head + table(None, ["FROM", "TO", "PORT", "MODEL", "REAL"], rows)
