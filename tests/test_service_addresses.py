"""``cluster.addresses``: the addresses of a Service regardless of ports, as the EndpointSlice
controller publishes them (a pod that resolves none of the Service's ports, or every pod of a
headless Service without ports, in a slice with no ports), and the DNS records made from them.

https://github.com/kubernetes/kubernetes/blob/master/staging/src/k8s.io/endpointslice/utils.go
(getEndpointPorts: "Allow headless service not to have ports"); CoreDNS answers a slice without
ports with a sentinel port (plugin/kubernetes/object/endpoint.go).
"""

from __future__ import annotations

import textwrap

from hypothesis import given, settings
from hypothesis import strategies as st

from podpath.cluster import Cluster, resolve
from podpath.engine.dns import NOERROR, NXDOMAIN, build_zone
from podpath.engine.resolver import lookup
from podpath.engine.services import NO_PORT, service_addresses, service_endpoints
from podpath.model.core import Container, ContainerPort, Labels, Pod
from podpath.model.services import Service, ServicePort
from podpath.normalize import normalize
from podpath.sources.manifests import parse_text

Z = "cluster.local."

MANIFESTS = """
apiVersion: v1
kind: Node
metadata: {name: node-1}
spec: {podCIDR: 10.244.1.0/24}
status: {addresses: [{type: InternalIP, address: 172.18.0.2}]}
---
apiVersion: v1
kind: Service
metadata: {name: peers, namespace: db}
spec: {clusterIP: None, selector: {app: db}}
---
apiVersion: v1
kind: Service
metadata: {name: named, namespace: db}
spec:
  clusterIP: None
  selector: {app: db}
  ports: [{name: pg, port: 5432, targetPort: pg}]
---
apiVersion: v1
kind: Service
metadata: {name: keep, namespace: db}
spec: {clusterIP: None, selector: {app: db}, publishNotReadyAddresses: true}
---
apiVersion: v1
kind: Service
metadata: {name: manual, namespace: db}
spec: {clusterIP: None}
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata:
  name: manual-a
  namespace: db
  labels: {kubernetes.io/service-name: manual}
addressType: IPv4
endpoints:
  - addresses: [192.0.2.10]
    hostname: ext-1
  - addresses: [192.0.2.11]
    conditions: {ready: false}
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata:
  name: manual-b
  namespace: db
  labels: {kubernetes.io/service-name: manual}
addressType: IPv4
ports: [{name: pg, port: 5432}]
endpoints:
  - addresses: [192.0.2.10]
  - addresses: [192.0.2.11]
---
apiVersion: v1
kind: Service
metadata: {name: ext, namespace: db}
spec: {type: ExternalName, externalName: db.example.com}
---
apiVersion: v1
kind: Pod
metadata: {name: db-0, namespace: db, labels: {app: db}}
spec:
  hostname: db-0
  subdomain: peers
  containers: [{name: pg, ports: [{name: pg, containerPort: 5432}]}]
status: {phase: Running, podIP: 10.244.1.10, conditions: [{type: Ready, status: "True"}]}
---
apiVersion: v1
kind: Pod
metadata: {name: db-1, namespace: db, labels: {app: db}}
spec:
  containers: [{name: pg, ports: [{name: other, containerPort: 6000}]}]
status: {phase: Running, podIP: 10.244.1.11, conditions: [{type: Ready, status: "True"}]}
---
apiVersion: v1
kind: Pod
metadata: {name: db-2, namespace: db, labels: {app: db}}
spec:
  containers: [{name: pg}]
status: {phase: Running, podIP: 10.244.1.12, conditions: [{type: Ready, status: "False"}]}
---
apiVersion: v1
kind: Pod
metadata:
  name: db-3
  namespace: db
  labels: {app: db}
  deletionTimestamp: "2026-01-01T00:00:00Z"
spec:
  containers: [{name: pg}]
status: {phase: Running, podIP: 10.244.1.13, conditions: [{type: Ready, status: "True"}]}
---
apiVersion: v1
kind: Pod
metadata: {name: db-4, namespace: db, labels: {app: db}}
spec:
  containers: [{name: pg}]
status: {phase: Succeeded, podIP: 10.244.1.14}
---
apiVersion: v1
kind: Pod
metadata: {name: db-5, namespace: db, labels: {app: db}}
spec:
  nodeName: node-1
  containers: [{name: pg}]
status: {phase: Pending}
"""


def load() -> Cluster:
    return resolve(normalize(parse_text(textwrap.dedent(MANIFESTS).encode(), "t.yaml")))


CLUSTER = load()


def addrs(key: str) -> list[tuple[str | None, str, bool]]:
    return [(e.pod, e.ip, e.ready) for e in CLUSTER.addresses[key]]


def a_records(name: str) -> tuple[str, list[str]]:
    ans = lookup(build_zone(CLUSTER), name, "A")
    return ans.rcode, sorted(r.data for r in ans.records)


def test_headless_service_without_ports_has_addresses_but_no_port_endpoints() -> None:
    assert CLUSTER.endpoints["db/peers"] == ()
    assert addrs("db/peers") == [
        ("db/db-0", "10.244.1.10", True),
        ("db/db-1", "10.244.1.11", True),
        ("db/db-2", "10.244.1.12", False),
    ]


def test_addresses_carry_no_port() -> None:
    assert {e.port for key in CLUSTER.addresses for e in CLUSTER.addresses[key]} == {NO_PORT}


