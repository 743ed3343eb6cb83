"""``podpath migrate OLD NEW``: which requests route differently after a move (typically from
ingress-nginx to Gateway API), and whether the new entry point's pods are admitted by the
backends' NetworkPolicies as the old controller's were.

- The requests: :func:`podpath.analyze.migrate_corpus.build_corpus` (both sides).
- Each side answers with its entry points (cookies sent as a ``Cookie`` header, as a client
  does) (:func:`podpath.engine.routing.route_request`):
  OLD with all of its own, NEW with the ones OLD does not have (the new Gateway), or all of
  NEW's when it has no new one. The first answer of a side is compared.
- A difference: ``status``, ``backend`` (the serving backends and their weight *shares*, so
  90/10 equals 9/1), ``path``, ``location`` (``https://h`` equals ``https://h/``) or ``tls``
  (``ok``, ``not checked``, ``invalid``, none) differ.
- The network side: for every backend Service the old entry point serves, whether some pod
  of each entry point may open a connection to each ready backend pod on its target port
  (:func:`podpath.engine.policy.evaluate`): ``allowed``, ``denied`` (with the reasons) or
  ``no pods`` (the entry point's pods are not in the input).
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any

from podpath.analyze.migrate_corpus import Probe, build_corpus
from podpath.analyze.routes import answer_json
from podpath.cluster import Cluster
from podpath.engine.entrypoints import entry_points
from podpath.engine.policy import evaluate
from podpath.engine.policy_verdict import PodPeer
from podpath.engine.routing import route_request
from podpath.model.core import Pod
from podpath.model.routing import EntryPoint, RouteAnswer

FIELDS = ("status", "backend", "path", "location", "tls")


def side_answer(cluster: Cluster, probe: Probe, entries: frozenset[str]) -> RouteAnswer:
    cookie = "; ".join(f"{k}={v}" for k, v in probe.cookies)
    headers = (*probe.headers, *([("Cookie", cookie)] if cookie else []))
    answers = route_request(cluster, probe.url, probe.method, headers, client_ip=probe.client_ip)
    mine = [a for a in answers if a.entry_point in entries]
    if mine:
        return mine[0]
    if not answers[0].entry_point:
        return answers[0]
    return RouteAnswer("", 404, reasons=("no entry point of this side serves the host",))


def backend_shares(a: RouteAnswer) -> tuple[tuple[str, int | None, Fraction], ...] | None:
    """The serving backends and their share of the traffic (None when nothing is served)."""
    live = [b for b in a.backends if b.weight > 0 and b.status is None]
    total = sum(b.weight for b in live)
    if a.status != 200 or not live:
        return None
    return tuple(
        sorted((b.service or b.resource or "", b.port, Fraction(b.weight, total)) for b in live)
    )


def tls_outcome(a: RouteAnswer) -> str | None:
    if a.tls is None:
        return None
    if not a.tls.checked:
        return "not checked"
    return "invalid" if a.tls.problems else "ok"


def location(a: RouteAnswer) -> str | None:
    if a.location is None:
        return None
    scheme, sep, rest = a.location.partition("://")
    return a.location + "/" if sep and "/" not in rest else a.location


def differences(old: RouteAnswer, new: RouteAnswer) -> list[str]:
    """The fields of :data:`FIELDS` whose values differ (module docstring)."""
    pairs = {
        "status": (old.status, new.status),
        "backend": (backend_shares(old), backend_shares(new)),
        "path": (old.path, new.path),
        "location": (location(old), location(new)),
        "tls": (tls_outcome(old), tls_outcome(new)),
    }
    return [f for f in FIELDS if pairs[f][0] != pairs[f][1]]


def request_json(p: Probe) -> dict[str, Any]:
    return {
        "url": p.url,
        "method": p.method,
        "headers": dict(p.headers),
        "cookies": dict(p.cookies),
        "client_ip": p.client_ip,
    }


def _pods(cluster: Cluster, ep: EntryPoint) -> list[Pod]:
    return [cluster.pod_by_key[k] for k in ep.pods if k in cluster.pod_by_key]


def admitted(
    cluster: Cluster, eps: list[EntryPoint], service: str, port: int
) -> tuple[str, list[str]]:
    """Whether some pod of the entry points may reach every ready pod behind the Service port."""
    pods = [p for ep in eps for p in _pods(cluster, ep)]
    if not pods:
        return "no pods", [
            f"no pods of {', '.join(e.label for e in eps) or 'the entry point'} in the input"
        ]
    because: list[str] = []
    for pe in cluster.endpoints.get(service, ()):
        if pe.service_port.port != port:
            continue
        for e in pe.endpoints:
            target = cluster.pod_by_key.get(e.pod) if e.pod and e.ready else None
            if target is None:
                continue
            verdicts = [
                evaluate(cluster, PodPeer(c), PodPeer(target), e.port, pe.service_port.protocol)
                for c in pods
            ]
            if not any(v.allowed for v in verdicts):
                because.append(f"{target.key}:{e.port}: {'; '.join(verdicts[0].reasons)}")
    return ("denied" if because else "allowed"), because


def policy_section(
    old: Cluster,
    new: Cluster,
    old_eps: list[EntryPoint],
    new_eps: list[EntryPoint],
    backends: set[tuple[str, int]],
) -> list[dict[str, Any]]:
    out = []
    for service, port in sorted(backends):
        if new.service_by_key.get(service) is None:
            continue
        old_verdict, old_why = admitted(old, old_eps, service, port)
        new_verdict, new_why = admitted(new, new_eps, service, port)
        out.append(
            {
                "backend": f"{service}:{port}",
                "old_entry_pods": old_verdict,
                "new_entry_pods": new_verdict,
                "because": new_why if new_verdict != "allowed" else old_why,
            }
        )
    return out


def migrate(old: Cluster, new: Cluster, taken_from_old: tuple[str, ...] = ()) -> dict[str, Any]:
    """Compare OLD and NEW request by request, and the entry points' admission (module doc)."""
    old_eps = list(entry_points(old))
    old_labels = frozenset(e.label for e in old_eps)
    all_new = list(entry_points(new))
    new_eps = [e for e in all_new if e.label not in old_labels] or all_new
    new_labels = frozenset(e.label for e in new_eps)
    probes = build_corpus(old, new)
    diffs = []
    backends: set[tuple[str, int]] = set()
    hosts: set[str] = set()
    for probe in probes:
        a, b = side_answer(old, probe, old_labels), side_answer(new, probe, new_labels)
        hosts.add(probe.url.split("/")[2])
        backends |= {
            (x.service, x.port) for x in a.backends if x.service and x.port and x.status is None
        }
        what = differences(a, b)
        if what:
            diffs.append(
                {
                    "request": request_json(probe),
                    "old": answer_json(a),
                    "new": answer_json(b),
                    "what": what,
                }
            )
    return {
        "checked": len(probes),
        "hosts": sorted(hosts),
        "old_entry_points": sorted(old_labels),
        "new_entry_points": sorted(new_labels),
        "taken_from_old": list(taken_from_old),
        "differences": diffs,
        "policy": policy_section(old, new, old_eps, new_eps, backends),
    }
