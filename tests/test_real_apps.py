"""Public applications' manifests (tests/real, sources in each folder's SOURCE.md): facts
checked by hand against each application's own documentation -- its Services and endpoints,
traces and routes its docs describe, and doctor with no false alarm."""

from __future__ import annotations

import pytest
from tests.real_helpers import (
    alarms,
    doctor,
    files,
    run_json,
    services,
    trace,
    workloads,
)

# -- Online Boutique: README "kubectl apply -f ./release/kubernetes-manifests.yaml"; eleven
# microservices, redis-cart and a loadgenerator; the frontend exposed by frontend-external.


def test_online_boutique_services_and_endpoints() -> None:
    svcs = services("online-boutique")
    apps = {k for k in svcs if k != "default/kubernetes"}
    assert len(apps) == 12
    assert all(len(svcs[k]["ready_endpoints"]) == 1 for k in apps)
    external = svcs["default/frontend-external"]
    assert external["type"] == "LoadBalancer"
    assert [(p["port"], p["target_port"]) for p in external["ports"]] == [(80, 8080)]
    email = svcs["default/emailservice"]["ports"][0]
    assert (email["port"], email["target_port"]) == (5000, 8080)


def test_online_boutique_frontend_reaches_the_addresses_its_env_names() -> None:
    """The frontend's environment: CART_SERVICE_ADDR=cartservice:7070, ..."""
    for name, port in [("cartservice", 7070), ("productcatalogservice", 3550), ("adservice", 9555)]:
        result = trace("online-boutique", "default/frontend", name, port)
        assert result["verdict"] == "allowed", name
        assert workloads([e["pod"] for e in result["endpoints"]]) == [name]


def test_online_boutique_frontend_external_url_as_its_readme_says() -> None:
    """README: open http://EXTERNAL_IP of frontend-external (an L4 load balancer)."""
    lb = services("online-boutique")["default/frontend-external"]["load_balancer"][0]
    result = trace("online-boutique", "internet", f"http://{lb}/")
    assert result["verdict"] == "allowed"
    assert workloads([e["pod"] for e in result["endpoints"]]) == ["frontend"]
    env = trace("online-boutique", "default/frontend", "cartservice:7070")  # HOST:PORT form
    assert env["verdict"] == "allowed"


def test_online_boutique_dns_and_doctor() -> None:
    answer = run_json("dns", "cartservice.default.svc.cluster.local", *files("online-boutique"))
    cart = services("online-boutique")["default/cartservice"]
    assert [a["data"] for a in answer["answers"]] == cart["cluster_ips"]
    assert doctor("online-boutique") == []


# -- sock-shop: deploy/kubernetes/README.md; the front-end on NodePort 30001; every Deployment
# selects nodeSelector beta.kubernetes.io/os: linux (a label the kubelet sets).


def test_sock_shop_pods_are_scheduled_on_the_beta_os_label() -> None:
    pods = run_json("pods", *files("sock-shop"))["pods"]
    assert len(pods) == 14
    assert {p["phase"] for p in pods} == {"Running"} and all(p["node"] for p in pods)
    assert all(len(s["ready_endpoints"]) == 1 for s in services("sock-shop").values())


def test_sock_shop_front_end_on_node_port_30001() -> None:
    front = services("sock-shop")["sock-shop/front-end"]
    assert [(p["port"], p["target_port"], p["node_port"]) for p in front["ports"]] == [
        (80, 8079, 30001)
    ]
    result = trace("sock-shop", "internet", "172.18.0.2", 30001)
    assert result["verdict"] == "allowed"
    assert workloads([e["pod"] for e in result["endpoints"]]) == ["front-end"]


def test_sock_shop_front_end_reaches_carts_and_doctor_is_quiet() -> None:
    result = trace("sock-shop", "sock-shop/front-end", "carts.sock-shop", 80)
    assert result["verdict"] == "allowed"
    assert doctor("sock-shop") == []


# -- bookinfo: three versions of reviews behind the one reviews Service (Istio's docs: "three
# different versions of the reviews microservice"), the canary/version pattern.


def test_bookinfo_reviews_spreads_over_three_versions() -> None:
    reviews = services("bookinfo")["default/reviews"]
    assert workloads(reviews["ready_endpoints"]) == ["reviews-v1", "reviews-v2", "reviews-v3"]
    result = trace("bookinfo", "default/productpage-v1", "reviews", 9080)
    assert result["verdict"] == "allowed"
    assert workloads([e["pod"] for e in result["endpoints"]]) == [
        "reviews-v1",
        "reviews-v2",
        "reviews-v3",
    ]


