"""Status conditions of the Gateway API v1.5/v1.6 objects, end to end through the CLI
(``podpath routes -o json``, ``podpath route -o json``), checked against the condition types,
statuses and reasons exactly as the upstream conformance tests spell them.

Sources (kubernetes-sigs/gateway-api; the manifests are rebuilt here with the test helpers,
same names, hostnames, ports and references):

- ListenerSetHostnameConflict: conformance/tests/listenerset-hostname-conflict.go at
  085c622aea96b4403469baef7a18eec91b963477, manifests listenerset-hostname-conflict.yaml at
  4592bd3ab324649e105041378a0dfdc2f28fdbea (there kind XListenerSet of
  gateway.networking.x-k8s.io/v1alpha1; here the standard channel's ListenerSet v1). A
  conflicted listener: Accepted False, Programmed False (any reason), Conflicted True
  HostnameConflict; a ListenerSet with a valid listener: Accepted True (any reason),
  Programmed True Programmed; without: Accepted and Programmed False ListenersNotValid.
- BackendTLSPolicyInvalidCACertificateRef: conformance/tests/
  backendtlspolicy-invalid-ca-certificate-ref.go at 0c87f4c12b824bcc5db972ace7ea64075e432120,
  manifests at 5ea56fcbedc6d34c5117540db82e82f31336224b: a missing ConfigMap and one without
  ``ca.crt``: Accepted False NoValidCACertificate, ResolvedRefs False
  InvalidCACertificateRef, and requests get one of 500, 502, 503.
- HTTPS listener without ``tls``: apis/v1/gateway_types.go at
  00068f38bea85f062a43f154a7112b876d611473 (ListenerConditionAccepted False reasons
  PortUnavailable, UnsupportedProtocol, NoValidCACertificate, UnsupportedValue;
  ListenerConditionProgrammed False reason Invalid).
- Route parents (RouteConditionAccepted False reasons NotAllowedByListeners,
  NoMatchingListenerHostname; https://gateway-api.sigs.k8s.io/reference/spec/#routeconditionreason)
  for routes attached to a ListenerSet (GEP-1713 "Route Attachment").
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from gateway_v15_helpers import (
    INFRA,
    config_map,
    gateway,
    http_route,
    lis,
    listener_set,
    namespace,
    parent,
    prefix,
    tls_policy,
)
from podpath.cli import main
from routing_helpers import app, pod, service


def cli(capsys: pytest.CaptureFixture[str], tmp_path: Path, objs: list[dict[str, Any]],
        *args: str) -> dict[str, Any]:  # fmt: skip
    path = tmp_path / "in.yaml"
    path.write_text(yaml.safe_dump_all(objs))
    try:
        main([*args, "-f", str(path), "-o", "json"])
    except SystemExit as exc:
        # doctor exits 1 when it finds an error (--fail-on error, the default)
        assert not exc.code or (args[0] == "doctor" and exc.code == 1), capsys.readouterr().err
    data: dict[str, Any] = json.loads(capsys.readouterr().out)
    return data


# -- ListenerSetHostnameConflict ------------------------------------------------------------

GW_NAME = "gateway-with-listenerset-hostname-conflict"
ON_GW = "hostname-conflict-with-gateway-listener"
ON_LS = "hostname-conflict-with-listener-set-listener"


def _hostname_conflict() -> list[dict[str, Any]]:
    def one(name: str) -> dict[str, Any]:
        return lis(name, f"{name}.com")

    gw = gateway(GW_NAME, [one("gateway-listener"), one(ON_GW)], allowed="Same")
    return [
        gw,
        listener_set(
            "listenerset-with-hostname-conflict-with-gateway-1",
            GW_NAME,
            [one("listener-set-1-listener"), one(ON_GW), one(ON_LS)],
        ),
        listener_set("listenerset-with-hostname-conflict-with-gateway-2", GW_NAME, [one(ON_GW)]),
        listener_set(
            "listenerset-with-hostname-conflict-with-listener-set-1",
            GW_NAME,
            [one("listener-set-2-listener"), one(ON_LS)],
        ),
        listener_set(
            "listenerset-with-hostname-conflict-with-listener-set-2", GW_NAME, [one(ON_LS)]
        ),
    ]


# ListenerSet -> (Accepted, Programmed, reason when False or pinned, {listener: conflicted?})
LS_CASES: list[tuple[str, bool, str | None, dict[str, bool]]] = [
    (
        "listenerset-with-hostname-conflict-with-gateway-1",
        True,
        "Programmed",
        {"listener-set-1-listener": False, ON_GW: True, ON_LS: False},
    ),
    (
        "listenerset-with-hostname-conflict-with-gateway-2",
        False,
        "ListenersNotValid",
        {ON_GW: True},
    ),
    (
        "listenerset-with-hostname-conflict-with-listener-set-1",
        True,
        "Programmed",
        {"listener-set-2-listener": False, ON_LS: True},
    ),
    (
        "listenerset-with-hostname-conflict-with-listener-set-2",
        False,
        "ListenersNotValid",
        {ON_LS: True},
    ),
]


def test_listener_set_hostname_conflict(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    data = cli(capsys, tmp_path, _hostname_conflict(), "routes")
    sets = {s["listener_set"].split("/")[1]: s for s in data["listener_sets"]}
    assert sorted(sets) == sorted(c[0] for c in LS_CASES)
    for name, ok, reason, listeners in LS_CASES:
        st = sets[name]
        assert (st["accepted"], st["programmed"]) == (ok, ok), name
        if ok:
            assert st["programmed_reason"] == reason  # Programmed True, reason Programmed
        else:
            assert (st["accepted_reason"], st["programmed_reason"]) == (reason, reason)
        got = {ls["name"]: ls for ls in st["listeners"]}
        assert set(got) == set(listeners), name
        for lname, conflicted in listeners.items():
            ls = got[lname]
            if conflicted:
                assert (ls["accepted"], ls["programmed"], ls["conflicted"]) == (
                    False,
                    False,
                    "HostnameConflict",
                ), (name, lname)
            else:
                assert (ls["accepted"], ls["programmed"], ls["conflicted"]) == (True, True, None)
                assert (ls["reason"], ls["resolved_reason"]) == ("Accepted", "ResolvedRefs")
    # GatewayMustHaveAttachedListeners(2): two ListenerSets are accepted
    assert sum(s["accepted"] for s in data["listener_sets"]) == 2
    (gw,) = data["gateways"]
    assert (gw["gateway"], gw["attached_listener_sets"]) == (f"{INFRA}/{GW_NAME}", 2)
    assert gw["attached_listener_sets_condition"] == {
        "status": True,
        "reason": "ListenerSetsAttached",
    }
    # GatewayListenersMustHaveConditions(accepted): both of the Gateway's own listeners
    assert [
        (ls["name"], ls["accepted"], ls["programmed"], ls["reason"]) for ls in gw["listeners"]
    ] == [
        ("gateway-listener", True, True, "Accepted"),
        (ON_GW, True, True, "Accepted"),
    ]


@pytest.mark.parametrize(
    ("allowed", "condition"),
    [
        ("Same", {"status": True, "reason": "ListenerSetsAttached"}),
        (None, {"status": False, "reason": "ListenerSetsNotAllowed"}),  # None by default
    ],
)
def test_attached_listener_sets_condition(
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    allowed: str | None,
    condition: dict[str, Any],
) -> None:
    """GatewayConditionAttachedListenerSets (apis/v1/gateway_types.go at 00068f38)."""
    objs = [
        gateway("gw", [lis("http", "gw.example.com")], allowed=allowed),
        listener_set("ls", "gw", [lis("web", "team.example.com")]),
    ]
    (gw,) = cli(capsys, tmp_path, objs, "routes")["gateways"]
    assert gw["attached_listener_sets_condition"] == condition
    assert gw["attached_listener_sets"] == (1 if condition["status"] else 0)
    (gw,) = cli(capsys, tmp_path, objs[:1], "routes")["gateways"]
    assert gw["attached_listener_sets_condition"] == {
        "status": False,
        "reason": "NoListenerSetsAttached",
    }


# -- BackendTLSPolicyInvalidCACertificateRef ------------------------------------------------

NONEXISTENT = "backendtlspolicy-nonexistent-ca-certificate-ref-test"
MALFORMED = "backendtlspolicy-malformed-ca-certificate-ref-test"


def _invalid_ca() -> list[dict[str, Any]]:
    def https_service(name: str) -> dict[str, Any]:
        svc = service(INFRA, name, {"app": "tls-backend"}, 443, 8443, "https")
        svc["spec"]["ports"][0].update(protocol="TCP", appProtocol="HTTPS")
        return svc

    def exact(path: str, backend: str) -> dict[str, Any]:
        rule = prefix(path, backend, 443)
        rule["matches"][0]["path"]["type"] = "Exact"
        return rule

    def cm_ref(name: str) -> list[dict[str, str]]:
        return [{"group": "", "kind": "ConfigMap", "name": name}]

    return [
        pod(INFRA, "tls-backend-1", {"app": "tls-backend"}, 8443, "https"),
        gateway("same-namespace", [lis("http", from_="Same")]),
        http_route(
            "backendtlspolicy-invalid-ca-certificate-ref",
            [parent("same-namespace")],
            [
                exact("/backendtlspolicy-nonexistent-ca-certificate-ref", NONEXISTENT),
                exact("/backendtlspolicy-malformed-ca-certificate-ref", MALFORMED),
            ],
            hostnames=["abc.example.com"],
        ),
        https_service(NONEXISTENT),
        https_service(MALFORMED),
        tls_policy(
            "nonexistent-ca-certificate-ref", NONEXISTENT, ca=cm_ref("nonexistent-ca-certificate")
        ),
        tls_policy(
            "malformed-ca-certificate-ref", MALFORMED, ca=cm_ref("malformed-ca-certificate")
        ),
        config_map("malformed-ca-certificate", {}),
    ]


@pytest.mark.parametrize(
    "policy", ["nonexistent-ca-certificate-ref", "malformed-ca-certificate-ref"]
)
def test_backend_tls_policy_invalid_ca_certificate_ref(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, policy: str
) -> None:
    objs = _invalid_ca()
    data = cli(capsys, tmp_path, objs, "routes")
    (st,) = [p for p in data["backend_tls_policies"] if p["policy"] == f"{INFRA}/{policy}"]
    assert (st["accepted"], st["accepted_reason"]) == (False, "NoValidCACertificate")
    assert (st["resolved_refs"], st["resolved_reason"]) == (False, "InvalidCACertificateRef")
    # the route is accepted (GatewayAndRoutesMustBeAccepted), its requests get a 5xx
    (rs,) = data["route_status"]
    assert (rs["accepted"], rs["accepted_reason"], rs["resolved_refs"]) == (True, "Accepted", True)
    url = f"http://abc.example.com/backendtlspolicy-{policy}"
    (answer,) = cli(capsys, tmp_path, objs, "route", url)["answers"]
    assert answer["status"] in (500, 502, 503)
    tls = answer["backend_tls"]
    assert (tls["policy"], tls["hostname"], tls["valid"]) == (
        f"{INFRA}/{policy}",
        "abc.example.com",
        False,
    )
    assert "Accepted False (NoValidCACertificate)" in tls["problems"]


# -- HTTPS listener without tls -------------------------------------------------------------


def test_https_listener_without_tls(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    objs = [
        *app(INFRA, "infra-backend-v1"),
        gateway("gw", [lis("https", "a.example.com", 443, "HTTPS"), lis("http")]),
        http_route("r", [parent("gw")], [prefix("/", "infra-backend-v1")]),
    ]
    data = cli(capsys, tmp_path, objs, "doctor")
    (finding,) = [f for f in data["findings"] if f["code"] == "gateway-listener-invalid"]
    assert "Accepted False (UnsupportedValue), Programmed False (Invalid)" in finding["message"]
    (answer,) = cli(capsys, tmp_path, objs, "route", "https://a.example.com/")["answers"]
    assert answer["status"] == 404 and answer["endpoints"] == []
    # the plain HTTP listener of the same Gateway still serves the route
    (answer,) = cli(capsys, tmp_path, objs, "route", "http://a.example.com/")["answers"]
    assert answer["status"] == 200


# -- routes attached to a ListenerSet -------------------------------------------------------


def _attached() -> list[dict[str, Any]]:
    ls_parent = parent("ls", kind="ListenerSet", ns="team")
    return [
        namespace("team"),
        *app("team", "web"),
        gateway(
            "gw",
            [lis("http", "gw.example.com", from_="Same")],
            allowed="All",
        ),
        listener_set("ls", "gw", [lis("web", "team.example.com")], ns="team"),
        http_route("to-ls", [{**ls_parent, "sectionName": "web"}], [prefix("/", "web")], ns="team"),
        http_route(
            "wrong-host",
            [ls_parent],
            [prefix("/", "web")],
            ns="team",
            hostnames=["other.example.com"],
        ),  # fmt: skip
        http_route("to-gw", [parent("gw")], [prefix("/", "web")], ns="team"),
    ]


@pytest.mark.parametrize(
    ("route", "accepted", "reason"),
    [
        ("to-ls", True, "Accepted"),
        ("wrong-host", False, "NoMatchingListenerHostname"),
        ("to-gw", False, "NotAllowedByListeners"),  # the Gateway's listener allows Same only
    ],
)
def test_route_status_on_listener_sets(
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    route: str,
    accepted: bool,
    reason: str,
) -> None:
    data = cli(capsys, tmp_path, _attached(), "routes")
    (st,) = [s for s in data["route_status"] if s["route"] == f"HTTPRoute/team/{route}"]
    assert (st["accepted"], st["accepted_reason"], st["resolved_refs"]) == (
        accepted,
        reason,
        True,
    )
    (answer,) = cli(capsys, tmp_path, _attached(), "route", "http://team.example.com/")["answers"]
    assert answer["match"]["object"] == "team/to-ls"


def test_attached_routes_count_accepted_routes_per_listener(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """ListenerStatus.attachedRoutes: routes with Accepted True on that listener."""
    data = cli(capsys, tmp_path, _attached(), "routes")
    (ls,) = data["listener_sets"]
    assert [(x["name"], x["attached_routes"]) for x in ls["listeners"]] == [("web", 1)]
    (gw,) = data["gateways"]
    # to-gw is not allowed by the Gateway's listener (allowedRoutes Same): not counted
    assert [(x["name"], x["attached_routes"]) for x in gw["listeners"]] == [("http", 0)]
