"""``up --provider``: the plan of the edge per provider (pure, table-driven, each row citing the
page the profile follows), its rendered rules (golden), the probe's expectations (from
``trace --provider``), and real up/probe/down runs (root, Linux; skipped elsewhere)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from conftest import Golden
from podpath.api import load_cluster
from podpath.cluster import Cluster
from podpath.commands.provider import config_provider
from podpath.dataplane.plan import build_plan
from podpath.dataplane.probe_provider import provider_checks
from podpath.dataplane.provider_net import edge_lines, edge_ruleset, node_lines, node_ruleset
from podpath.dataplane.provider_plan import (
    EDGE_NS,
    Frontend,
    ProviderPlan,
    build_provider_plan,
)
from podpath.dataplane.provider_up import provider_state
from podpath.engine.providers import choose
from podpath.engine.providers.base import Choice

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples" / "providers"
CAN_RUN = (
    sys.platform.startswith("linux")
    and os.geteuid() == 0
    and shutil.which("ip") is not None
    and shutil.which("nft") is not None
)
needs_root = pytest.mark.skipif(not CAN_RUN, reason="needs root, Linux, ip and nft")
RUN_TIMEOUT = 120.0

NODES = """
- apiVersion: v1
  kind: Node
  metadata: {name: n1}
  status: {addresses: [{type: InternalIP, address: 10.0.1.10}]}
- apiVersion: v1
  kind: Node
  metadata: {name: n2}
  status: {addresses: [{type: InternalIP, address: 10.0.2.20}]}
- apiVersion: v1
  kind: Pod
  metadata: {name: web-0, namespace: app, labels: {app: web}}
  spec:
    nodeName: n1
    containers: [{name: c, ports: [{containerPort: 8080}, {containerPort: 5353, protocol: UDP}]}]
  status: {podIP: 10.0.1.57}
