""" "Did you mean": the closest existing names for a pod, Service, namespace or command.

A name checked here that does not exist is one :class:`~podpath.errors.InputError` line that
names what was asked and the closest candidates, e.g. ``no pod 'shop/frontnd'; did you mean
shop/frontend?``. Two forms get a pointed hint: a bare name that exists in some namespace
(``give NS/NAME: shop/web-1``), and a Service's name where a pod is expected (``svc:shop/web``).
Closeness is difflib's ratio (the one click uses for options), at most three suggestions.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

from podpath.errors import InputError

if TYPE_CHECKING:
    from podpath.cluster import Cluster

MAX_SUGGESTIONS = 3
CUTOFF = 0.6


def closest(name: str, candidates: Iterable[str], n: int = MAX_SUGGESTIONS) -> list[str]:
    """Up to ``n`` candidates close to ``name``, closest first (ties in name order)."""
    pool = sorted(set(candidates))
    return difflib.get_close_matches(name, pool, n=n, cutoff=CUTOFF)


def did_you_mean(names: Sequence[str]) -> str:
    """``; did you mean a, b or c?`` (empty without names)."""
    if not names:
        return ""
    text = names[0] if len(names) == 1 else ", ".join(names[:-1]) + " or " + names[-1]
    return f"; did you mean {text}?"


def pod_names(cluster: Cluster) -> list[str]:
    """Every name that selects a pod: ``NS/POD``, ``NS/WORKLOAD``, ``NS/KIND/WORKLOAD``."""
    names = set(cluster.pod_by_key)
    for pod in cluster.pods:
        if pod.owner is not None:
            names.add(f"{pod.namespace}/{pod.owner.name}")
            names.add(f"{pod.namespace}/{pod.owner.kind}/{pod.owner.name}")
    return sorted(names)


def check_namespace(cluster: Cluster, namespace: str, what: str) -> None:
    """Raise when ``namespace`` is not one of the cluster's, naming the closest."""
    if namespace in cluster.namespace_by_name:
        return
    hint = did_you_mean(closest(namespace, cluster.namespace_by_name))
    raise InputError(f"no namespace {namespace!r}{hint}", field=what)


def pod_hint(cluster: Cluster, name: str, *, services_ok: bool = False) -> str:
    """Why ``name`` names no pod, and the closest names that do (for an error message).
    ``services_ok``: the option also takes ``svc:NS/NAME`` (so a Service's name gets that
    form; elsewhere it gets the Service's pods)."""
    if "/" not in name:
        exact = sorted(
            p for p in pod_names(cluster) if p.count("/") == 1 and p.split("/")[1] == name
        )
        services = sorted(k for k in cluster.service_by_key if k.split("/")[-1] == name)
        if exact:
            return f"; give NS/NAME: {', '.join(exact[:MAX_SUGGESTIONS])}"
        if services:
            return _service_instead(cluster, services, services_ok)
        bare = {p.split("/", 1)[1]: p for p in pod_names(cluster) if p.count("/") == 1}
        return did_you_mean([bare[b] for b in closest(name, bare)])
    ns = name.split("/", 1)[0]
    if ns not in cluster.namespace_by_name:
        near = closest(ns, cluster.namespace_by_name)
        return f" (no namespace {ns!r}{did_you_mean(near)})"
    if name in cluster.service_by_key:
        return _service_instead(cluster, [name], services_ok)
    in_ns = [p for p in pod_names(cluster) if p.startswith(ns + "/") and p.count("/") == 1]
    return did_you_mean(closest(name, in_ns))


def _service_instead(cluster: Cluster, keys: Sequence[str], services_ok: bool) -> str:
    """The hint for a Service's name where a pod is expected."""
    if services_ok:
        return f"; that is a Service: {', '.join('svc:' + k for k in keys[:MAX_SUGGESTIONS])}"
    pods = sorted({e.pod for k in keys for e in cluster.addresses.get(k, ()) if e.pod})
    if not pods:
        return f"; {keys[0]} is a Service, and it selects no pods"
    return f"; {keys[0]} is a Service: give one of its pods, e.g. {', '.join(pods[:2])}"


def check_pod(cluster: Cluster, name: str, what: str, *, services_ok: bool = False) -> None:
    """Raise when ``name`` (``NS/POD``, ``NS/WORKLOAD``) selects no pod, with suggestions."""
    if cluster.find_pod(name) is not None:
        return
    hint = pod_hint(cluster, name, services_ok=services_ok)
    raise InputError(f"no pod {name!r}{hint}", field=what)


def service_hint(cluster: Cluster, name: str) -> str:
    """The closest Services to ``NS/NAME`` (or the namespace, when it does not exist)."""
    ns = name.split("/", 1)[0] if "/" in name else ""
    if ns and ns not in cluster.namespace_by_name:
        return f" (no namespace {ns!r}{did_you_mean(closest(ns, cluster.namespace_by_name))})"
    keys = [k for k in cluster.service_by_key if not ns or k.startswith(ns + "/")]
    if "/" not in name:
        exact = sorted(f"svc:{k}" for k in cluster.service_by_key if k.split("/")[1] == name)
        if exact:
            return f"; give svc:NS/NAME: {', '.join(exact[:MAX_SUGGESTIONS])}"
        bare = {k.split("/", 1)[1]: k for k in keys}
        return did_you_mean([f"svc:{bare[b]}" for b in closest(name, bare)])
    return did_you_mean([f"svc:{k}" for k in closest(name, keys)])


def check_service(cluster: Cluster, name: str, what: str) -> None:
    """Raise when ``NS/NAME`` is not a Service of the cluster, with suggestions."""
    if name in cluster.service_by_key:
        return
    raise InputError(f"no Service {name!r}{service_hint(cluster, name)}", field=what)


def check_pod_or_service(cluster: Cluster, value: str, what: str) -> None:
    """For a destination: ``svc:NS/NAME`` must be a Service, ``NS/NAME`` a pod, workload or
    (a common slip) a Service; other forms (DNS names, IPs, URLs) are left to the command."""
    if value.startswith("svc:"):
        check_service(cluster, value[4:].split(":", 1)[0], what)  # svc:NS/NAME[:PORT]
        return
    first = value.split("/", 1)[0]
    looks_like_pod = value.count("/") in (1, 2) and ":" not in value and "." not in first
    if looks_like_pod and cluster.find_pod(value) is None:
        hint = pod_hint(cluster, value, services_ok=True)
        raise InputError(f"no pod {value!r}{hint}", field=what)
