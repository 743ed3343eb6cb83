"""``podpath convert`` and ``podpath migrate``: pairs that differ in known requests, pairs
that are equivalent, and the example examples/ingress-nginx-migration (its report is what
``migrate`` prints, and every difference is one the conversion notes predict)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from podpath.analyze.convert import convert_ingresses
from podpath.analyze.migrate import migrate
from podpath.analyze.migrate_corpus import Probe, build_corpus, path_variants, regex_sample
from podpath.cli import main
from podpath.commands.migrate import fill_from_old
from podpath.sources.manifests import RawDoc
from routing_helpers import NOW, app, cluster_of, ingress, ingress_class, rule, tls_secret

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "ingress-nginx-migration"
P = "nginx.ingress.kubernetes.io/"


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as exc:
        main(list(args))
    out, err = capsys.readouterr()
    return int(exc.value.code or 0), out, err


def converted(
    objs: list[dict[str, Any]], **kw: Any
) -> tuple[list[dict[str, Any]], tuple[str, ...]]:
    result = convert_ingresses(cluster_of(*objs), **kw)
    return list(result.objects), result.notes


def differences(
    old: list[dict[str, Any]], new: list[dict[str, Any]]
) -> list[tuple[str, tuple[str, ...]]]:
    docs, _ = fill_from_old(
        [RawDoc(o, None) for o in old],  # type: ignore[arg-type]
        [RawDoc(o, None) for o in new],  # type: ignore[arg-type]
    )
    data = migrate(cluster_of(*old), cluster_of(*(d.data for d in docs)))
    return [(_probe(d["request"]), tuple(d["what"])) for d in data["differences"]]


def _probe(r: dict[str, Any]) -> str:
    extra = [f"{k}={v}" for k, v in {**r["headers"], **r["cookies"]}.items()]
    return " ".join([r["url"], *extra, *([f"from {r['client_ip']}"] if r["client_ip"] else [])])


BASE = [ingress_class("nginx"), *app("shop", "web"), *app("shop", "canary")]


# Equivalent pairs: convert -> migrate finds nothing (everything was translated exactly).
EQUIVALENT: list[tuple[str, list[dict[str, Any]]]] = [
    (
        "plain Prefix and Exact paths",
        [
            ingress(
                "shop",
                "web",
                [rule("shop.example.com", ("/", "Prefix", "web"), ("/exact", "Exact", "canary"))],
            )
        ],
    ),
    (
        "canary by header and weight",
        [
            ingress("shop", "web", [rule("shop.example.com", ("/", "Prefix", "web"))]),
            ingress(
                "shop",
                "c",
                [rule("shop.example.com", ("/", "Prefix", "canary"))],
                annotations={
                    P + "canary": "true",
                    P + "canary-by-header": "X-Canary",
                    P + "canary-weight": "25",
                },
            ),
        ],
    ),
    (
        "canary by header value and cookie",
        [
            ingress("shop", "web", [rule("shop.example.com", ("/", "Prefix", "web"))]),
            ingress(
                "shop",
                "c",
                [rule("shop.example.com", ("/", "Prefix", "canary"))],
                annotations={
                    P + "canary": "true",
                    P + "canary-by-header": "X-Env",
                    P + "canary-by-header-value": "beta",
                    P + "canary-by-cookie": "beta",
                },
            ),
        ],
    ),
    (
        "app-root and a permanent redirect",
        [
            ingress(
                "shop",
                "web",
                [rule("shop.example.com", ("/", "Prefix", "web"))],
                annotations={P + "app-root": "/home"},
            ),
            ingress(
                "shop",
                "old",
                [rule("shop.example.com", ("/old", "Prefix", "web"))],
                annotations={P + "permanent-redirect": "https://new.example.com/"},
            ),
        ],
    ),
    (
        "TLS with ssl-redirect keeping the trailing slash",
        [
            ingress(
                "shop",
                "web",
                [rule("shop.example.com", ("/", "Prefix", "web"))],
                tls=[{"hosts": ["shop.example.com"], "secretName": "tls"}],
                annotations={P + "preserve-trailing-slash": "true"},
            ),
            tls_secret("shop", "tls", ["shop.example.com"], NOW.replace(year=2040)),
        ],
    ),
]


@pytest.mark.parametrize(("case", "objs"), EQUIVALENT, ids=[c[0] for c in EQUIVALENT])
@pytest.mark.parametrize("gateway", [None, "gateway-system/public"])
def test_converted_configuration_is_equivalent(
    case: str, objs: list[dict[str, Any]], gateway: str | None
) -> None:
    new, notes = converted([*BASE, *objs], gateway=gateway, gateway_class="eg")
    assert not [n for n in notes if "not converted" in n]
    assert differences([*BASE, *objs], new) == []


# Pairs that differ in known requests: (case, OLD, NEW, [(request, what)])
GATEWAY = {
    "apiVersion": "gateway.networking.k8s.io/v1",
    "kind": "Gateway",
    "metadata": {"namespace": "infra", "name": "gw"},
    "spec": {
        "gatewayClassName": "eg",
        "listeners": [
            {
                "name": "http",
                "protocol": "HTTP",
                "port": 80,
                "allowedRoutes": {"namespaces": {"from": "All"}},
            }
        ],
    },
}


def http_route(rules: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "apiVersion": "gateway.networking.k8s.io/v1",
        "kind": "HTTPRoute",
        "metadata": {"namespace": "shop", "name": "web"},
        "spec": {
            "parentRefs": [{"name": "gw", "namespace": "infra"}],
            "hostnames": ["a.com"],
            "rules": rules,
        },
    }


def prefix(path: str, svc: str) -> dict[str, Any]:
    return {
        "matches": [{"path": {"type": "PathPrefix", "value": path}}],
        "backendRefs": [{"name": svc, "port": 80}],
    }


DIFFERING: list[
    tuple[str, list[dict[str, Any]], list[dict[str, Any]], set[tuple[str, tuple[str, ...]]]]
] = [
    (
        "ImplementationSpecific is an NGINX string prefix: /apibar",
        [ingress("shop", "i", [rule("a.com", ("/api", "ImplementationSpecific", "web"))])],
        [GATEWAY, http_route([prefix("/api", "web")])],
        {("http://a.com/apibar", ("status", "backend", "path"))},
    ),
    (
        "Prefix /docs/ does not match /docs in ingress-nginx (301), PathPrefix does",
        [ingress("shop", "i", [rule("a.com", ("/docs/", "Prefix", "web"))])],
        [GATEWAY, http_route([prefix("/docs/", "web")])],
        {("http://a.com/docs", ("status", "backend", "path", "location"))},
    ),
    (
        "a different backend for a sub-path",
        [
            ingress(
                "shop", "i", [rule("a.com", ("/", "Prefix", "web"), ("/api", "Prefix", "canary"))]
            )
        ],
        [GATEWAY, http_route([prefix("/", "web")])],
        {(f"http://a.com{p}", ("backend",)) for p in ("/api", "/api/", "/api/x")},
    ),
]


@pytest.mark.parametrize(
    ("case", "old", "new", "expected"), DIFFERING, ids=[c[0] for c in DIFFERING]
)
def test_known_differences(
    case: str,
    old: list[dict[str, Any]],
    new: list[dict[str, Any]],
    expected: set[tuple[str, tuple[str, ...]]],
) -> None:
    got = {d for d in differences([*BASE, *old], new) if d[0].startswith("http://")}
    assert got == expected


def test_source_ranges_are_not_converted_and_migrate_shows_it() -> None:
    objs = [
        *BASE,
        ingress(
            "shop",
            "admin",
            [rule("a.com", ("/", "Prefix", "web"))],
            annotations={P + "whitelist-source-range": "10.20.0.0/16"},
        ),
    ]
    new, notes = converted(objs)
    assert any("whitelist-source-range: not converted" in n for n in notes)
    found = differences(objs, new)
    assert ("http://a.com/ from 203.0.113.7", ("status", "backend", "path")) in found
    assert not any("from 10.20.0.1" in r for r, _ in found)


def test_corpus_covers_the_edges() -> None:
    objs = [
        *BASE,
        ingress(
            "shop",
            "i",
            [rule("a.com", ("/api", "Prefix", "web"))],
            annotations={P + "denylist-source-range": "10.0.0.0/8"},
        ),
    ]
    cluster = cluster_of(*objs)
    urls = {p.url for p in build_corpus(cluster, cluster)}
    assert {
        "http://a.com/api",
        "http://a.com/API",
        "http://a.com/api/",
        "http://a.com/apibar",
        "http://a.com/api/x",
    } <= urls
    assert not any(u.startswith("https://") for u in urls)  # a.com has no certificate
    assert {p.client_ip for p in build_corpus(cluster, cluster)} >= {"10.0.0.1", "203.0.113.7"}
    assert Probe("http://a.com/api").sort_key()[0] == "http://a.com/api"


@pytest.mark.parametrize(
    ("pattern", "sample"),
    [
        ("/v1(/|$)(.*)", "/v1/"),
        ("/foo/bar/[a-z]{3}", "/foo/bar/aaa"),
        ("/foo/.+", "/foo/x"),
        ("/(a|b)/x", "/a/x"),
    ],
)
def test_regex_sample(pattern: str, sample: str) -> None:
    assert regex_sample(pattern) == sample
    assert path_variants(pattern, True)[0] == sample


@pytest.mark.parametrize("pattern", ["/x{1000000000}", "/x{" + "9" * 5000 + "}", "/a{5000}b{5000}"])
def test_regex_sample_of_a_huge_repetition_is_none(pattern: str) -> None:
    """No request line is that long (nginx's large_client_header_buffers: 8k): no sample,
    instead of a string of a billion characters (a MemoryError)."""
    assert regex_sample(pattern) is None


def test_new_side_is_completed_from_old_only_when_it_holds_routing_objects() -> None:
    old = [RawDoc(o, None) for o in [*BASE, GATEWAY]]  # type: ignore[arg-type]
    routing_only = [RawDoc(GATEWAY, None)]  # type: ignore[arg-type]
    docs, taken = fill_from_old(old, routing_only)
    assert "Service/shop/web" in taken and "Gateway/infra/gw" not in taken and len(docs) > 1
    full = [RawDoc(o, None) for o in BASE]  # type: ignore[arg-type]
    assert fill_from_old(old, full) == (full, [])


def test_example_report_is_what_migrate_prints(capsys: pytest.CaptureFixture[str]) -> None:
    before = str(EXAMPLE / "before")
    code, out, err = run(
        capsys,
        "convert",
        "-f",
        before,
        "--gateway",
        "gateway-system/public",
        "--gateway-class",
        "eg",
    )
    assert code == 0
    assert out == (EXAMPLE / "converted.yaml").read_text()
    assert err == (EXAMPLE / "convert-notes.txt").read_text()  # what README's command writes
    kinds = [d["kind"] for d in yaml.safe_load_all(out)]
    assert kinds.count("Gateway") == 1 and "ReferenceGrant" in kinds
    code, report, _ = run(
        capsys, "migrate", before, str(EXAMPLE / "converted.yaml"), "--format", "md"
    )
    assert code == 1
    assert report == (EXAMPLE / "REPORT.md").read_text()
    assert "allowed | denied" in report  # allow-from-ingress-nginx does not admit the Gateway


def test_example_differences_are_the_predicted_ones(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(
        capsys,
        "migrate",
        str(EXAMPLE / "before"),
        str(EXAMPLE / "converted.yaml"),
        "--format",
        "json",
        "--fail-on",
        "never",
    )
    import json

    data = json.loads(out)
    assert code == 0 and data["checked"] > 50
    got = {(_probe(d["request"]), tuple(d["what"])) for d in data["differences"]}
    assert got == {
        ("http://api.example.com/V1/", ("location",)),
        ("http://api.example.com/v1/", ("location",)),
        ("http://shop.example.com/home/", ("location",)),
        ("https://admin.example.com/ from 203.0.113.7", ("status", "backend", "path")),
        ("https://admin.example.com/x from 203.0.113.7", ("status", "backend", "path")),
        ("https://api.example.com/V1", ("status", "backend", "path")),
        ("https://api.example.com/V1/", ("status", "backend", "path")),
    }
    assert {p["new_entry_pods"] for p in data["policy"]} == {"denied"}
    assert data["assumed"] and data["taken_from_old"]


def _routes(
    objs: list[dict[str, Any]], **kw: Any
) -> tuple[dict[str, dict[str, Any]], tuple[str, ...]]:
    new, notes = converted([*BASE, *objs], **kw)
    return {f"{o['kind']}/{o['metadata']['name']}": o for o in new}, notes


def test_convert_rewrites_redirects_and_passthrough() -> None:
    objs = [
        ingress(
            "shop",
            "strip",
            [rule("a.com", ("/api(/|$)(.*)", "ImplementationSpecific", "web"))],
            annotations={P + "rewrite-target": "/$2"},
        ),
        ingress(
            "shop",
            "full",
            [rule("b.com", ("/old", "Prefix", "web"))],
            annotations={P + "rewrite-target": "/new"},
        ),
        ingress(
            "shop",
            "groups",
            [rule("c.com", ("/x/(.+)/(.+)", "ImplementationSpecific", "web"))],
            annotations={P + "rewrite-target": "/$2/$1"},
        ),
        ingress(
            "shop",
            "moved",
            [rule("d.com", ("/", "Prefix", "web"))],
            annotations={
                P + "temporal-redirect": "https://e.com/x",
                P + "temporal-redirect-code": "307",
            },
        ),
        ingress(
            "shop",
            "pass",
            [rule("p.com", ("/", "Prefix", "web"))],
            annotations={P + "ssl-passthrough": "true"},
            tls=[{"hosts": ["p.com"], "secretName": "p"}],
        ),
    ]
    routes, notes = _routes(objs)
    strip = routes["HTTPRoute/strip-a-com"]["spec"]["rules"][0]
    assert strip["matches"][0]["path"] == {"type": "PathPrefix", "value": "/api"}
    assert strip["filters"][0]["urlRewrite"]["path"] == {
        "type": "ReplacePrefixMatch",
        "replacePrefixMatch": "/",
    }
    full = routes["HTTPRoute/full-b-com"]["spec"]["rules"][0]
    assert full["filters"][0]["urlRewrite"]["path"] == {
        "type": "ReplaceFullPath",
        "replaceFullPath": "/new",
    }
    assert "HTTPRoute/groups-c-com" not in routes
    assert any("rewrite-target /$2/$1 on /x/(.+)/(.+): not converted" in n for n in notes)
    moved = routes["HTTPRoute/moved-d-com"]["spec"]["rules"][0]["filters"][0]["requestRedirect"]
    assert moved == {
        "scheme": "https",
        "hostname": "e.com",
        "statusCode": 307,
        "path": {"type": "ReplaceFullPath", "replaceFullPath": "/x"},
    }
    tls_route = routes["TLSRoute/pass-p-com"]["spec"]
    assert tls_route["parentRefs"][0]["sectionName"] == "tls-p-com"
    gateway = routes["Gateway/nginx"]["spec"]["listeners"]
    assert [lis["name"] for lis in gateway] == ["http", "tls-p-com"]


def test_convert_names_what_cannot_be_expressed(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    objs = [
        *BASE,
        ingress(
            "shop",
            "i",
            [rule("a.com", ("/", "Prefix", "web"))],
            annotations={
                P + "configuration-snippet": "x",
                P + "default-backend": "web",
                P + "backend-protocol": "GRPC",
            },
        ),
    ]
    path = tmp_path / "in.yaml"
    path.write_text(yaml.safe_dump_all(objs))
    code, out, err = run(capsys, "convert", "-f", str(path))
    assert code == 0 and "kind: HTTPRoute" in out
    for text in (
        "configuration-snippet: not converted: raw NGINX configuration",
        "default-backend: not converted",
        "backend-protocol GRPC: not converted",
    ):
        assert text in err
    code, _, err = run(capsys, "convert", "-f", str(path), "--gateway", "bad")
    assert code == 2 and "NAMESPACE/NAME" in err
    code, out, _ = run(capsys, "migrate", str(path), str(path))
    assert code == 0 and "0 differ" in out
