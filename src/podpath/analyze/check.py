"""``podpath check EXPECTATIONS.yaml``: intended connectivity, checked statically.

The file (parsed by the command; the user's page is docs/policy.md, ``podpath docs policy``)::

    expectations:
      - name: frontend may reach cart on 8080
        from: shop/app=frontend
        to: shop/app=cartapi
        ports: [8080]            # PORT or PORT/PROTO; default: see below
        expect: allowed          # allowed: every pair on every port; denied: no pair on any
      - name: nothing outside payments reaches it, except checkout
        from: "!payments/*"
        except: [shop/app=checkout]
        to: payments/*
        expect: denied

A pod pattern is ``NAMESPACE/WHAT``: NAMESPACE a name, ``*`` (any) or ``!NAME`` (any but);
WHAT ``*`` (all pods), labels ``k=v,k2=v2`` (all must match), or a pod name. A pod is never
checked against itself.

Default ports: for ``allowed``, every port the targets declare; for ``denied``, every port at
all, since a container port need not be declared to be reachable (Pod API, ``ports``: "Not
specifying a port here DOES NOT prevent that port from being exposed"). The port space is
finite in effect: the declared ports plus one port of each range that the policies' port
rules cut out of 1-65535 per protocol (:func:`port_space_representatives`) decide everything.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from podpath.analyze.matrix import parse_port
from podpath.cluster import Cluster
from podpath.engine.admin_policy import admin_policies
from podpath.engine.matrix import PortKey, port_label, reachability
from podpath.engine.policy import evaluate
from podpath.engine.policy_verdict import DEFAULT_ASSUMPTIONS, Assumptions, PodPeer
from podpath.errors import InputError
from podpath.model.core import Pod, Protocol

MAX_VIOLATIONS = 50
MAX_EXPLAINED = 10
MSG_PATTERN = (
    "invalid pod pattern {got!r}: expected NAMESPACE/WHAT, NAMESPACE a name, * or !NAME, WHAT *,"
    " labels k=v,k2=v2 or a pod name (podpath docs policy)"
)
MSG_EXPECT = "expect must be 'allowed' or 'denied', got {got!r}"


@dataclass(frozen=True, slots=True)
class PodPattern:
    """``NAMESPACE/WHAT`` (see the module docstring)."""

    text: str
    namespace: str
    negate: bool
    labels: tuple[tuple[str, str], ...]
    name: str | None

    @classmethod
    def parse(cls, text: object, where: str, path: str) -> PodPattern:
        if not isinstance(text, str) or "/" not in text:
            raise InputError(MSG_PATTERN.format(got=text), path=path, field=where)
        ns, _, what = text.partition("/")
        negate = ns.startswith("!")
        ns = ns[1:] if negate else ns
        if not ns or not what:
            raise InputError(MSG_PATTERN.format(got=text), path=path, field=where)
        labels: list[tuple[str, str]] = []
        name = None
        if "=" in what:
            for part in what.split(","):
                k, sep, v = part.partition("=")
                if not sep or not k.strip():
                    raise InputError(MSG_PATTERN.format(got=text), path=path, field=where)
                labels.append((k.strip(), v.strip()))
        elif what != "*":
            name = what
        return cls(text, ns, negate, tuple(labels), name)

    def matches(self, pod: Pod) -> bool:
        if self.namespace != "*" and (pod.namespace == self.namespace) == self.negate:
            return False
        if self.name is not None and pod.name != self.name:
            return False
        return all(pod.labels.get(k) == v for k, v in self.labels)


@dataclass(frozen=True, slots=True)
class Expectation:
    name: str
    sources: tuple[PodPattern, ...]
    excluded: tuple[PodPattern, ...]
    targets: tuple[PodPattern, ...]
    ports: tuple[PortKey, ...]
    allowed: bool


def _patterns(value: Any, where: str, path: str) -> tuple[PodPattern, ...]:
    items = value if isinstance(value, list) else [value]
    return tuple(PodPattern.parse(v, f"{where}[{i}]", path) for i, v in enumerate(items))


def parse_expectations(data: Any, path: str) -> list[Expectation]:
    """The parsed YAML document -> expectations, every error located."""
    if not isinstance(data, dict) or not isinstance(data.get("expectations"), list):
        raise InputError("expected a mapping with a list 'expectations'", path=path)
    out = []
    for i, raw in enumerate(data["expectations"]):
        where = f"expectations[{i}]"
        if not isinstance(raw, dict):
            raise InputError("expected a mapping", path=path, field=where)
        for key in ("from", "to", "expect"):
            if key not in raw:
                raise InputError("required field is missing", path=path, field=f"{where}.{key}")
        expect = raw["expect"]
        if expect not in ("allowed", "denied"):
            raise InputError(MSG_EXPECT.format(got=expect), path=path, field=f"{where}.expect")
        ports = raw.get("ports", [])
        ports = ports if isinstance(ports, list) else [ports]
        try:
            keys = tuple(parse_port(str(p)) for p in ports)
        except InputError as exc:
            raise InputError(exc.message, path=path, field=f"{where}.ports") from None
        out.append(
            Expectation(
                name=str(raw.get("name", f"expectation {i}")),
                sources=_patterns(raw["from"], f"{where}.from", path),
                excluded=_patterns(raw.get("except", []), f"{where}.except", path),
                targets=_patterns(raw["to"], f"{where}.to", path),
                ports=keys,
                allowed=expect == "allowed",
            )
        )
    return out


def _select(
    pods: tuple[Pod, ...], include: tuple[PodPattern, ...], exclude: tuple[PodPattern, ...]
) -> list[int]:
    return [
        i
        for i, p in enumerate(pods)
        if any(x.matches(p) for x in include) and not any(x.matches(p) for x in exclude)
    ]


def port_space_representatives(cluster: Cluster) -> tuple[PortKey, ...]:
    """One port of every range in which no policy can tell ports apart, per protocol.

    Every NetworkPolicy/admin port match is a numeric range (``port``..``endPort``; admin
    ``portNumber``/``portRange``/``destinationPort``), all ports of a protocol, or a named port
    (which resolves to a declared container port). Cutting 1-65535 at every range's ends and
    around every declared port leaves intervals on which every rule matches all ports or none,
    so the first port of each interval stands for all of it.
    """
    cuts: dict[Protocol, set[int]] = {p: {1} for p in Protocol}
    for policy in cluster.network_policies:
        for rule in (*policy.ingress, *policy.egress):
            for rp in rule.ports:
                if isinstance(rp.port, int):
                    cuts[rp.protocol].update((rp.port, (rp.end_port or rp.port) + 1))
    for tier in ("Admin", "Baseline"):
        for admin in admin_policies(cluster, tier):
            for arule in (*admin.ingress, *admin.egress):
                for ap in arule.ports or ():
                    if ap.name is None:
                        cuts[ap.protocol].update((ap.start, ap.end + 1))
    for pod in cluster.pods:
        for cp in pod.ports:
            cuts[cp.protocol].update((cp.container_port, cp.container_port + 1))
    return tuple((n, proto) for proto in Protocol for n in sorted(cuts[proto]) if n <= 65535)


def _ports_of(
    exp: Expectation, pods: tuple[Pod, ...], targets: list[int], space: tuple[PortKey, ...]
) -> tuple[PortKey, ...]:
    if exp.ports:
        return exp.ports
    found = {(p.container_port, p.protocol) for j in targets for p in pods[j].ports}
    declared = sorted(found, key=lambda k: (k[0], k[1].value))
    if exp.allowed:
        return tuple(declared)
    rest = sorted(set(space) - found, key=lambda k: (k[0], k[1].value))
    return (*declared, *rest)  # the declared ports first: their violations are listed first


def run_checks(
    cluster: Cluster,
    expectations: list[Expectation],
    assumptions: Assumptions = DEFAULT_ASSUMPTIONS,
) -> dict[str, Any]:
    """Every expectation against the matrix; violations carry the evaluator's reasons."""
    pods = cluster.pods
    plans = []
    wanted: set[PortKey] = set()
    needs_space = any(not e.allowed and not e.ports for e in expectations)
    space = port_space_representatives(cluster) if needs_space else ()
    for exp in expectations:
        sources = _select(pods, exp.sources, exp.excluded)
        targets = _select(pods, exp.targets, ())
        ports = _ports_of(exp, pods, targets, space)
        wanted.update(ports)
        plans.append((exp, sources, targets, ports))
    columns = sorted(wanted, key=lambda k: (k[0], k[1].value))
    matrix = reachability(cluster, columns, assumptions=assumptions)
    results = []
    for exp, sources, targets, ports in plans:
        violations: list[dict[str, Any]] = []
        total = 0
        checked = 0
        same = np.equal.outer(np.asarray(sources), np.asarray(targets))
        for port in ports:
            if not sources or not targets:
                continue
            block = matrix.block(sources, targets, port)
            bad = (block != exp.allowed) & ~same
            checked += int((~same).sum())
            total += int(bad.sum())
            for a, b in zip(*np.nonzero(bad), strict=True):
                if len(violations) >= MAX_VIOLATIONS:
                    break
                src, dst = pods[sources[a]], pods[targets[b]]
                entry: dict[str, Any] = {
                    "from": src.key,
                    "to": dst.key,
                    "port": port_label(port),
                    "got": "denied" if exp.allowed else "allowed",
                }
                if len(violations) < MAX_EXPLAINED:
                    v = evaluate(cluster, PodPeer(src), PodPeer(dst), port[0], port[1], assumptions)
                    entry["reasons"] = list(v.reasons)
                violations.append(entry)
        results.append(
            {
                "name": exp.name,
                "expect": "allowed" if exp.allowed else "denied",
                "ok": total == 0 and not (exp.allowed and not checked),
                "pairs": checked,
                "ports": [port_label(p) for p in ports],
                "violations": violations,
                "violation_count": total,
                "empty": not checked,
            }
        )
    failed = sum(1 for r in results if not r["ok"])
    return {"checked": len(results), "failed": failed, "results": results}


def check_text(data: dict[str, Any]) -> str:
    lines = []
    for r in data["results"]:
        mark = "ok  " if r["ok"] else "FAIL"
        extra = " (matches no pod pair)" if r["empty"] else ""
        lines.append(
            f"{mark} {r['name']}: expect {r['expect']}, {r['pairs']} pair(s) x port{extra}"
        )
        for v in r["violations"]:
            why = f"  <- {'; '.join(v['reasons'])}" if v.get("reasons") else ""
            lines.append(f"       {v['from']} -> {v['to']} {v['port']}: {v['got']}{why}")
        hidden = r["violation_count"] - len(r["violations"])
        if hidden > 0:
            lines.append(f"       ... and {hidden} more")
    lines.append(f"{data['checked'] - data['failed']} of {data['checked']} expectation(s) hold")
    return "\n".join(lines) + "\n"