def test_bookinfo_doctor_says_canary_not_warning() -> None:
    findings = doctor("bookinfo")
    assert [(f["code"], f["object"], f["severity"]) for f in findings] == [
        ("service-selects-multiple-workloads", "Service/default/reviews", "info")
    ]
    assert "version" in findings[0]["message"] and "nothing to change" in findings[0]["hint"]


# -- kube-prometheus: the Prometheus and Alertmanager pods are created by prometheus-operator
# from the Prometheus/Alertmanager objects (its docs); its NetworkPolicies admit Prometheus.


def test_kube_prometheus_loads_the_crd_with_plain_equals() -> None:
    """AlertmanagerConfig's CRD lists matcher operators as plain ``- =`` scalars."""
    assert "monitoring/prometheus-k8s" in services("kube-prometheus")


def test_kube_prometheus_doctor_cannot_decide_operator_pods() -> None:
    findings = doctor("kube-prometheus")
    assert alarms(findings) == []
    assert len(findings) == 12 and {f["verdict"] for f in findings} == {"unknown"}
    by_object = {(f["code"], f["object"]): f["message"] for f in findings}
    assert (
        "Prometheus/monitoring/k8s"
        in by_object[("service-selects-no-pods", "Service/monitoring/prometheus-k8s")]
    )
    assert (
        "Alertmanager/monitoring/main"
        in by_object[("service-selects-no-pods", "Service/monitoring/alertmanager-main")]
    )
    assert all("spec.selector" not in f["hint"] for f in findings)


def test_kube_prometheus_grafana_admits_prometheus_only() -> None:
    """grafana-networkPolicy.yaml: ingress on 3000 from app.kubernetes.io/name=prometheus."""
    result = trace("kube-prometheus", "monitoring/kube-state-metrics", "grafana.monitoring", 3000)
    assert result["verdict"] == "denied"
    node_exporter = services("kube-prometheus")["monitoring/node-exporter"]
    assert node_exporter["headless"] and len(node_exporter["ready_endpoints"]) == 3


# -- argo-cd: install.yaml; argocd-redis's NetworkPolicy admits the server, the repo server
# and the application controller on 6379.


@pytest.mark.parametrize(
    ("source", "verdict"),
    [
        ("argocd-server", "allowed"),
        ("argocd-repo-server", "allowed"),
        ("argocd-application-controller-0", "allowed"),
        ("argocd-dex-server", "denied"),
    ],
)
def test_argo_cd_redis_admits_its_clients_only(source: str, verdict: str) -> None:
    pods = {p["pod"] for p in run_json("pods", *files("argo-cd"))["pods"]}
    src = next(p for p in sorted(pods) if p.startswith(f"default/{source}"))
    assert trace("argo-cd", src, "argocd-redis", 6379)["verdict"] == verdict


def test_argo_cd_crds_are_skipped_and_doctor_has_no_alarm() -> None:
    assert len(run_json("pods", *files("argo-cd"))["pods"]) == 7
    findings = doctor("argo-cd")
    assert alarms(findings) == []  # the dangling serviceName is info (argo-cd#29498)
    assert [(f["code"], f["severity"]) for f in findings] == [
        ("statefulset-service-not-headless", "info")
    ]


# -- ingress-nginx: the cloud deploy file; a LoadBalancer with externalTrafficPolicy Local on
# the controller's named ports http and https.


def test_ingress_nginx_controller_behind_its_load_balancer() -> None:
    svc = services("ingress-nginx")["ingress-nginx/ingress-nginx-controller"]
    assert (svc["type"], svc["external_traffic_policy"]) == ("LoadBalancer", "Local")
    assert [(p["port"], p["target_port"]) for p in svc["ports"]] == [(80, "http"), (443, "https")]
    result = trace("ingress-nginx", "internet", svc["load_balancer"][0], 443)
    assert result["verdict"] == "allowed"
    assert [(workloads([e["pod"]])[0], e["port"]) for e in result["endpoints"]] == [
        ("ingress-nginx-controller", 443)
    ]
    assert doctor("ingress-nginx") == []


# -- Gateway API conformance: httproute-matching.go's expected responses.

MATCHING = ("manifests.yaml", "gatewayclass.yaml", "httproute-matching.yaml")
MATCHING_CASES = [
    ("/", {}, "infra-backend-v1"),
    ("/example", {}, "infra-backend-v1"),
    ("/", {"version": "one"}, "infra-backend-v1"),
    ("/v2", {}, "infra-backend-v2"),
    ("/v2/example", {}, "infra-backend-v2"),
    ("/", {"version": "two"}, "infra-backend-v2"),
    ("/v2/", {}, "infra-backend-v2"),
    ("/v2example", {}, "infra-backend-v1"),  # not a path segment prefix of /v2
    ("/foo/v2/example", {}, "infra-backend-v1"),
]


