"""What NetworkPolicy on DNS means for the source pod's lookups, as the notes of stage 2.

A pod that uses the cluster DNS sends its queries to the cluster DNS Service's ClusterIP, which
kube-proxy forwards to one of the DNS pods;
:func:`podpath.analyze.trace.policy.dns_access` says which protocols policy denies to *every*
DNS pod (both: the lookup fails, "DNS denied", the ``dns`` hop). The rest are notes, because
lookups go on but not as the application expects:

- :func:`udp_denied_tcp_allowed`: UDP 53 denied, TCP 53 allowed. RFC 7766 requires DNS
  software to support TCP, but stub resolvers still send a query over UDP first and use TCP to
  retry an answer that came back truncated: glibc does unless resolv.conf has ``options
  use-vc`` (resolv.conf(5): "forces the use of TCP for DNS resolutions"); musl has no such
  option (and retries over TCP only since 1.2.4). A dropped UDP query gets no answer, so no
  truncated answer either: the resolver waits out its ``timeout`` and ``attempts``
  (resolv.conf(5), glibc's defaults 5 s and 2) and the lookup fails.
- :func:`tcp_denied_udp_allowed`: TCP 53 denied, UDP allowed: lookups work, answers too large
  for UDP (truncated, retried over TCP) fail.
- :func:`some_dns_pods_denied`: a protocol allowed to some DNS pods and denied to others. The
  Service's ClusterIP sends each query to one endpoint, which kube-proxy picks (at random in
  iptables mode:
  https://kubernetes.io/docs/reference/networking/virtual-ips/#proxy-mode-iptables), so the
  queries that land on a denied pod get no answer and wait out the resolver's timeout: some
  lookups are slow or fail, depending on where they land.
"""

from __future__ import annotations

from dataclasses import dataclass

from podpath.analyze.trace.policy import DnsAccess, policy_objects
from podpath.cluster import Cluster
from podpath.engine.dns_access import dns_verdicts
from podpath.engine.resolver import ResolvConf
from podpath.model.core import Pod, Protocol

UDP_DENIED = (
    "DNS over UDP 53 to the cluster DNS is denied ({reason}) while TCP 53 is allowed: glibc and "
    "musl send each query over UDP first and use TCP only to retry an answer that came back "
    "truncated (RFC 7766 requires TCP support, not TCP first), so their queries get no answer "
    "and lookups fail after the resolver's timeout and attempts (resolv.conf(5): 5 s and 2 by "
    "default in glibc); only a resolver set to TCP resolves (glibc: options use-vc; musl has no "
    "such option)"
)
USE_VC = (
    "; this pod's resolv.conf has options use-vc: glibc queries over TCP and resolves (musl "
    "ignores it)"
)
TCP_DENIED = (
    "DNS over TCP 53 to the cluster DNS is denied ({reason}): lookups go over UDP; answers too "
    "large for UDP (truncated, retried over TCP, RFC 7766) fail"
)
SOME_PODS = (
    "DNS over {protocols} 53 reaches only some cluster DNS pods: allowed to {allowed}, denied to "
    "{denied} ({reason}): the DNS Service sends each query to one of its pods (kube-proxy picks "
    "it, at random in iptables mode), and a query that lands on a denied pod gets no answer: "
    "{effect}"
)
SOME_LOOKUPS = (
    "some lookups are slow (retried after the resolver's timeout, 5 s by default in glibc) or fail"
)
SOME_TRUNCATED = "some answers too large for UDP fail (their retry over TCP lands on a denied pod)"


@dataclass(frozen=True, slots=True)
class DnsSplit:
    """DNS on ``protocols`` allowed to the DNS pods ``allowed`` and denied to ``denied``, with
    the engine's reason for the first denied one and the policies involved."""

    protocols: tuple[Protocol, ...]
    allowed: tuple[str, ...]
    denied: tuple[str, ...]
    reason: str
    objects: tuple[str, ...]


def dns_notes(
    cluster: Cluster, pod: Pod | None, conf: ResolvConf, access: DnsAccess | None
) -> tuple[str, ...]:
    """The notes of the source pod's DNS (module docstring): one protocol denied to every DNS
    pod, then each protocol allowed to only some of them."""
    notes: list[str] = []
    if access is not None and access.denied == (Protocol.UDP,):
        notes.append(udp_denied_tcp_allowed(access, conf))
    elif access is not None and access.denied == (Protocol.TCP,):
        notes.append(tcp_denied_udp_allowed(access))
    if pod is not None:
        notes.extend(some_dns_pods_denied(split) for split in dns_splits(cluster, pod))
    return tuple(notes)


def udp_denied_tcp_allowed(access: DnsAccess, conf: ResolvConf) -> str:
    """UDP 53 denied, TCP 53 allowed: UDP-first resolvers fail (module docstring; RFC 7766
    section 5, https://www.rfc-editor.org/rfc/rfc7766#section-5; resolv.conf(5) ``use-vc``,
    ``timeout``, ``attempts``, https://man7.org/linux/man-pages/man5/resolv.conf.5.html)."""
    note = UDP_DENIED.format(reason=access.reason)
    return note + USE_VC if "use-vc" in conf.options else note


def tcp_denied_udp_allowed(access: DnsAccess) -> str:
    """TCP 53 denied, UDP allowed: only truncated answers fail (RFC 7766 section 5)."""
    return TCP_DENIED.format(reason=access.reason)


def some_dns_pods_denied(split: DnsSplit) -> str:
    """DNS allowed to some cluster DNS pods only: queries land on any of them (module
    docstring; https://kubernetes.io/docs/reference/networking/virtual-ips/#proxy-mode-iptables)."""
    effect = SOME_LOOKUPS if Protocol.UDP in split.protocols else SOME_TRUNCATED
    unnamed = [o for o in split.objects if o not in split.reason]
    objects = f"; {', '.join(unnamed)}" if unnamed else ""
    return SOME_PODS.format(
        protocols=" and ".join(map(str, split.protocols)),
        allowed=", ".join(split.allowed),
        denied=", ".join(split.denied),
        reason=split.reason + objects,
        effect=effect,
    )


def dns_splits(cluster: Cluster, pod: Pod) -> tuple[DnsSplit, ...]:
    """Each protocol whose DNS policy allows some cluster DNS pods and denies others; protocols
    with the same split are one (UDP first)."""
    found = dns_verdicts(cluster, pod)
    if found is None or found.assumed:
        return ()
    servers = found.servers
    found_splits: dict[tuple[tuple[str, ...], tuple[str, ...]], list[Protocol]] = {}
    details: dict[tuple[tuple[str, ...], tuple[str, ...]], tuple[str, tuple[str, ...]]] = {}
    for protocol, each in found.verdicts:
        verdicts = [(s.key, v) for s, v in zip(servers, each, strict=True)]
        allowed = tuple(k for k, v in verdicts if v.allowed)
        denied = [v for _, v in verdicts if not v.allowed]
        if not allowed or not denied:
            continue
        key = (allowed, tuple(k for k, v in verdicts if not v.allowed))
        found_splits.setdefault(key, []).append(protocol)
        objects = tuple(dict.fromkeys(o for v in denied for o in policy_objects(v)))
        details.setdefault(key, ("; ".join(denied[0].reasons), objects))
    return tuple(
        DnsSplit(tuple(protocols), allowed, denied, *details[(allowed, denied)])
        for (allowed, denied), protocols in found_splits.items()
    )
