"""The routing index of Gateway route attachments (podpath.engine.gateway_index): by listener,
then by host name. It must give, for every host, exactly the attachments the linear filter
gives (HTTPRouteSpec.hostnames: an exact name, or ``*.suffix`` matching one or more labels,
https://gateway-api.sigs.k8s.io/reference/spec/#httproutespec), in attachment order; and
route_request answers the same through it (property tests)."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from gateway_v15_helpers import INFRA, gateway, http_route, lis, parent, prefix
from podpath.engine.gateway_attach import attachments, gateway_host_matches
from podpath.engine.gateway_index import index_attachments
from podpath.engine.routing import route_request
from routing_helpers import NOW, app, cluster_of

LABELS = st.sampled_from(["a", "b", "example", "com", "shop"])
NAMES = st.lists(LABELS, min_size=1, max_size=3).map(".".join)
PATTERNS = st.one_of(NAMES, NAMES.map(lambda n: "*." + n), NAMES.map(str.upper))


def _cluster(route_hosts: list[list[str]]) -> Any:
    objs: list[dict[str, Any]] = [*app(INFRA, "infra-backend-v1"), gateway("gw", [lis("http")])]
    for i, hosts in enumerate(route_hosts):
        r = http_route(f"r{i}", [parent("gw")], [prefix(f"/p{i % 3}", "infra-backend-v1")])
        if hosts:
            r["spec"]["hostnames"] = hosts
        objs.append(r)
    return cluster_of(*objs)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.lists(PATTERNS, max_size=3), max_size=6), NAMES)
def test_for_host_is_the_linear_filter(route_hosts: list[list[str]], host: str) -> None:
    cluster = _cluster(route_hosts)
    atts = attachments(cluster)
    index = index_attachments(atts)
    for key, routes in index.items():
        on_listener = [a for a in atts if (a.gateway.key, a.owner, a.listener.name) == key]
        want = [
            a
            for a in on_listener
            if not a.hostnames or any(gateway_host_matches(h, host) for h in a.hostnames)
        ]
        assert routes.for_host(host) == want


@settings(max_examples=30, deadline=None)
@given(st.lists(st.lists(PATTERNS, max_size=2), max_size=5), NAMES, st.integers(0, 3))
def test_route_request_unchanged(route_hosts: list[list[str]], host: str, p: int) -> None:
    """The answer through the index is the one of the linear scan over the listener."""
    cluster = _cluster(route_hosts)
    (answer,) = route_request(cluster, f"http://{host}/p{p}/x", now=NOW)
    # the linear answer: the first route in precedence whose hostnames match and whose
    # PathPrefix matches, most specific host first (the engine's precedence)
    if answer.match is None:
        assert answer.status == 404
        for i, hosts in enumerate(route_hosts):
            matches = not hosts or any(gateway_host_matches(h, host) for h in hosts)
            assert not (matches and i % 3 == p), (i, hosts)
    else:
        i = int(answer.match.object.split("/r")[1])
        hosts = route_hosts[i]
        assert not hosts or any(gateway_host_matches(h, host) for h in hosts)
        assert i % 3 == p


def test_wildcard_needs_a_label_before_the_suffix() -> None:
    (routes,) = index_attachments(attachments(_cluster([["*.example.com"]]))).values()
    assert len(routes.for_host("a.b.example.com")) == 1
    assert routes.for_host("example.com") == []
    assert routes.for_host(".example.com") == []
