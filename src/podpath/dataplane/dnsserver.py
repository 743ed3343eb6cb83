"""The cluster DNS server of the data plane: answers from the DNS engine's zone.

Answers are exactly :func:`podpath.engine.resolver.lookup` over
:func:`podpath.engine.dns.build_zone` (CoreDNS's ``kubernetes`` plugin). Names the engine would
forward upstream get SERVFAIL: the data plane never leaves its namespaces. TTL 5 s (CoreDNS's
``kubernetes`` plugin default).
"""

from __future__ import annotations

from typing import Any

from dnslib import AAAA, CNAME, PTR, QTYPE, RCODE, RR, SRV, TXT, A, DNSRecord

from podpath.cluster import Cluster
from podpath.engine.dns import NXDOMAIN, build_zone
from podpath.engine.resolver import lookup

TTL = 5
MAX_QUESTIONS = 4


def _rdata(rtype: str, data: str) -> Any:
    if rtype == "A":
        return A(data)
    if rtype == "AAAA":
        return AAAA(data)
    if rtype == "CNAME":
        return CNAME(data)
    if rtype == "PTR":
        return PTR(data)
    if rtype == "TXT":
        return TXT(data.strip('"'))
    if rtype == "SRV":
        prio, weight, port, target = data.split()
        return SRV(int(prio), int(weight), int(port), target)
    return None


class DNSAnswerer:
    """Wire-format DNS answers for one cluster."""

    def __init__(self, cluster: Cluster) -> None:
        self.zone = build_zone(cluster)

    def answer(self, data: bytes) -> bytes | None:
        try:
            request = DNSRecord.parse(data)
        except Exception:  # dnslib raises several types for malformed packets
            return None
        reply = request.reply()
        for question in request.questions[:MAX_QUESTIONS]:
            name = str(question.qname)
            qtype = QTYPE.get(question.qtype, "")
            result = lookup(self.zone, name, str(qtype))
            if result.upstream_name is not None:
                reply.header.rcode = RCODE.SERVFAIL
                continue
            if result.rcode == NXDOMAIN:
                reply.header.rcode = RCODE.NXDOMAIN
            for rec in result.records:
                rdata = _rdata(rec.type, rec.data)
                if rdata is not None:
                    reply.add_answer(RR(rec.name, getattr(QTYPE, rec.type), rdata=rdata, ttl=TTL))
        return bytes(reply.pack())
