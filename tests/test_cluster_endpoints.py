"""Service -> endpoints, as the EndpointSlice controller computes them, with the
documentation's own cases.

https://kubernetes.io/docs/concepts/services-networking/service/
https://kubernetes.io/docs/concepts/services-networking/endpoint-slices/
"""

from __future__ import annotations

import textwrap

from podpath.cluster import Cluster, resolve
from podpath.engine.services import (
    REASON_FINISHED,
    REASON_NO_IP,
    REASON_TERMINATING,
    service_selects_pod,
)
from podpath.model.core import Labels, Pod
from podpath.model.services import PortEndpoints, Service
from podpath.normalize import normalize
from podpath.sources.manifests import parse_text

NODES = """
apiVersion: v1
kind: Node
metadata: {name: node-1}
spec: {podCIDR: 10.244.1.0/24}
status: {addresses: [{type: InternalIP, address: 172.18.0.2}]}
"""


def load(text: str) -> Cluster:
    docs = parse_text((NODES + "\n---\n" + textwrap.dedent(text)).encode(), "t.yaml")
    return resolve(normalize(docs))


def ports_of(c: Cluster, key: str) -> dict[str, PortEndpoints]:
    return {pe.service_port.name or str(pe.service_port.port): pe for pe in c.endpoints[key]}


def ready(pe: PortEndpoints) -> list[tuple[str | None, int]]:
    return [(e.pod, e.port) for e in pe.endpoints if e.ready]


def not_ready(pe: PortEndpoints) -> list[tuple[str | None, int]]:
    return [(e.pod, e.port) for e in pe.endpoints if not e.ready]


def running(ip: str, is_ready: bool = True) -> str:
    state = "True" if is_ready else "False"
    return f"{{phase: Running, podIP: {ip}, conditions: [{{type: Ready, status: '{state}'}}]}}"


# -- selection ----------------------------------------------------------------------------------


def test_docs_named_target_port_http_web_svc() -> None:
    """The Service docs' nginx-service: targetPort http-web-svc names containerPort 80."""
    c = load(
        """
        apiVersion: v1
        kind: Pod
        metadata: {name: nginx, labels: {app.kubernetes.io/name: proxy}}
        spec:
          containers:
            - name: nginx
              image: nginx:stable
              ports: [{containerPort: 80, name: http-web-svc}]
        ---
        apiVersion: v1
        kind: Service
        metadata: {name: nginx-service}
        spec:
          selector: {app.kubernetes.io/name: proxy}
          ports:
            - {name: name-of-service-port, protocol: TCP, port: 80, targetPort: http-web-svc}
        """
    )
    pe = ports_of(c, "default/nginx-service")["name-of-service-port"]
    assert ready(pe) == [("default/nginx", 80)]


def test_selector_selects_only_pods_of_the_services_namespace() -> None:
    svc = Service(namespace="a", name="s", selector=Labels({"app": "x"}))
    assert service_selects_pod(svc, Pod("a", "p", labels=Labels({"app": "x", "extra": "1"})))
    assert not service_selects_pod(svc, Pod("b", "p", labels=Labels({"app": "x"})))
    assert not service_selects_pod(svc, Pod("a", "p", labels=Labels({"app": "y"})))
    assert not service_selects_pod(Service(namespace="a", name="s"), Pod("a", "p"))


def test_every_selector_pair_must_match() -> None:
    svc = Service(namespace="a", name="s", selector=Labels({"app": "x", "tier": "web"}))
    assert not service_selects_pod(svc, Pod("a", "p", labels=Labels({"app": "x"})))
    assert service_selects_pod(svc, Pod("a", "p", labels=Labels({"app": "x", "tier": "web"})))