# (case, pod, why it is left out of the addresses)
LEFT_OUT = [
    ("terminating without publishNotReadyAddresses", "db/db-3"),
    ("finished (Succeeded)", "db/db-4"),
    ("no IP yet (Pending)", "db/db-5"),
]


def test_left_out_pods_match_the_per_port_rules() -> None:
    published = {e.pod for e in CLUSTER.addresses["db/peers"]}
    for case, pod in LEFT_OUT:
        assert pod not in published, case


def test_publish_not_ready_addresses_keeps_not_ready_and_terminating_pods_ready() -> None:
    assert addrs("db/keep") == [
        ("db/db-0", "10.244.1.10", True),
        ("db/db-1", "10.244.1.11", True),
        ("db/db-2", "10.244.1.12", True),
        ("db/db-3", "10.244.1.13", True),
    ]


def test_pod_resolving_no_named_port_is_an_address_but_no_port_endpoint() -> None:
    (pe,) = CLUSTER.endpoints["db/named"]
    assert [e.pod for e in pe.endpoints] == ["db/db-0"]
    assert {"db/db-1", "db/db-2"} <= {e.pod for e in CLUSTER.addresses["db/named"]}


def test_manual_slices_without_ports_give_addresses_once_each() -> None:
    """A slice with no ports counts; an address listed in two slices counts once, ready if
    either listing is (192.0.2.11 is not ready in one, ready by default in the other)."""
    assert addrs("db/manual") == [(None, "192.0.2.10", True), (None, "192.0.2.11", True)]
    assert CLUSTER.addresses["db/manual"][0].hostname == "ext-1"


def test_external_name_has_no_addresses() -> None:
    assert CLUSTER.addresses["db/ext"] == ()


# (case, question, rcode, sorted A data)
DNS_CASES = [
    (
        "headless without ports: A per ready address",
        f"peers.db.svc.{Z}",
        NOERROR,
        ["10.244.1.10", "10.244.1.11"],
    ),
    ("hostname under its subdomain Service", f"db-0.peers.db.svc.{Z}", NOERROR, ["10.244.1.10"]),
    (
        "pod without the named port still answers (empty-port slice)",
        f"named.db.svc.{Z}",
        NOERROR,
        ["10.244.1.10", "10.244.1.11"],
    ),
    ("dashed endpoint name of that pod", f"10-244-1-11.named.db.svc.{Z}", NOERROR, ["10.244.1.11"]),
    ("not-ready pod has no record", f"10-244-1-12.peers.db.svc.{Z}", NXDOMAIN, []),
    (
        "manual slices without ports",
        f"manual.db.svc.{Z}",
        NOERROR,
        ["192.0.2.10", "192.0.2.11"],
    ),
    ("manual slice hostname", f"ext-1.manual.db.svc.{Z}", NOERROR, ["192.0.2.10"]),
]


def test_dns_answers_from_addresses() -> None:
    for case, name, rcode, data in DNS_CASES:
        assert a_records(name) == (rcode, data), case


def test_srv_still_comes_from_port_endpoints() -> None:
    ans = lookup(build_zone(CLUSTER), f"_pg._tcp.named.db.svc.{Z}", "SRV")
    assert sorted(r.data.split()[-1] for r in ans.records) == [f"10-244-1-10.named.db.svc.{Z}"]


# Property: the addresses are exactly the pods the per-port rules would keep for *some* port
# plus those that resolve none, i.e. every selected pod that is not excluded.
NAMES = st.sampled_from(["http", "metrics", "grpc"])


@st.composite
def pods(draw: st.DrawFn) -> list[Pod]:
    out = []
    for i in range(draw(st.integers(0, 6))):
        names = draw(st.lists(NAMES, unique=True, max_size=3))
        out.append(
            Pod(
                namespace=draw(st.sampled_from(["a", "b"])),
                name=f"p{i}",
                labels=Labels({"app": draw(st.sampled_from(["x", "y"]))}),
                containers=(
                    Container(
                        "c", tuple(ContainerPort(8000 + j, name=n) for j, n in enumerate(names))
                    ),
                ),
                ips=(f"10.0.0.{i + 1}",) if draw(st.booleans()) else (),
                ready=draw(st.booleans()),
                terminating=draw(st.booleans()),
                phase=draw(st.sampled_from(["Running", "Running", "Succeeded"])),
            )
        )
    return out


@settings(max_examples=150, deadline=None)
@given(
    pods(),
    st.lists(NAMES, unique=True, max_size=3),
    st.booleans(),
)
def test_addresses_cover_every_port_endpoint(
    pod_list: list[Pod], target_names: list[str], publish: bool
) -> None:
    service = Service(
        namespace="a",
        name="s",
        selector=Labels({"app": "x"}),
        ports=tuple(ServicePort(80 + i, n, name=n) for i, n in enumerate(target_names)),
        headless=True,
        publish_not_ready_addresses=publish,
    )
    addresses = service_addresses(service, pod_list, ())
    by_pod = {e.pod: e for e in addresses}
    for pe in service_endpoints(service, pod_list, ()):
        for ep in pe.endpoints:
            assert ep.pod in by_pod
            assert (by_pod[ep.pod].ip, by_pod[ep.pod].ready) == (ep.ip, ep.ready)
    expected = {
        p.key
        for p in pod_list
        if p.namespace == "a"
        and p.labels.get("app") == "x"
        and p.ips
        and p.phase == "Running"
        and (publish or not p.terminating)
    }
    assert set(by_pod) == expected