"""


def _service(annotations: dict[str, str], **spec: Any) -> str:
    body = {
        "type": "LoadBalancer",
        "selector": {"app": "web"},
        "ports": [{"name": "http", "port": 80, "targetPort": 8080, "nodePort": 31080}],
        **spec,
    }
    svc = {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": "web", "namespace": "app", "annotations": annotations},
        "spec": body,
        "status": {"loadBalancer": {"ingress": [{"ip": "192.0.2.10"}]}},
    }
    return yaml.safe_dump([svc])


def _cluster(tmp_path: Path, annotations: dict[str, str], **spec: Any) -> Cluster:
    path = tmp_path / "cluster.yaml"
    path.write_text("apiVersion: v1\nkind: List\nitems:\n" + NODES + _service(annotations, **spec))
    return load_cluster([str(path)])


def _plan(cluster: Cluster, choice: Choice) -> ProviderPlan:
    return build_provider_plan(cluster, build_plan(cluster), choice)


def _front(pplan: ProviderPlan) -> Frontend:
    assert len(pplan.frontends) == 1, pplan
    return pplan.frontends[0]


AWS = "service.beta.kubernetes.io/aws-load-balancer-"
AZ = "service.beta.kubernetes.io/azure-"
EKS = {"vpc-cidr": "10.0.0.0/16", "lb-subnets": "10.0.0.0/24"}
AKS = {"vnet-cidr": "10.224.0.0/12"}
POD = (("10.0.1.57", 8080),)
BOTH_NODES = (("10.0.1.10", 31080), ("10.0.2.20", 31080))

# (provider, params, annotations, spec, expected frontend fields, the page the rule follows)
CASES: list[tuple[str, dict[str, str], dict[str, str], dict[str, Any], dict[str, Any], str]] = [
    (  # instance targets: the NodePort on every node, client IP kept (preservation on)
        "eks",
        EKS,
        {AWS + "scheme": "internet-facing"},
        {"loadBalancerClass": "service.k8s.aws/nlb"},
        {"path": "nodeport", "targets": BOTH_NODES, "snat": None, "reachable_from": None},
        "https://kubernetes-sigs.github.io/aws-load-balancer-controller/latest/guide/service/annotations/#nlb-target-type",
    ),
    (  # instance + externalTrafficPolicy Local: only nodes with an endpoint (health check)
        "eks",
        EKS,
        {AWS + "scheme": "internet-facing"},
        {"loadBalancerClass": "service.k8s.aws/nlb", "externalTrafficPolicy": "Local"},
        {"path": "nodeport", "targets": (("10.0.1.10", 31080),)},
        "https://kubernetes-sigs.github.io/aws-load-balancer-controller/latest/guide/service/annotations/#healthcheck-port",
    ),
    (  # ip targets over TCP: pod IPs, preservation off -> the NLB's address, ranges ignored
        "eks",
        EKS,
        {AWS + "scheme": "internet-facing", AWS + "nlb-target-type": "ip"},
        {
            "loadBalancerClass": "service.k8s.aws/nlb",
            "loadBalancerSourceRanges": ["198.51.100.0/24"],
        },
        {"path": "pod-direct", "targets": POD, "snat": "10.0.0.1", "edge_ranges": None},
        "https://docs.aws.amazon.com/elasticloadbalancing/latest/network/edit-target-group-attributes.html#client-ip-preservation",
    ),
    (  # ip targets with preservation on: client kept, ranges in the security group (edge)
        "eks",
        EKS,
        {
            AWS + "scheme": "internet-facing",
            AWS + "nlb-target-type": "ip",
            AWS + "target-group-attributes": "preserve_client_ip.enabled=true",
        },
        {
            "loadBalancerClass": "service.k8s.aws/nlb",
            "loadBalancerSourceRanges": ["198.51.100.0/24"],
        },
        {
            "path": "pod-direct",
            "snat": None,
            "edge_ranges": ("198.51.100.0/24",),
            "node_ranges": None,
        },
        "https://kubernetes-sigs.github.io/aws-load-balancer-controller/latest/guide/service/annotations/#lb-source-ranges",
    ),
    (  # no scheme annotation: internal, the VPC only
        "eks",
        EKS,
        {},
        {"loadBalancerClass": "service.k8s.aws/nlb"},
        {"reachable_from": ("10.0.0.0/16",)},
        "https://kubernetes-sigs.github.io/aws-load-balancer-controller/latest/guide/service/annotations/#lb-scheme",
    ),
    (  # floating IP: passthrough to a node, the NSG admits the ranges and the VNet
        "aks",
        AKS,
        {},
        {"loadBalancerSourceRanges": ["198.51.100.0/24"]},
        {
            "path": "passthrough",
            "via": "10.0.1.10",
            "targets": (),
            "snat": None,
            "edge_ranges": ("198.51.100.0/24",),
        },
        "https://learn.microsoft.com/en-us/azure/aks/configure-load-balancer-standard#restrict-inbound-traffic-to-specific-ip-ranges",
    ),
    (  # azure-allowed-ip-ranges: the NSG, whose default rule still admits the VNet
        "aks",
        AKS,
        {AZ + "allowed-ip-ranges": "198.51.100.0/24"},
        {},
        {"edge_ranges": ("10.224.0.0/12", "198.51.100.0/24")},
        "https://kubernetes-sigs.github.io/cloud-provider-azure/topics/loadbalancer/#loadbalancer-annotations",
    ),
    (  # internal load balancer: the VNet only
        "aks",
        AKS,
        {AZ + "load-balancer-internal": "true"},
        {},
        {"reachable_from": ("10.224.0.0/12",)},
        "https://learn.microsoft.com/en-us/azure/aks/internal-lb",
    ),
    (  # GKE external passthrough NLB: client kept, destination the LB address
        "gke",
        {},
        {},
        {},
        {"path": "passthrough", "snat": None, "reachable_from": None},
        "https://cloud.google.com/load-balancing/docs/passthrough-network-load-balancer",
    ),
    (  # GKE internal: the VPC only
        "gke",
        {"vpc-cidr": "10.128.0.0/9"},
        {"networking.gke.io/load-balancer-type": "Internal"},
        {},
        {"reachable_from": ("10.128.0.0/9",)},
        "https://cloud.google.com/kubernetes-engine/docs/how-to/internal-load-balancing",
    ),
    (  # MetalLB: passthrough, source ranges only in kube-proxy (the node)
        "metallb",
        {},
        {},
        {"loadBalancerSourceRanges": ["198.51.100.0/24"]},
        {"path": "passthrough", "edge_ranges": None, "node_ranges": ("198.51.100.0/24",)},
        "https://metallb.universe.tf/usage/#traffic-policies",
    ),
    (  # cloud-provider-kind: Envoy at the LB address proxying to every NodePort
        "kind",
        {},
        {},
        {},
        {
            "path": "nodeport",
            "targets": BOTH_NODES,
            "snat": "192.0.2.10",
            "reachable_from": ("172.18.0.0/16",),
        },
        "https://github.com/kubernetes-sigs/cloud-provider-kind/blob/main/pkg/loadbalancer/proxy.go",
    ),
    (  # minikube tunnel: the ClusterIP, routed from the host via the node
        "minikube",
        {},
        {},
        {},
        {"path": "cluster-ip", "reachable_from": ("192.168.49.1/32",)},
        "https://minikube.sigs.k8s.io/docs/handbook/accessing/#loadbalancer-access",
    ),
    (  # no tunnel: nothing reaches it
        "minikube",
        {"tunnel": "off"},
        {},
        {},
        {"reachable_from": ()},
        "https://minikube.sigs.k8s.io/docs/commands/tunnel/",
    ),
]


@pytest.mark.parametrize(("provider", "params", "annotations", "spec", "want", "page"), CASES)
def test_frontend_follows_the_profile(
    tmp_path: Path,
    provider: str,
    params: dict[str, str],
    annotations: dict[str, str],
    spec: dict[str, Any],
    want: dict[str, Any],
    page: str,
) -> None:
    cluster = _cluster(tmp_path, annotations, **spec)
    front = _front(_plan(cluster, choose(provider, params)))
    got = {key: getattr(front, key) for key in want}
    assert got == want, page


def test_udp_ip_targets_keep_the_client(tmp_path: Path) -> None:
    """Preservation is on by default for ip targets over UDP (AWS client IP preservation)."""
    cluster = _cluster(
        tmp_path,
        {AWS + "scheme": "internet-facing", AWS + "nlb-target-type": "ip"},
        loadBalancerClass="service.k8s.aws/nlb",
        ports=[{"name": "dns", "port": 53, "targetPort": 5353, "protocol": "UDP"}],
    )
    front = _front(_plan(cluster, choose("eks", EKS)))
    assert (front.path, front.protocol, front.snat) == ("pod-direct", "UDP", None)
    assert front.targets == (("10.0.1.57", 5353),)


def test_hostname_only_load_balancers_get_an_address_and_clients_per_range() -> None:
    cluster = load_cluster([str(EXAMPLES / "eks")])
    pplan = _plan(cluster, choose("eks", EKS))
    assert [(f.service, f.address, f.path) for f in pplan.frontends] == [
        ("shop/admin", "198.19.0.1", "nodeport"),
        ("shop/storefront", "198.19.0.2", "pod-direct"),
    ]
    assert [(c.name, c.netns) for c in pplan.clients] == [
        ("internet", pplan.clients[0].netns),
        ("10.0.255.254", pplan.clients[1].netns),
    ]
    assert pplan.extra_sources == ("10.0.0.1", "10.0.255.254")
    assert EDGE_NS in pplan.netns_names
    assert all(name.startswith(EDGE_NS[: EDGE_NS.index("-") + 1]) for name in pplan.netns_names)
    json.dumps(provider_state(pplan, "test"))  # JSON data only


def test_no_provider_service_means_no_frontend(tmp_path: Path) -> None:
    """A loadBalancerClass the controller does not know is not EKS's (nlb page)."""
    cluster = _cluster(tmp_path, {}, loadBalancerClass="example.com/other")
    assert _plan(cluster, choose("eks", EKS)).frontends == ()