def test_named_port_resolved_per_pod_and_pods_without_it_left_out_of_that_port_only() -> None:
    """Pods may map one name to different numbers (a rolling update that moves the port);
    a pod without the name (or with it on another protocol) is left out of that port."""
    c = load(
        f"""
        apiVersion: v1
        kind: Pod
        metadata: {{name: old, labels: {{app: web}}}}
        spec: {{containers: [{{name: c, ports: [{{name: http, containerPort: 8080}}]}}]}}
        status: {running("10.244.1.10")}
        ---
        apiVersion: v1
        kind: Pod
        metadata: {{name: new, labels: {{app: web}}}}
        spec: {{containers: [{{name: c, ports: [{{name: http, containerPort: 9090}}]}}]}}
        status: {running("10.244.1.11")}
        ---
        apiVersion: v1
        kind: Pod
        metadata: {{name: unnamed, labels: {{app: web}}}}
        spec: {{containers: [{{name: c, ports: [{{containerPort: 8080}}]}}]}}
        status: {running("10.244.1.12")}
        ---
        apiVersion: v1
        kind: Pod
        metadata: {{name: udp, labels: {{app: web}}}}
        spec:
          containers: [{{name: c, ports: [{{name: http, containerPort: 8080, protocol: UDP}}]}}]
        status: {running("10.244.1.13")}
        ---
        apiVersion: v1
        kind: Service
        metadata: {{name: web}}
        spec:
          selector: {{app: web}}
          ports:
            - {{name: http, port: 80, targetPort: http}}
            - {{name: admin, port: 81, targetPort: 7000}}
        """
    )
    ports = ports_of(c, "default/web")
    assert ready(ports["http"]) == [("default/new", 9090), ("default/old", 8080)]
    assert {pod for pod, _ in ports["http"].excluded} == {"default/unnamed", "default/udp"}
    assert [pod for pod, _ in ready(ports["admin"])] == [
        "default/new",
        "default/old",
        "default/udp",
        "default/unnamed",
    ]


def test_readiness_terminating_finished_and_no_ip() -> None:
    c = load(
        f"""
        apiVersion: v1
        kind: Pod
        metadata: {{name: ok, labels: {{app: a}}}}
        spec: {{containers: [{{name: c}}]}}
        status: {running("10.244.1.20")}
        ---
        apiVersion: v1
        kind: Pod
        metadata: {{name: starting, labels: {{app: a}}}}
        spec: {{containers: [{{name: c}}]}}
        status: {running("10.244.1.21", is_ready=False)}
        ---
        apiVersion: v1
        kind: Pod
        metadata: {{name: going, labels: {{app: a}}, deletionTimestamp: "2024-01-01T00:00:00Z"}}
        spec: {{containers: [{{name: c}}]}}
        status: {running("10.244.1.22")}
        ---
        apiVersion: v1
        kind: Pod
        metadata: {{name: done, labels: {{app: a}}}}
        spec: {{containers: [{{name: c}}]}}
        status: {{phase: Failed, podIP: 10.244.1.23}}
        ---
        apiVersion: v1
        kind: Pod
        metadata: {{name: pending, labels: {{app: a}}}}
        spec: {{containers: [{{name: c}}]}}
        status: {{phase: Pending}}
        ---
        apiVersion: v1
        kind: Service
        metadata: {{name: a}}
        spec: {{selector: {{app: a}}, ports: [{{port: 80}}]}}
        ---
        apiVersion: v1
        kind: Service
        metadata: {{name: a-all}}
        spec:
          selector: {{app: a}}
          publishNotReadyAddresses: true
          clusterIP: None
          ports: [{{port: 80}}]
        """
    )
    pe = ports_of(c, "default/a")["80"]
    assert ready(pe) == [("default/ok", 80)]
    assert not_ready(pe) == [("default/starting", 80)]
    assert dict(pe.excluded) == {
        "default/going": REASON_TERMINATING,
        "default/done": REASON_FINISHED.format(phase="Failed"),
        "default/pending": REASON_NO_IP,
    }
    # publishNotReadyAddresses: every endpoint ready, terminating ones kept (EndpointConditions)
    everything = ports_of(c, "default/a-all")["80"]
    assert ready(everything) == [
        ("default/going", 80),
        ("default/ok", 80),
        ("default/starting", 80),
    ]
    assert not_ready(everything) == []