@pytest.mark.parametrize(("path", "headers", "backend"), MATCHING_CASES)
def test_gateway_api_httproute_matching(path: str, headers: dict[str, str], backend: str) -> None:
    extra = [arg for k, v in headers.items() for arg in ("--header", f"{k}:{v}")]
    result = run_json(
        "route",
        f"http://gateway.example{path}",
        *files("gateway-api-conformance", *MATCHING),
        "--gateway",
        "gateway-conformance-infra/same-namespace",
        *extra,
    )
    (answer,) = result["answers"]
    assert answer["status"] == 200
    assert answer["backend"]["service"] == f"gateway-conformance-infra/{backend}"


def test_gateway_api_weights_and_doctor() -> None:
    result = run_json(
        "route",
        "http://gateway.example/",
        *files("gateway-api-conformance", "manifests.yaml", "gatewayclass.yaml", "httproute-weight.yaml"),  # noqa: E501
        "--gateway",
        "gateway-conformance-infra/same-namespace",
    )  # fmt: skip
    (answer,) = result["answers"]
    assert [(b["service"].rsplit("/")[-1], b["weight"]) for b in answer["backends"]] == [
        ("infra-backend-v1", 70),
        ("infra-backend-v2", 30),
        ("infra-backend-v3", 0),
    ]
    assert alarms(doctor("gateway-api-conformance", *MATCHING)) == []


# -- network-policy recipes: the outcome each recipe's text states.

RECIPES = [
    ("01-deny-all-traffic-to-an-application", "default/test", "web.default", 80, "denied"),
    ("02-limit-traffic-to-an-application", "default/test", "apiserver.default", 80, "denied"),
    ("02-limit-traffic-to-an-application", "default/frontend", "apiserver.default", 80, "allowed"),
    ("04-deny-traffic-from-other-namespaces", "foo/test", "web.default", 80, "denied"),
    ("04-deny-traffic-from-other-namespaces", "default/test", "web.default", 80, "allowed"),
    ("06-allow-traffic-from-a-namespace", "dev/test", "web.default", 80, "denied"),
    ("06-allow-traffic-from-a-namespace", "prod/test", "web.default", 80, "allowed"),
    ("09-allow-traffic-only-to-a-port", "default/test", "apiserver.default", 8001, "denied"),
    ("09-allow-traffic-only-to-a-port", "default/test", "apiserver.default", 5001, "denied"),
    ("09-allow-traffic-only-to-a-port", "default/monitor", "apiserver.default", 8001, "denied"),
    ("09-allow-traffic-only-to-a-port", "default/monitor", "apiserver.default", 5001, "allowed"),
]


@pytest.mark.parametrize(("recipe", "src", "dst", "port", "verdict"), RECIPES)
def test_network_policy_recipes(recipe: str, src: str, dst: str, port: int, verdict: str) -> None:
    app = f"network-policy-recipes/{recipe}"
    assert trace(app, src, dst, port)["verdict"] == verdict
    assert alarms(doctor(app)) == []


# -- network-policy-api conformance: admin-network-policy-standard-integration.go, the policies
# as written (before the test mutates them to Pass).

NP_API = "network-policy-api-conformance"
GRYFFINDOR = "network-policy-conformance-gryffindor"
SLYTHERIN = "network-policy-conformance-slytherin"


@pytest.mark.parametrize(
    ("src", "dst", "port", "by"),
    [
        (f"{SLYTHERIN}/draco-malfoy-0", f"{GRYFFINDOR}/harry-potter-0", 80, "ingress"),
        (f"{SLYTHERIN}/draco-malfoy-1", f"{GRYFFINDOR}/harry-potter-0", 8080, "ingress"),
        (f"{GRYFFINDOR}/harry-potter-0", f"{SLYTHERIN}/draco-malfoy-0", 80, "egress"),
        (f"{GRYFFINDOR}/harry-potter-1", f"{SLYTHERIN}/draco-malfoy-0", 8080, "egress"),
    ],
)
def test_network_policy_api_admin_tier_denies(src: str, dst: str, port: int, by: str) -> None:
    result = trace(NP_API, src, dst, port)
    assert result["verdict"] == "denied"
    reasons = " ".join(r for e in result["endpoints"] for r in e["reasons"])
    assert f"ClusterNetworkPolicy/pass-example {by} rule 0" in reasons


# -- podinfo: the kustomize base; the HPA keeps at least two replicas.


def test_podinfo_service_ports_and_replicas() -> None:
    svc = services("podinfo")["default/podinfo"]
    assert [(p["port"], p["target_port"]) for p in svc["ports"]] == [(9898, "http"), (9999, "grpc")]
    assert workloads(svc["ready_endpoints"]) == ["podinfo", "podinfo"]  # hpa.yaml minReplicas: 2
    assert doctor("podinfo") == []
