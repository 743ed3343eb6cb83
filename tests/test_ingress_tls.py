"""Ingress TLS: Secret exists, its certificate covers the host (SAN), is not expired."""

from __future__ import annotations

import datetime as dt

from podpath.analyze.doctor import diagnose
from podpath.engine.ingress import ingress_tls_checks
from podpath.engine.routing import route_request
from podpath.engine.tls import san_matches, tls_state
from routing_helpers import GENERIC, NOW, app, cluster_of, ingress, ingress_class, rule, tls_secret

LATER = NOW + dt.timedelta(days=90)
EARLIER = NOW - dt.timedelta(days=1)


def _cluster(
    secret_names: list[str],
    not_after: dt.datetime,
    with_secret: bool = True,
    hosts: tuple[str, ...] = ("shop.example.com",),
):
    ing = ingress(
        "d",
        "i",
        [rule(h, ("/", "Prefix", "web")) for h in hosts],
        tls=[{"hosts": list(hosts), "secretName": "shop-tls"}],
    )
    objs = [*app("d", "web"), ing]
    if with_secret:
        objs.append(tls_secret("d", "shop-tls", secret_names, not_after))
    return cluster_of(ingress_class("nginx", GENERIC), *objs)


def test_valid_certificate() -> None:
    (a,) = route_request(
        _cluster(["shop.example.com"], LATER), "https://shop.example.com/", now=NOW
    )
    assert a.tls is not None and a.tls.found and a.tls.covers_host and not a.tls.problems
    assert a.tls.secret == "d/shop-tls" and a.tls.not_after == LATER.strftime("%Y-%m-%dT%H:%M:%SZ")


def test_wildcard_san_covers_one_label() -> None:
    (a,) = route_request(_cluster(["*.example.com"], LATER), "https://shop.example.com/", now=NOW)
    assert a.tls is not None and a.tls.covers_host
    assert not san_matches("*.example.com", "a.b.example.com")
    assert not san_matches("*.example.com", "example.com")


def test_san_not_covering_host() -> None:
    (a,) = route_request(
        _cluster(["other.example.com"], LATER), "https://shop.example.com/", now=NOW
    )
    assert a.tls is not None and not a.tls.covers_host
    assert any("does not cover shop.example.com" in p for p in a.tls.problems)


def test_expired_certificate() -> None:
    (a,) = route_request(
        _cluster(["shop.example.com"], EARLIER), "https://shop.example.com/", now=NOW
    )
    assert a.tls is not None and a.tls.expired
    assert any("expired" in p for p in a.tls.problems)


def test_missing_secret_when_input_holds_secrets() -> None:
    cluster = cluster_of(
        ingress_class("nginx", GENERIC),
        *app("d", "web"),
        tls_secret("d", "unrelated", ["x"], LATER),
        ingress(
            "d",
            "i",
            [rule("shop.example.com", ("/", "Prefix", "web"))],
            tls=[{"hosts": ["shop.example.com"], "secretName": "shop-tls"}],
        ),
    )
    (a,) = route_request(cluster, "https://shop.example.com/", now=NOW)
    assert a.tls is not None and not a.tls.checked and not a.tls.problems
    assert tls_state(a.tls) == "not checked (Secret d/shop-tls not in the input)"
    found = {f.code: f for f in diagnose(cluster, now=NOW)}["tls-secret-not-in-input"]
    assert (found.severity.value, found.object) == ("error", "Ingress/d/i")
    assert "probably missing" in found.message


def test_secret_not_checked_when_input_holds_no_secrets() -> None:
    cluster = _cluster([], LATER, with_secret=False)
    (a,) = route_request(cluster, "https://shop.example.com/", now=NOW)
    assert a.tls is not None and not a.tls.checked and not a.tls.problems
    assert tls_state(a.tls) == "not checked (Secret d/shop-tls not in the input)"
    found = {f.code: f for f in diagnose(cluster, now=NOW)}["tls-secret-not-in-input"]
    assert (found.severity.value, found.object) == ("info", "Ingress/d/i")


def test_valid_certificate_state_is_ok_until() -> None:
    (a,) = route_request(
        _cluster(["shop.example.com"], LATER), "https://shop.example.com/", now=NOW
    )
    assert a.tls is not None and tls_state(a.tls) == f"ok (until {a.tls.not_after})"
    assert a.tls.not_after.startswith(str(LATER.year))


def test_host_without_tls_entry_gets_default_certificate() -> None:
    cluster = cluster_of(
        ingress_class("nginx", GENERIC),
        *app("d", "web"),
        ingress("d", "i", [rule("shop.example.com", ("/", "Prefix", "web"))]),
    )
    (a,) = route_request(cluster, "https://shop.example.com/", now=NOW)
    assert a.tls is not None and "default certificate" in a.tls.problems[0]


def test_all_tls_checks_listed() -> None:
    cluster = _cluster(["a.example.com"], EARLIER, hosts=("a.example.com", "b.example.com"))
    checks = {c.host: c for c in ingress_tls_checks(cluster, NOW)}
    assert checks["a.example.com"].covers_host and checks["a.example.com"].expired
    assert not checks["b.example.com"].covers_host


def test_secret_normalizer_keeps_no_key_material() -> None:
    cluster = _cluster(["shop.example.com"], LATER)
    (secret,) = cluster.of_kind("Secret")
    assert secret.has_key and secret.certificate.dns_names == ("shop.example.com",)
    assert not any("PRIVATE" in str(v) for v in (secret.certificate, secret))


def test_certificate_parsed_on_use_once_and_by_type() -> None:
    """The Secret keeps the PEM; ``certificate`` parses it when a TLS check asks (cached:
    one parse per chain), None for a Secret not of type kubernetes.io/tls
    (https://kubernetes.io/docs/concepts/configuration/secret/#tls-secrets)."""
    from podpath.model.routing import Secret

    (loaded,) = _cluster(["shop.example.com"], LATER).of_kind("Secret")
    pem = loaded.tls_crt
    assert pem and b"BEGIN CERTIFICATE" in pem and "tls_crt" not in repr(loaded)
    tls = Secret("d", "s", type="kubernetes.io/tls", tls_crt=pem, has_key=True)
    assert tls.certificate is tls.certificate and tls.certificate == loaded.certificate
    assert Secret("d", "s", type="Opaque", tls_crt=pem).certificate is None
    missing = Secret("d", "s", type="kubernetes.io/tls").certificate
    assert missing is not None and missing.error == "tls.crt is missing or empty"
    bad = Secret("d", "s", type="kubernetes.io/tls", tls_crt=b"junk").certificate
    assert bad is not None and (bad.error or "").startswith("tls.crt is not a PEM certificate")
