"""Builders for the Gateway API v1.5/v1.6 tests (ListenerSet, BackendTLSPolicy, CORS,
TLSRoute/TCPRoute/UDPRoute): manifests as dicts, shaped like the conformance suite's
(kubernetes-sigs/gateway-api conformance/tests/*.yaml, namespace gateway-conformance-infra)."""

from __future__ import annotations

from typing import Any

GW = "gateway.networking.k8s.io/v1"
GROUP = "gateway.networking.k8s.io"
INFRA = "gateway-conformance-infra"


def lis(
    name: str,
    hostname: str | None = None,
    port: int = 80,
    protocol: str = "HTTP",
    from_: str = "All",
    **extra: Any,
) -> dict[str, Any]:
    out: dict[str, Any] = {
        "name": name,
        "port": port,
        "protocol": protocol,
        "allowedRoutes": {"namespaces": {"from": from_}},
        **extra,
    }
    if hostname:
        out["hostname"] = hostname
    return out


def gateway(
    name: str,
    listeners: list[dict[str, Any]],
    allowed: str | None = None,
    ns: str = INFRA,
    selector: dict[str, str] | None = None,
) -> dict[str, Any]:
    spec: dict[str, Any] = {"gatewayClassName": "eg", "listeners": listeners}
    if allowed is not None:
        namespaces: dict[str, Any] = {"from": allowed}
        if selector:
            namespaces["selector"] = {"matchLabels": selector}
        spec["allowedListeners"] = {"namespaces": namespaces}
    return {
        "apiVersion": GW,
        "kind": "Gateway",
        "metadata": {"namespace": ns, "name": name},
        "spec": spec,
    }


def listener_set(
    name: str,
    gateway_name: str,
    listeners: list[dict[str, Any]],
    ns: str = INFRA,
    gateway_ns: str = INFRA,
    created: str | None = None,
) -> dict[str, Any]:
    meta: dict[str, Any] = {"namespace": ns, "name": name}
    if created:
        meta["creationTimestamp"] = created
    return {
        "apiVersion": GW,
        "kind": "ListenerSet",
        "metadata": meta,
        "spec": {
            "parentRef": {
                "kind": "Gateway",
                "group": GROUP,
                "name": gateway_name,
                "namespace": gateway_ns,
            },
            "listeners": listeners,
        },
    }


def parent(
    name: str,
    kind: str = "Gateway",
    section: str | None = None,
    ns: str = INFRA,
    port: int | None = None,
) -> dict[str, Any]:
    out: dict[str, Any] = {"kind": kind, "group": GROUP, "name": name, "namespace": ns}
    if section:
        out["sectionName"] = section
    if port is not None:
        out["port"] = port
    return out


def http_route(
    name: str,
    parents: list[dict[str, Any]],
    rules: list[dict[str, Any]],
    ns: str = INFRA,
    hostnames: list[str] | None = None,
    kind: str = "HTTPRoute",
    created: str | None = None,
) -> dict[str, Any]:
    meta: dict[str, Any] = {"namespace": ns, "name": name}
    if created:
        meta["creationTimestamp"] = created
    spec: dict[str, Any] = {"parentRefs": parents, "rules": rules}
    if hostnames:
        spec["hostnames"] = hostnames
    return {"apiVersion": GW, "kind": kind, "metadata": meta, "spec": spec}


def prefix(path: str, backend: str, port: int = 80, **extra: Any) -> dict[str, Any]:
    """A rule: PathPrefix ``path`` -> Service ``backend``:``port``."""
    return {
        "matches": [{"path": {"type": "PathPrefix", "value": path}}],
        "backendRefs": [{"name": backend, "port": port}],
        **extra,
    }


def to(*backends: str, port: int = 80) -> dict[str, Any]:
    """A rule without matches sending to ``backends`` (TLSRoute, TCPRoute, UDPRoute)."""
    return {"backendRefs": [{"name": b, "port": port} for b in backends]}


def namespace(name: str, labels: dict[str, str] | None = None) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Namespace",
        "metadata": {"name": name, "labels": labels or {}},
    }


def tls_policy(
    name: str,
    service: str,
    hostname: str = "abc.example.com",
    ca: list[dict[str, str]] | None = None,
    well_known: str | None = None,
    section: str | None = None,
    ns: str = INFRA,
    created: str | None = None,
) -> dict[str, Any]:
    target: dict[str, Any] = {"group": "", "kind": "Service", "name": service}
    if section:
        target["sectionName"] = section
    validation: dict[str, Any] = {"hostname": hostname}
    if ca is not None:
        validation["caCertificateRefs"] = ca
    if well_known:
        validation["wellKnownCACertificates"] = well_known
    meta: dict[str, Any] = {"namespace": ns, "name": name}
    if created:
        meta["creationTimestamp"] = created
    return {
        "apiVersion": GW,
        "kind": "BackendTLSPolicy",
        "metadata": meta,
        "spec": {"targetRefs": [target], "validation": validation},
    }


def config_map(name: str, data: dict[str, str], ns: str = INFRA) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"namespace": ns, "name": name},
        "data": data,
    }
