"""The routing context (podpath.engine.routing_context): what routing derives from a cluster
alone, made once for many requests. Its answers are exactly those of ``route_request`` without
it -- checked on every request of ``podpath migrate``'s corpus for the ingress-nginx migration
example (both sides: ingress-nginx with canary, regex, rewrite-target, app-root, source ranges
and ssl-redirect; the Gateway with its HTTPRoutes), at fixed ``now``."""

from __future__ import annotations

from pathlib import Path

import pytest

from podpath.analyze.migrate_corpus import build_corpus
from podpath.cluster import Cluster
from podpath.commands.migrate import load_sides
from podpath.engine.ingress_nginx import NginxServers, build_server, canaries
from podpath.engine.routing import route_request
from podpath.engine.routing_context import MSG_OTHER_CLUSTER, routing_context
from routing_helpers import NOW

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "ingress-nginx-migration"
OPTS = {"nodes": None, "verbose": False, "strict": False}


@pytest.fixture(scope="module")
def sides() -> tuple[Cluster, Cluster]:
    old, new, _, _ = load_sides(str(EXAMPLE / "before"), str(EXAMPLE / "converted.yaml"), OPTS)
    return old, new


def test_answers_with_a_context_are_the_answers_without(sides: tuple[Cluster, Cluster]) -> None:
    probes = build_corpus(*sides)
    assert len(probes) > 50
    for cluster in sides:
        ctx = routing_context(cluster)
        for p in probes:
            args = (cluster, p.url, p.method, p.headers)
            kwargs = {"client_ip": p.client_ip, "now": NOW, "cookies": p.cookies}
            assert route_request(*args, **kwargs, context=ctx) == route_request(*args, **kwargs)


def test_one_entry_point_asked_with_a_context(sides: tuple[Cluster, Cluster]) -> None:
    old, new = sides
    for cluster, kwargs in (
        (old, {"ingress_class": "nginx"}),
        (new, {"gateway": "gateway-system/public"}),
    ):
        ctx = routing_context(cluster)
        url = "https://shop.example.com/home"
        assert route_request(cluster, url, now=NOW, context=ctx, **kwargs) == route_request(
            cluster, url, now=NOW, **kwargs
        )


def test_a_context_answers_for_its_own_cluster_only(sides: tuple[Cluster, Cluster]) -> None:
    old, new = sides
    with pytest.raises(ValueError, match=MSG_OTHER_CLUSTER):
        route_request(new, "http://shop.example.com/", context=routing_context(old))


def test_nginx_servers_builds_each_server_once_and_as_build_server_does(
    sides: tuple[Cluster, Cluster],
) -> None:
    ctx = routing_context(sides[0])
    servers = ctx.nginx["nginx"]
    assert isinstance(servers, NginxServers)
    for host in sorted(servers.hosts):
        server = servers.server_for(host)
        assert server == build_server(servers.ordered, host)
        assert servers.server_for(host.upper()) is server  # built once, Host is case-blind
    assert servers.server_for("nobody.example.com").name == "_"
    assert servers.canaries() == canaries(servers.ordered)
    assert servers.canaries(), "the example has a canary"