def test_headless_endpoint_hostname_from_pod_hostname_and_subdomain() -> None:
    """https://kubernetes.io/docs/concepts/services-networking/dns-pod-service/#pod-s-hostname-and-subdomain-fields"""
    c = load(
        """
        apiVersion: v1
        kind: Service
        metadata: {name: busybox-subdomain}
        spec: {selector: {name: busybox}, clusterIP: None, ports: [{name: foo, port: 1234}]}
        ---
        apiVersion: v1
        kind: Pod
        metadata: {name: busybox1, labels: {name: busybox}}
        spec: {hostname: busybox-1, subdomain: busybox-subdomain, containers: [{name: busybox}]}
        ---
        apiVersion: v1
        kind: Pod
        metadata: {name: busybox2, labels: {name: busybox}}
        spec: {hostname: busybox-2, subdomain: other, containers: [{name: busybox}]}
        """
    )
    eps = ports_of(c, "default/busybox-subdomain")["foo"].endpoints
    assert {e.pod: e.hostname for e in eps} == {
        "default/busybox1": "busybox-1",
        "default/busybox2": None,
    }


# -- Services without selectors ------------------------------------------------------------------


def test_docs_service_without_selector_uses_its_endpointslice() -> None:
    c = load(
        """
        apiVersion: v1
        kind: Service
        metadata: {name: my-service}
        spec: {ports: [{name: http, protocol: TCP, port: 80, targetPort: 9376}]}
        ---
        apiVersion: discovery.k8s.io/v1
        kind: EndpointSlice
        metadata: {name: my-service-1, labels: {kubernetes.io/service-name: my-service}}
        addressType: IPv4
        ports: [{name: http, appProtocol: http, protocol: TCP, port: 9376}]
        endpoints:
          - addresses: ["10.4.5.6"]
          - addresses: ["10.1.2.3"]
            conditions: {ready: false}
        ---
        apiVersion: discovery.k8s.io/v1
        kind: EndpointSlice
        metadata: {name: other-1, labels: {kubernetes.io/service-name: other}}
        addressType: IPv4
        ports: [{name: http, port: 1}]
        endpoints: [{addresses: ["10.9.9.9"]}]
        """
    )
    pe = ports_of(c, "default/my-service")["http"]
    assert [(e.ip, e.port, e.ready, e.origin) for e in pe.endpoints] == [
        ("10.1.2.3", 9376, False, "slice"),
        ("10.4.5.6", 9376, True, "slice"),
    ]


def test_slice_ports_apply_to_the_service_port_of_the_same_name() -> None:
    c = load(
        """
        apiVersion: v1
        kind: Service
        metadata: {name: s}
        spec: {ports: [{name: a, port: 80}, {name: b, port: 81}]}
        ---
        apiVersion: discovery.k8s.io/v1
        kind: EndpointSlice
        metadata: {name: s-1, labels: {kubernetes.io/service-name: s}}
        addressType: IPv4
        ports: [{name: b, port: 8081}]
        endpoints: [{addresses: ["10.0.0.1"]}]
        """
    )
    ports = ports_of(c, "default/s")
    assert ports["a"].endpoints == ()
    assert [(e.ip, e.port) for e in ports["b"].endpoints] == [("10.0.0.1", 8081)]


def test_legacy_endpoints_object_is_mirrored() -> None:
    c = load(
        """
        apiVersion: v1
        kind: Service
        metadata: {name: db}
        spec: {ports: [{port: 5432}]}
        ---
        apiVersion: v1
        kind: Endpoints
        metadata: {name: db}
        subsets:
          - addresses: [{ip: 192.0.2.42, hostname: primary}]
            notReadyAddresses: [{ip: 192.0.2.43}]
            ports: [{port: 5432}]
        """
    )
    pe = ports_of(c, "default/db")["5432"]
    assert [(e.ip, e.ready, e.hostname) for e in pe.endpoints] == [
        ("192.0.2.42", True, "primary"),
        ("192.0.2.43", False, None),
    ]


def test_external_name_services_have_no_endpoints() -> None:
    c = load(
        """
        apiVersion: v1
        kind: Service
        metadata: {name: my-database}
        spec: {type: ExternalName, externalName: my.database.example.com, ports: [{port: 5432}]}
        """
    )
    assert all(pe.endpoints == () for pe in c.endpoints["default/my-database"])