@pytest.mark.parametrize("provider", sorted(p.name for p in EXAMPLES.iterdir() if p.is_dir()))
def test_edge_rules_golden(provider: str, golden: Golden) -> None:
    cluster = load_cluster([str(EXAMPLES / provider)])
    name, params = config_provider(EXAMPLES / provider / "podpath.yaml")
    assert name is not None
    choice = choose(name, params)
    plan = build_plan(cluster)
    pplan = build_provider_plan(cluster, plan, choice)
    text = "\n".join(edge_lines(plan, pplan)) + "\n" + edge_ruleset(plan, pplan)
    text += "\n".join(node_lines(plan, pplan)) + "\n"
    text += "".join(node_ruleset(pplan, n) for n in plan.nodes)
    prefix = EDGE_NS[: -len("edge")]
    # names inside podpath's own namespaces keep "pp-" whatever PODPATH_PREFIX is: fold both
    text = text.replace(prefix, "PREFIX-").replace("pp-", "PREFIX-")
    golden(f"dataplane/provider-{provider}.txt", text)


def _state(cluster: Cluster, pplan: ProviderPlan) -> dict[str, Any]:
    plan = build_plan(cluster)
    return {
        "pods": [
            {
                "key": p.key,
                "listeners": [[lst.port, lst.protocol, lst.serves] for lst in p.listeners],
            }
            for p in plan.pods
        ],
        "provider": provider_state(pplan, "test"),
    }


