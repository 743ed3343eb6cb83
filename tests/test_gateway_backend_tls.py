"""BackendTLSPolicy (gateway.networking.k8s.io/v1): the gateway's TLS connection to a backend,
the policy's status, and the traffic outcome of an invalid policy.

Cases: the conformance tests BackendTLSPolicy, BackendTLSPolicyInvalidCACertificateRef,
BackendTLSPolicyInvalidKind, BackendTLSPolicyConflictResolution and
BackendTLSPolicyTLSRouteTerminate (kubernetes-sigs/gateway-api conformance/tests/
backendtlspolicy*.go, v1.6), and BackendTLSPolicyValidation's field docs
(https://gateway-api.sigs.k8s.io/reference/spec/#backendtlspolicyvalidation).
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest

from gateway_v15_helpers import (
    INFRA,
    config_map,
    gateway,
    http_route,
    lis,
    parent,
    prefix,
    tls_policy,
    to,
)
from podpath.analyze.doctor import diagnose
from podpath.analyze.routes import route_json, routing_table
from podpath.engine.gateway_backend_tls import backend_tls_policy_status
from podpath.engine.gateway_l4 import route_connection
from podpath.engine.routing import route_request
from podpath.model.gateway_policy import BackendTLSPolicy
from routing_helpers import NOW, cluster_of, make_cert, pod, service

CA_PEM = make_cert(["ca.example.com"], dt.datetime(2046, 1, 1, tzinfo=dt.UTC))[0].decode()
CA = [{"group": "", "kind": "ConfigMap", "name": "tls-checks-ca-certificate"}]


def tls_backend(name: str, ports: tuple[str, ...] = ("btls",)) -> list[dict[str, Any]]:
    """A Service ``name`` (port 443 named ``btls``, and more named ports 444...) in front of
    a tls-backend pod, as the conformance manifests have it."""
    svc = service(INFRA, name, {"app": "tls-backend"}, 443, 8443, ports[0])
    svc["spec"]["ports"] = [
        {"name": n, "port": 443 + i, "targetPort": 8443, "protocol": "TCP"}
        for i, n in enumerate(ports)
    ]
    return [svc]


BACKEND_POD = pod(INFRA, "tls-backend-1", {"app": "tls-backend"}, 8443, "https")


def _cluster(*objs: dict[str, Any], service_name: str = "backendtlspolicy-test") -> Any:
    return cluster_of(
        BACKEND_POD,
        *tls_backend(service_name),
        gateway("same-namespace", [lis("http")]),
        http_route(
            "backendtlspolicy-test",
            [parent("same-namespace")],
            [prefix("/backendtlspolicy", service_name, 443)],
            hostnames=["abc.example.com"],
        ),
        *objs,
    )


def _status(cluster: Any, name: str) -> Any:
    policy = next(p for p in cluster.of_kind("BackendTLSPolicy") if p.name == name)
    assert isinstance(policy, BackendTLSPolicy)
    return backend_tls_policy_status(cluster, policy)


GOOD_CM = config_map("tls-checks-ca-certificate", {"ca.crt": CA_PEM})

STATUS_CASES: list[tuple[str, list[dict[str, Any]], dict[str, Any], tuple[str, str], int]] = [
    # (case, extra objects, policy kwargs, (Accepted reason, ResolvedRefs reason), HTTP status)
    ("valid ConfigMap CA", [GOOD_CM], {"ca": CA}, ("Accepted", "ResolvedRefs"), 200),
    (
        "conformance BackendTLSPolicyInvalidCACertificateRef: nonexistent ConfigMap",
        [GOOD_CM],
        {"ca": [{"group": "", "kind": "ConfigMap", "name": "nonexistent-ca-certificate"}]},
        ("NoValidCACertificate", "InvalidCACertificateRef"),
        500,
    ),
    (
        "conformance: malformed ConfigMap (no ca.crt)",
        [GOOD_CM, config_map("malformed-ca-certificate", {})],
        {"ca": [{"group": "", "kind": "ConfigMap", "name": "malformed-ca-certificate"}]},
        ("NoValidCACertificate", "InvalidCACertificateRef"),
        500,
    ),
    (
        "ca.crt is not a PEM certificate",
        [config_map("bad-pem", {"ca.crt": "hello world"})],
        {"ca": [{"group": "", "kind": "ConfigMap", "name": "bad-pem"}]},
        ("NoValidCACertificate", "InvalidCACertificateRef"),
        500,
    ),
    (
        "conformance BackendTLSPolicyInvalidKind",
        [GOOD_CM],
        {"ca": [{"group": "invalid.io", "kind": "InvalidKind", "name": "x"}]},
        ("NoValidCACertificate", "InvalidKind"),
        500,
    ),
    (
        "one of two refs invalid: ResolvedRefs False, still Accepted",
        [GOOD_CM],
        {"ca": [*CA, {"group": "", "kind": "ConfigMap", "name": "nope"}]},
        ("Accepted", "InvalidCACertificateRef"),
        200,
    ),
    (
        "wellKnownCACertificates System",
        [],
        {"well_known": "System"},
        ("Accepted", "ResolvedRefs"),
        200,
    ),
    (
        "unrecognised wellKnownCACertificates: Accepted False (Invalid)",
        [],
        {"well_known": "example.com/mine"},
        ("Invalid", "ResolvedRefs"),
        500,
    ),
]


@pytest.mark.parametrize(
    ("extra", "kwargs", "reasons", "status"),
    [c[1:] for c in STATUS_CASES],
    ids=[c[0] for c in STATUS_CASES],
)
def test_policy_status_and_traffic(
    extra: list[dict[str, Any]], kwargs: dict[str, Any], reasons: tuple[str, str], status: int
) -> None:
    cluster = _cluster(tls_policy("policy", "backendtlspolicy-test", **kwargs), *extra)
    st = _status(cluster, "policy")
    assert (st.accepted_reason, st.resolved_reason) == reasons
    assert st.accepted is (reasons[0] == "Accepted")
    assert st.resolved_refs is (reasons[1] == "ResolvedRefs")
    (a,) = route_request(cluster, "http://abc.example.com/backendtlspolicy", now=NOW)
    assert a.status == status, a.reasons
    assert a.backend_tls is not None and a.backend_tls.policy == f"{INFRA}/policy"
    assert a.backend_tls.hostname == "abc.example.com"
    assert a.backend_tls.valid is (status == 200)
    if status == 500:
        assert any("5xx" in r for r in a.reasons)


def test_backend_tls_in_the_route_answer_json() -> None:
    cluster = _cluster(tls_policy("policy", "backendtlspolicy-test", ca=CA), GOOD_CM)
    answers = route_request(cluster, "http://abc.example.com/backendtlspolicy", now=NOW)
    (a,) = route_json("http://abc.example.com/backendtlspolicy", answers)["answers"]
    assert a["backend_tls"] == {
        "policy": f"{INFRA}/policy",
        "hostname": "abc.example.com",
        "ca": [f"ConfigMap/{INFRA}/tls-checks-ca-certificate"],
        "subject_alt_names": [],
        "valid": True,
        "checked": True,
        "problems": [],
    }
    json.dumps(a)


def test_without_policy_there_is_no_backend_tls() -> None:
    (a,) = route_request(_cluster(), "http://abc.example.com/backendtlspolicy", now=NOW)
    assert (a.status, a.backend_tls) == (200, None)


def test_ca_not_checked_without_config_maps() -> None:
    cluster = _cluster(tls_policy("policy", "backendtlspolicy-test", ca=CA))
    st = _status(cluster, "policy")
    assert (st.accepted, st.resolved_refs, st.checked) == (True, True, False)
    (a,) = route_request(cluster, "http://abc.example.com/backendtlspolicy", now=NOW)
    assert a.status == 200 and a.backend_tls is not None and not a.backend_tls.checked
    found = [f for f in diagnose(cluster) if f.object == f"BackendTLSPolicy/{INFRA}/policy"]
    assert [(f.code, f.severity.value) for f in found] == [("backend-tls-not-checked", "info")]


def test_target_not_found() -> None:
    cluster = _cluster(tls_policy("policy", "no-such-service", ca=CA), GOOD_CM)
    assert _status(cluster, "policy").accepted_reason == "TargetNotFound"


# -- conflict resolution (conformance BackendTLSPolicyConflictResolution) ------------------


def _conflicts() -> Any:
    svc = ("btls", "https-1")
    return cluster_of(
        BACKEND_POD,
        GOOD_CM,
        *tls_backend("backendtlspolicy-conflicted-without-section-name-test", svc),
        *tls_backend("backendtlspolicy-conflicted-with-section-name-test", svc),
        *tls_backend("backendtlspolicy-not-conflicted-test", svc),
        gateway("same-namespace", [lis("http")]),
        tls_policy(
            "conflicted-without-section-name-1",
            "backendtlspolicy-conflicted-without-section-name-test",
            "other.example.com",
            CA,
        ),
        tls_policy(
            "conflicted-without-section-name-2",
            "backendtlspolicy-conflicted-without-section-name-test",
            "abc.example.com",
            CA,
        ),
        tls_policy(
            "conflicted-with-section-name-1",
            "backendtlspolicy-conflicted-with-section-name-test",
            "other.example.com",
            CA,
            section="https-1",
        ),
        tls_policy(
            "conflicted-with-section-name-2",
            "backendtlspolicy-conflicted-with-section-name-test",
            "abc.example.com",
            CA,
            section="https-1",
        ),
        tls_policy(
            "not-conflicted-with-section-name",
            "backendtlspolicy-not-conflicted-test",
            "other.example.com",
            CA,
            section="https-1",
        ),
        tls_policy(
            "not-conflicted-without-section-name",
            "backendtlspolicy-not-conflicted-test",
            "abc.example.com",
            CA,
        ),
        http_route(
            "backendtlspolicy-conflict-resolution",
            [parent("same-namespace")],
            [
                prefix(
                    "/backendtlspolicy-conflicted-without-section-name",
                    "backendtlspolicy-conflicted-without-section-name-test",
                    443,
                ),
                prefix(
                    "/backendtlspolicy-conflicted-with-section-name",
                    "backendtlspolicy-conflicted-with-section-name-test",
                    444,
                ),
                prefix(
                    "/backendtlspolicy-not-conflicted-with-section-name",
                    "backendtlspolicy-not-conflicted-test",
                    444,
                ),
                prefix(
                    "/backendtlspolicy-not-conflicted-without-section-name",
                    "backendtlspolicy-not-conflicted-test",
                    443,
                ),
            ],
            hostnames=["abc.example.com"],
        ),
    )


@pytest.mark.parametrize(
    ("policy", "reason"),
    [
        ("conflicted-without-section-name-1", "Accepted"),
        ("conflicted-without-section-name-2", "Conflicted"),
        ("conflicted-with-section-name-1", "Accepted"),
        ("conflicted-with-section-name-2", "Conflicted"),
        ("not-conflicted-with-section-name", "Accepted"),
        ("not-conflicted-without-section-name", "Accepted"),
    ],
)
def test_conflict_resolution_status(policy: str, reason: str) -> None:
    assert _status(_conflicts(), policy).accepted_reason == reason


@pytest.mark.parametrize(
    ("path", "sni"),
    [
        # the conformance test's expected SNI: the accepted policy's hostname
        ("/backendtlspolicy-conflicted-without-section-name", "other.example.com"),
        ("/backendtlspolicy-conflicted-with-section-name", "other.example.com"),
        ("/backendtlspolicy-not-conflicted-with-section-name", "other.example.com"),
        ("/backendtlspolicy-not-conflicted-without-section-name", "abc.example.com"),
    ],
)
def test_conflict_resolution_traffic(path: str, sni: str) -> None:
    (a,) = route_request(_conflicts(), f"http://abc.example.com{path}", now=NOW)
    assert a.status == 200
    assert a.backend_tls is not None and a.backend_tls.hostname == sni


# -- TLSRoute: Terminate re-encrypts, Passthrough does not --------------------------------


@pytest.mark.parametrize(("mode", "applies"), [("Terminate", True), ("Passthrough", False)])
def test_tls_route_backend_tls_only_when_terminating(mode: str, applies: bool) -> None:
    """conformance BackendTLSPolicyTLSRouteTerminate; TLSRouteRule.backendRefs: "When a
    TLSRoute is attached to a listener in Terminate mode, a BackendTLSPolicy can be used to
    enable re-encryption"."""
    tls = {"mode": mode, **({"certificateRefs": [{"name": "cert"}]} if mode == "Terminate" else {})}
    cluster = cluster_of(
        BACKEND_POD,
        GOOD_CM,
        *tls_backend("tcp-backend"),
        gateway("gw", [lis("tls", "abc.example.com", 8443, "TLS", tls=tls)]),
        http_route(
            "r",
            [parent("gw")],
            [to("tcp-backend", port=443)],
            hostnames=["abc.example.com"],
            kind="TLSRoute",
        ),
        tls_policy("policy", "tcp-backend", ca=CA),
    )
    (a,) = route_connection(cluster, "TLS", 8443, sni="abc.example.com", now=NOW)
    assert a.outcome == "forwarded", a.reasons
    assert (a.backend_tls is not None) is applies


