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

Dual stack (the state names the ``families`` brought up): pod -> pod and pod -> Service checks
run once per family (the name resolved to its A or AAAA record), each compared with the model's
verdict for that family; every disagreement says its ``family`` and ``families`` counts the
checks of each. A single-stack model's result has neither key.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from podpath.cluster import Cluster
from podpath.dataplane.families import LABEL
from podpath.dataplane.probe_checks import build_checks
from podpath.dataplane.probe_outcomes import Check, without_source
from podpath.dataplane.prober import Prober

RETRY_FACTOR = 4.0  # a disagreement is tried again with this times the timeout (at least
RETRY_MIN_TIMEOUT = 2.0  # this many seconds), at most RETRY_CONCURRENCY at a time
RETRY_CONCURRENCY = 64
Progress = Callable[[str], None]


async def _run_all(
    checks: list[Check],
    prober: Prober,
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
    """The real outcome is one the model allows (an expected answer that names no source
    accepts any)."""
    return real in check.expected or without_source(real) in check.expected


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
    prober = Prober(timeout, concurrency, state["dns_ip"])
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
    return summarize(checks, reals, len(again), state)


def summarize(
    checks: list[Check], reals: list[str], retried: int, state: dict[str, Any]
) -> dict[str, Any]:
    """The probe result (DESIGN.md; ``family`` and ``families`` on a dual-stack model)."""
    dual = "families" in state
    disagreements = [
        {
            "from": c.source,
            "to": c.target,
            "port": f"{c.port}/{c.protocol}",
            "model": c.model,
            "real": real,
            "expected": sorted(c.expected),
        }
        | ({"family": LABEL[c.family or 4]} if dual else {})
        for c, real in zip(checks, reals, strict=True)
        if not _agrees(c, real)
    ]
    result: dict[str, Any] = {
        "checked": len(checks),
        "agree": len(checks) - len(disagreements),
        "retried": retried,
        "disagreements": disagreements,
    }
    if dual:
        result["families"] = {
            name: {
                "checked": sum(1 for c in checks if LABEL[c.family or 4] == name),
                "disagree": sum(1 for d in disagreements if d["family"] == name),
            }
            for name in state["families"]
        }
    return result


def render_table(result: dict[str, Any]) -> str:
    from podpath.render.table import render_table as table

    fams = result.get("families")
    per_family = (
        " (" + "; ".join(f"{k}: checked {v['checked']}" for k, v in fams.items()) + ")"
        if fams
        else ""
    )
    head = (
        f"checked {result['checked']}, agree {result['agree']}, "
        f"disagree {len(result['disagreements'])}{per_family}\n"
    )
    if not result["disagreements"]:
        return head
    if fams:
        rows = [
            [d["from"], d["to"], d["port"], d["family"], d["model"], d["real"]]
            for d in result["disagreements"]
        ]
        return head + table(None, ["FROM", "TO", "PORT", "FAMILY", "MODEL", "REAL"], rows)
    rows = [[d["from"], d["to"], d["port"], d["model"], d["real"]] for d in result["disagreements"]]
    return head + table(None, ["FROM", "TO", "PORT", "MODEL", "REAL"], rows)