def test_probe_expects_what_trace_predicts_on_eks() -> None:
    """Internet -> the internal admin NLB: no route; the VPC client reaches it through the
    NodePort, source-NATed to a node (eTP Cluster); the storefront NLB (ip targets, no client
    IP preservation) hands on its own address 10.0.0.1 straight to the pods."""
    cluster = load_cluster([str(EXAMPLES / "eks")])
    pplan = _plan(cluster, choose("eks", EKS))
    checks = {(c.source, c.target): c for c in provider_checks(cluster, _state(cluster, pplan))}
    assert checks[("internet", "svc:shop/admin")].expected == {"unreachable"}
    assert checks[("10.0.255.254", "svc:shop/admin")].expected == {
        "answered shop/admin-0 from 10.0.1.10",
        "answered shop/admin-0 from 10.0.2.20",
    }
    health = checks[("health-check 10.0.0.1 (shop/storefront)", "shop/storefront-0")]
    assert (health.bind, health.port, health.expected) == (
        "10.0.0.1",
        8080,
        {"answered shop/storefront-0 from 10.0.0.1"},
    )  # the NLB's health check on the traffic port, from its subnet, admitted by from-the-vpc
    for source in ("internet", "10.0.255.254"):
        check = checks[(source, "svc:shop/storefront")]
        assert check.seen and check.address == "198.19.0.2"
        assert check.expected == {
            "answered shop/storefront-0 from 10.0.0.1",
            "answered shop/storefront-1 from 10.0.0.1",
        }


def _podpath(*args: str, state: Path) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, PODPATH_STATE_DIR=str(state))
    return subprocess.run(
        [sys.executable, "-m", "podpath.cli", *args],
        capture_output=True,
        text=True,
        timeout=RUN_TIMEOUT,
        env=env,
        check=False,
    )


def _leftovers() -> list[str]:
    from podpath.dataplane.netns import our_links, our_netns, our_tables

    return our_netns() + our_links() + our_tables()