def test_doctor_reports_invalid_and_conflicted_policies() -> None:
    cluster = _cluster(
        tls_policy(
            "broken",
            "backendtlspolicy-test",
            ca=[{"group": "", "kind": "ConfigMap", "name": "nope"}],
            created="2024-01-01T00:00:00Z",
        ),
        tls_policy("later", "backendtlspolicy-test", ca=CA, created="2024-02-01T00:00:00Z"),
        GOOD_CM,
    )
    found = {f.code: f for f in diagnose(cluster) if f.code.startswith("backend-tls")}
    assert set(found) == {"backend-tls-policy-invalid", "backend-tls-policy-conflicted"}
    assert found["backend-tls-policy-invalid"].object == f"BackendTLSPolicy/{INFRA}/broken"
    assert "NoValidCACertificate" in found["backend-tls-policy-invalid"].message
    assert found["backend-tls-policy-conflicted"].object == f"BackendTLSPolicy/{INFRA}/later"
    # the older, broken policy applies: requests fail
    (a,) = route_request(cluster, "http://abc.example.com/backendtlspolicy", now=NOW)
    assert a.status == 500
    policies = routing_table(cluster)["backend_tls_policies"]
    assert [(p["policy"], p["accepted_reason"]) for p in policies] == [
        (f"{INFRA}/broken", "NoValidCACertificate"),
        (f"{INFRA}/later", "Conflicted"),
    ]


def test_snapshot_keeps_only_ca_bundles_of_config_maps() -> None:
    """Live mode lists ConfigMaps for BackendTLSPolicy CAs; a snapshot keeps of them only the
    key names and ``ca.crt`` (sources.snapshot.kept_config_map), and reads back the same."""
    from podpath.model.core import SourceRef
    from podpath.model.gateway_policy import ConfigMap
    from podpath.sources.manifests import RawDoc
    from podpath.sources.snapshot import snapshot_objects

    cm = config_map("app-settings", {"ca.crt": CA_PEM, "password": "hunter2"})
    cm["metadata"]["labels"] = {"team": "x"}
    (kept,) = snapshot_objects([RawDoc(cm, SourceRef("x", 0))])
    assert kept["data"] == {"ca.crt": CA_PEM, "password": ""}
    assert kept["metadata"] == {"name": "app-settings", "namespace": INFRA}
    (before,) = cluster_of(cm).of_kind("ConfigMap")
    (after,) = cluster_of(kept).of_kind("ConfigMap")
    assert isinstance(after, ConfigMap) and after.keys == before.keys == ("ca.crt", "password")
    assert after.ca_certificate == before.ca_certificate