def _up_probe_down(args: list[str], state: Path) -> dict[str, Any]:
    try:
        up = _podpath("up", *args, state=state)
        assert up.returncode == 0, up.stderr
        probe = _podpath("probe", "--format", "json", "--timeout", "0.5", state=state)
        result: dict[str, Any] = json.loads(probe.stdout)
        assert probe.returncode == (1 if result["disagreements"] else 0)
        return result
    finally:
        down = _podpath("down", state=state)
        assert down.returncode == 0, down.stderr
        assert _leftovers() == []


@pytest.mark.dataplane
@needs_root
def test_eks_pod_direct_and_nodeport_agree(tmp_path: Path) -> None:
    """examples/providers/eks (podpath.yaml: eks): a pod-direct NLB handing on its address,
    an internal instance NLB through the NodePort with source NAT to the node."""
    result = _up_probe_down(["-f", str(EXAMPLES / "eks")], tmp_path / "state")
    assert result["disagreements"] == []
    assert result["checked"] == result["agree"] >= 42


@pytest.mark.dataplane
@needs_root
@pytest.mark.parametrize(
    ("provider", "extra"),
    [
        ("metallb", ()),
        ("aks", ()),
        ("kind", ()),
        ("minikube", ()),
        ("gke", ("--provider", "gke", "--provider-param", "vpc-cidr=10.128.0.0/9")),
        ("eks", ("--provider", "none")),
    ],
)
def test_passthrough_and_local_providers_agree(
    tmp_path: Path, provider: str, extra: tuple[str, ...]
) -> None:
    result = _up_probe_down(["-f", str(EXAMPLES / provider), *extra], tmp_path / "state")
    assert result["disagreements"] == []


@pytest.mark.dataplane
@needs_root
def test_exec_reaches_a_pod_direct_target_and_reports_the_source(tmp_path: Path) -> None:
    state = tmp_path / "state"
    try:
        up = _podpath("up", "-f", str(EXAMPLES / "eks"), state=state)
        assert up.returncode == 0, up.stderr
        code = "import socket; print(socket.create_connection(('198.19.0.2', 80), 3).recv(99))"
        done = _podpath("exec", "internet", "--", sys.executable, "-c", code, state=state)
        assert done.returncode == 0, done.stderr
        assert "from 10.0.0.1" in done.stdout
    finally:
        _podpath("down", state=state)
        assert _leftovers() == []


@pytest.mark.dataplane
@needs_root
def test_a_failed_edge_is_cleaned_up(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """nft refusing the edge's table: up fails with one line, and nothing is left."""
    from podpath.api import load_raw
    from podpath.cluster import Settings
    from podpath.dataplane import lifecycle, provider_up
    from podpath.dataplane.netns import DataplaneError
    from podpath.dataplane.recorded import rebuild, record_input
    from podpath.dataplane.statedir import locked

    monkeypatch.setattr(provider_up, "edge_ruleset", lambda plan, pplan: "table ip pp-prov {")
    docs = load_raw([str(EXAMPLES / "eks")])
    record = record_input(docs, Settings(), None)
    cluster = rebuild(record)
    with locked(tmp_path / "state", create=True, wait=False) as sd:
        assert sd is not None
        with pytest.raises(DataplaneError, match="nft in"):
            lifecycle.up(cluster, record, sd, provider=choose("eks", EKS))
    assert _leftovers() == []


def test_up_refuses_an_unknown_provider_parameter(tmp_path: Path) -> None:
    """Exit 2 with one line (without root: the preflight line; with root: the parameter)."""
    done = _podpath(
        "up", "-f", str(EXAMPLES / "eks"), "--provider-param", "nope=1", state=tmp_path / "s"
    )
    assert done.returncode == 2
    assert len(done.stderr.strip().splitlines()) == 1
    assert "Traceback" not in done.stderr
    if CAN_RUN:
        assert "nope" in done.stderr
        assert _leftovers() == []
