"""Normalization: raw documents -> model with the API defaults, workloads -> pods.

Cases follow the Kubernetes documentation's own examples (cited per test).
"""

from __future__ import annotations

import random
import textwrap

import pytest

from podpath.errors import InputError
from podpath.model.core import DNSPolicy, Protocol
from podpath.model.inventory import Inventory
from podpath.model.policy import Direction
from podpath.model.services import ServiceType
from podpath.normalize import normalize
from podpath.normalize.admin_policy import MSG_BANP_NAME
from podpath.normalize.core import NAMESPACE_NAME_LABEL
from podpath.sources.manifests import parse_text


def inv(text: str, *, name: str = "t.yaml", node_count: int | None = None) -> Inventory:
    return normalize(parse_text(textwrap.dedent(text).encode(), name), node_count=node_count)


def pod_names(inventory: Inventory, namespace: str | None = None) -> list[str]:
    return [p.key for p in inventory.pods if namespace is None or p.namespace == namespace]


# -- Service defaults ---------------------------------------------------------------------
# https://kubernetes.io/docs/reference/kubernetes-api/service-resources/service-v1/#ServiceSpec


def test_service_defaults_protocol_tcp_target_port_equals_port_type_clusterip() -> None:
    svc = inv(
        """
        apiVersion: v1
        kind: Service
        metadata: {name: my-service}
        spec:
          selector: {app.kubernetes.io/name: MyApp}
          ports: [{port: 80}]
        """
    ).services[0]
    assert svc.namespace == "default"
    assert svc.type is ServiceType.CLUSTER_IP
    (port,) = svc.ports
    assert (port.port, port.target_port, port.protocol) == (80, 80, Protocol.TCP)
    assert svc.session_affinity == "None"
    assert svc.external_traffic_policy == svc.internal_traffic_policy == "Cluster"
    assert svc.publish_not_ready_addresses is False


@pytest.mark.parametrize(
    ("target", "expected"),
    [("http-web-svc", "http-web-svc"), (9376, 9376), ("9376", 9376), (0, 80), ("", 80)],
    ids=["named", "number", "quoted-number", "zero-is-unset", "empty-is-unset"],
)
def test_target_port_named_or_numbered(target: object, expected: object) -> None:
    svc = inv(
        f"""
        apiVersion: v1
        kind: Service
        metadata: {{name: s}}
        spec: {{ports: [{{port: 80, targetPort: {target!r}}}], selector: {{a: b}}}}
        """
    ).services[0]
    assert svc.ports[0].target_port == expected


def test_headless_and_external_name_and_empty_selector() -> None:
    services = inv(
        """
        apiVersion: v1
        kind: Service
        metadata: {name: headless}
        spec: {clusterIP: None, selector: {app: x}}
        ---
        apiVersion: v1
        kind: Service
        metadata: {name: my-service, namespace: prod}
        spec: {type: ExternalName, externalName: my.database.example.com, selector: {app: x}}
        ---
        apiVersion: v1
        kind: Service
        metadata: {name: manual}
        spec: {selector: {}, ports: [{port: 80}]}
        """
    ).services
    by = {s.name: s for s in services}
    assert by["headless"].headless and not by["headless"].cluster_ips
    assert by["my-service"].external_name == "my.database.example.com"
    assert by["my-service"].selector is None  # ExternalName ignores selectors
    assert by["manual"].selector is None  # an empty selector means "no selector"


# -- NetworkPolicy policyTypes ------------------------------------------------------------
# https://kubernetes.io/docs/reference/kubernetes-api/policy-resources/network-policy-v1/#NetworkPolicySpec


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        ("{podSelector: {}}", (Direction.INGRESS,)),
        ("{podSelector: {}, ingress: [{}]}", (Direction.INGRESS,)),
        ("{podSelector: {}, egress: [{}]}", (Direction.INGRESS, Direction.EGRESS)),
        ("{podSelector: {}, policyTypes: [Egress]}", (Direction.EGRESS,)),
        (
            "{podSelector: {}, policyTypes: [Ingress, Egress]}",
            (Direction.INGRESS, Direction.EGRESS),
        ),
    ],
    ids=["none", "ingress-rules", "egress-rules", "explicit-egress", "explicit-both"],
)
def test_policy_types_inferred_when_absent(spec: str, expected: tuple[Direction, ...]) -> None:
    policy = inv(
        f"""
        apiVersion: networking.k8s.io/v1
        kind: NetworkPolicy
        metadata: {{name: p, namespace: x}}
        spec: {spec}
        """
    ).network_policies[0]
    assert set(policy.policy_types) == set(expected)


# -- Namespaces ---------------------------------------------------------------------------
# https://kubernetes.io/docs/reference/labels-annotations-taints/#kubernetes-io-metadata-name


def test_every_namespace_carries_its_metadata_name_label() -> None:
    inventory = inv(
        """
        apiVersion: v1
        kind: Namespace
        metadata: {name: shop, labels: {team: web}}
        ---
        apiVersion: v1
        kind: Service
        metadata: {name: s, namespace: undeclared}
        spec: {ports: [{port: 80}]}
        """
    )
    by = {n.name: n for n in inventory.namespaces}
    assert set(by) == {"default", "kube-system", "shop", "undeclared"}
    for name, ns in by.items():
        assert ns.labels[NAMESPACE_NAME_LABEL] == name
    assert by["shop"].labels["team"] == "web" and by["shop"].declared
    assert not by["undeclared"].declared


def test_a_user_cannot_override_the_metadata_name_label() -> None:
    inventory = inv(
        f"""
        apiVersion: v1
        kind: Namespace
        metadata: {{name: a, labels: {{{NAMESPACE_NAME_LABEL}: b}}}}
        """
    )
    ns = next(n for n in inventory.namespaces if n.name == "a")
    assert ns.labels[NAMESPACE_NAME_LABEL] == "a"


# -- Pods -----------------------------------------------------------------------------------


def test_pod_defaults_and_status() -> None:
    (pod,) = inv(
        """
        apiVersion: v1
        kind: Pod
        metadata: {name: nginx}
        spec:
          containers:
            - name: nginx
              image: nginx:1.14.2
              ports: [{containerPort: 80}, {containerPort: 53, protocol: UDP, name: dns}]
        status:
          phase: Running
          podIPs: [{ip: 10.244.0.5}, {ip: "fd00::5"}]
          podIP: 10.244.0.5
          conditions: [{type: Ready, status: "False"}]
        """
    ).pods
    assert pod.key == "default/nginx"
    assert [(p.container_port, p.protocol) for p in pod.ports] == [
        (80, Protocol.TCP),
        (53, Protocol.UDP),
    ]
    assert pod.dns_policy is DNSPolicy.CLUSTER_FIRST
    assert pod.ips == ("10.244.0.5", "fd00::5")
    assert (pod.ready, pod.ready_assumed, pod.ip_origin) == (False, False, "status")


def test_pod_without_status_counts_as_ready_by_assumption() -> None:
    (pod,) = inv("apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec: {containers: []}\n").pods
    assert (pod.ready, pod.ready_assumed, pod.ip_origin, pod.ips) == (True, True, "ipam", ())


READINESS = [
    # (status, ready, assumed): IsPodReady (pkg/api/v1/pod/util.go) reads the Ready condition
    ("{phase: Running, conditions: [{type: Ready, status: 'True'}]}", True, False),
    ("{phase: Running, conditions: [{type: Ready, status: 'False'}]}", False, False),
    ("{phase: Running, conditions: [{type: Ready, status: Unknown}]}", False, False),
    ("{phase: Running, conditions: [{type: PodScheduled, status: 'True'}]}", False, False),
    (
        "{phase: Running, conditions: [{type: Initialized, status: 'True'}, "
        "{type: ContainersReady, status: 'True'}]}",
        False,
        False,
    ),
    ("{phase: Running, conditions: []}", False, False),
    ("{phase: Pending, conditions: [{type: PodScheduled, status: 'False'}]}", False, False),
    ("{phase: Succeeded, conditions: [{type: Ready, status: 'True'}]}", False, False),
    ("{phase: Running, podIP: 10.244.1.5}", True, True),  # no conditions: nothing said
    ("{phase: Pending}", False, False),
]


@pytest.mark.parametrize(("status", "ready", "assumed"), READINESS)
def test_readiness_is_the_ready_condition(status: str, ready: bool, assumed: bool) -> None:
    (pod,) = inv(f"kind: Pod\nmetadata: {{name: p}}\nspec: {{}}\nstatus: {status}\n").pods
    assert (pod.ready, pod.ready_assumed) == (ready, assumed)


# -- Workloads -> pods -------------------------------------------------------------------------

WORKLOADS = """
apiVersion: apps/v1
kind: Deployment
metadata: {name: nginx-deployment, namespace: w, labels: {app: nginx}}
spec:
  replicas: 3
  selector: {matchLabels: {app: nginx}}
  template:
    metadata: {labels: {app: nginx}}
    spec: {containers: [{name: nginx, image: "nginx:1.14.2", ports: [{containerPort: 80}]}]}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: single, namespace: w}
spec:
  selector: {matchLabels: {app: single}}
  template:
    metadata: {labels: {app: single}}
    spec: {containers: [{name: c}]}
---
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: web, namespace: w}
spec:
  serviceName: nginx
  replicas: 2
  selector: {matchLabels: {app: nginx-sts}}
  template:
    metadata: {labels: {app: nginx-sts}}
    spec: {containers: [{name: nginx, ports: [{containerPort: 80, name: web}]}]}
---
apiVersion: apps/v1
kind: DaemonSet
metadata: {name: fluentd, namespace: w}
spec:
  selector: {matchLabels: {name: fluentd}}
  template:
    metadata: {labels: {name: fluentd}}
    spec: {containers: [{name: fluentd}]}
---
apiVersion: batch/v1
kind: Job
metadata: {name: pi, namespace: w}
spec:
  template:
    spec: {containers: [{name: pi}], restartPolicy: Never}
---
apiVersion: batch/v1
kind: CronJob
metadata: {name: hello, namespace: w}
spec:
  schedule: "* * * * *"
  jobTemplate:
    spec:
      template:
        spec: {containers: [{name: hello}], restartPolicy: OnFailure}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: scaled-down, namespace: w}
spec:
  replicas: 0
  selector: {matchLabels: {app: "off"}}
  template:
    metadata: {labels: {app: "off"}}
    spec: {containers: [{name: c}]}
"""


@pytest.fixture(scope="module")
def workloads() -> Inventory:
    return inv(WORKLOADS, node_count=3)


def test_deployment_pods_carry_template_labels_and_pod_template_hash(workloads: Inventory) -> None:
    pods = [p for p in workloads.pods if p.owner and p.owner.name == "nginx-deployment"]
    assert len(pods) == 3
    hashes = {p.labels["pod-template-hash"] for p in pods}
    assert len(hashes) == 1
    (h,) = hashes
    for pod in pods:
        assert pod.name.startswith(f"nginx-deployment-{h}-")
        assert pod.labels["app"] == "nginx"
        assert pod.ports[0].container_port == 80
        assert str(pod.owner) == "w/Deployment/nginx-deployment"


def test_replicas_default_to_one_and_zero_means_none(workloads: Inventory) -> None:
    owners = [str(p.owner) for p in workloads.pods]
    assert owners.count("w/Deployment/single") == 1
    assert owners.count("w/Deployment/scaled-down") == 0


def test_statefulset_stable_names_hostname_and_subdomain(workloads: Inventory) -> None:
    """https://kubernetes.io/docs/concepts/workloads/controllers/statefulset/#stable-network-id"""
    pods = {p.name: p for p in workloads.pods if p.owner and p.owner.kind == "StatefulSet"}
    assert sorted(pods) == ["web-0", "web-1"]
    for i, (name, pod) in enumerate(sorted(pods.items())):
        assert (pod.hostname, pod.subdomain) == (name, "nginx")
        assert pod.labels["statefulset.kubernetes.io/pod-name"] == name
        assert pod.labels["apps.kubernetes.io/pod-index"] == str(i)


def test_daemonset_one_pod_per_node_placed_on_it(workloads: Inventory) -> None:
    pods = [p for p in workloads.pods if p.owner and p.owner.kind == "DaemonSet"]
    assert sorted(p.node_name or "" for p in pods) == [n.name for n in workloads.nodes]
    assert len(workloads.nodes) == 3


def test_job_and_cronjob_pods_carry_job_name_labels(workloads: Inventory) -> None:
    job = next(p for p in workloads.pods if str(p.owner) == "w/Job/pi")
    assert job.labels["job-name"] == job.labels["batch.kubernetes.io/job-name"] == "pi"
    cron = next(p for p in workloads.pods if str(p.owner) == "w/CronJob/hello")
    job_name = cron.labels["batch.kubernetes.io/job-name"]
    assert job_name.startswith("hello-") and cron.name.startswith(job_name + "-")


def test_generated_names_do_not_depend_on_document_order() -> None:
    docs = WORKLOADS.strip().split("\n---\n")
    baseline = pod_names(inv("\n---\n".join(docs), node_count=3))
    rng = random.Random(7)
    for _ in range(3):
        rng.shuffle(docs)
        assert pod_names(inv("\n---\n".join(docs), node_count=3)) == baseline


def test_replicaset_in_input_generates_pods_owned_by_its_deployment() -> None:
    inventory = inv(
        """
        apiVersion: apps/v1
        kind: Deployment
        metadata: {name: web, namespace: x}
        spec:
          replicas: 2
          selector: {matchLabels: {app: web}}
          template: {metadata: {labels: {app: web}}, spec: {containers: [{name: c}]}}
        ---
        apiVersion: apps/v1
        kind: ReplicaSet
        metadata:
          name: web-7c5ddbdf54
          namespace: x
          ownerReferences: [{kind: Deployment, name: web, controller: true}]
        spec:
          replicas: 2
          selector: {matchLabels: {app: web}}
          template: {metadata: {labels: {app: web}}, spec: {containers: [{name: c}]}}
        """
    )
    assert len(inventory.pods) == 2
    assert {str(p.owner) for p in inventory.pods} == {"x/Deployment/web"}
    assert all(p.name.startswith("web-7c5ddbdf54-") for p in inventory.pods)


def test_pods_present_suppress_generation_even_through_an_absent_replicaset() -> None:
    inventory = inv(
        """
        apiVersion: apps/v1
        kind: Deployment
        metadata: {name: web, namespace: x}
        spec:
          replicas: 3
          selector: {matchLabels: {app: web}}
          template: {metadata: {labels: {app: web}}, spec: {containers: [{name: c}]}}
        ---
        apiVersion: v1
        kind: Pod
        metadata:
          name: web-7c5ddbdf54-abcde
          namespace: x
          labels: {app: web, pod-template-hash: 7c5ddbdf54}
          ownerReferences: [{kind: ReplicaSet, name: web-7c5ddbdf54, controller: true}]
        spec: {containers: [{name: c}]}
        """
    )
    assert pod_names(inventory) == ["x/web-7c5ddbdf54-abcde"]
    assert str(inventory.pods[0].owner) == "x/Deployment/web"


def test_job_pod_present_suppresses_its_cronjob() -> None:
    inventory = inv(
        """
        apiVersion: batch/v1
        kind: CronJob
        metadata: {name: hello}
        spec:
          schedule: "* * * * *"
          jobTemplate: {spec: {template: {spec: {containers: [{name: c}]}}}}
        ---
        apiVersion: batch/v1
        kind: Job
        metadata:
          name: hello-28000000
          ownerReferences: [{kind: CronJob, name: hello, controller: true}]
        spec: {template: {spec: {containers: [{name: c}]}}}
        ---
        apiVersion: v1
        kind: Pod
        metadata:
          name: hello-28000000-xyz12
          ownerReferences: [{kind: Job, name: hello-28000000, controller: true}]
        spec: {containers: [{name: c}]}
        """
    )
    assert pod_names(inventory) == ["default/hello-28000000-xyz12"]
    assert str(inventory.pods[0].owner) == "default/CronJob/hello"


# -- Lists, JSON, duplicates, unknown kinds --------------------------------------------------


def test_kind_list_and_typed_lists_are_flattened() -> None:
    inventory = inv(
        """
        apiVersion: v1
        kind: List
        items:
          - {apiVersion: v1, kind: Service, metadata: {name: a}, spec: {ports: [{port: 1}]}}
          - apiVersion: v1
            kind: ServiceList
            items: [{metadata: {name: b}, spec: {ports: [{port: 2}]}}]
        """
    )
    assert [s.name for s in inventory.services] == ["a", "b"]


def test_json_documents() -> None:
    text = '{"apiVersion": "v1", "kind": "PodList", "items": [{"metadata": {"name": "p"}}]}'
    inventory = normalize(parse_text(text.encode(), "pods.json"))
    assert pod_names(inventory) == ["default/p"]


def test_duplicates_are_reported_and_the_last_one_wins() -> None:
    inventory = inv(
        """
        apiVersion: v1
        kind: Service
        metadata: {name: s}
        spec: {ports: [{port: 80}]}
        ---
        apiVersion: v1
        kind: Service
        metadata: {name: s, namespace: default}
        spec: {ports: [{port: 81}]}
        """
    )
    (svc,) = inventory.services
    assert svc.ports[0].port == 81
    (note,) = [n for n in inventory.notes if n.code == "duplicate-object"]
    assert note.object == "Service/default/s" and "t.yaml#0" in note.message


def test_unknown_kinds_are_skipped_with_an_info_note() -> None:
    inventory = inv(
        """
        apiVersion: v1
        kind: ServiceAccount
        metadata: {name: settings}
        """
    )
    (note,) = inventory.notes
    assert (note.severity, note.code) == ("info", "skipped-kind")
    assert "v1 ServiceAccount" in note.message


def test_unmodelled_kinds_without_a_name_are_skipped_not_refused() -> None:
    """A kustomization.yaml in a manifest folder has no metadata.name."""
    inventory = inv(
        """
        apiVersion: kustomize.config.k8s.io/v1beta1
        kind: Kustomization
        resources: [deployment.yaml]
        """
    )
    (note,) = inventory.notes
    assert (note.code, note.object) == ("skipped-kind", "Kustomization/(unnamed)")


def test_a_document_of_another_tool_is_skipped_with_a_note() -> None:
    """Helm values, CI configs or podpath's own expectations read from a folder are not
    Kubernetes objects: skipped with an info note, not an error."""
    from podpath.normalize import normalize as _normalize
    from podpath.sources.manifests import parse_text as _parse

    inv = _normalize(_parse(b"expectations:\n  - name: x\nreplicaCount: 3\n", "values.yaml"))
    assert [n.code for n in inv.notes] == ["not-a-kubernetes-object"]


# -- EndpointSlices and the Service they belong to -----------------------------------------
# https://kubernetes.io/docs/reference/kubernetes-api/discovery/endpoint-slice-v1/: the slices
# of a Service are those whose kubernetes.io/service-name label is its name; the label is
# optional.


def test_an_endpointslice_without_the_service_name_label_is_ignored_with_a_note() -> None:
    inventory = inv(
        """
        apiVersion: discovery.k8s.io/v1
        kind: EndpointSlice
        metadata: {name: orphan, namespace: shop, labels: {app: x}}
        addressType: IPv4
        ports: [{name: http, port: 80}]
        endpoints: [{addresses: [10.1.2.3]}]
        ---
        apiVersion: discovery.k8s.io/v1
        kind: EndpointSlice
        metadata:
          name: example-abc
          namespace: shop
          labels: {kubernetes.io/service-name: example}
        addressType: IPv4
        ports: [{name: http, protocol: TCP, port: 80}]
        endpoints: [{addresses: [10.1.2.3], conditions: {ready: true}}]
        """
    )
    assert [(s.name, s.service_name) for s in inventory.endpoint_slices] == [
        ("example-abc", "example")
    ]
    notes = [n for n in inventory.notes if n.code == "endpointslice-without-service"]
    assert [(n.severity, n.object) for n in notes] == [("info", "EndpointSlice/shop/orphan")]


def test_an_endpointslice_without_the_label_is_still_checked() -> None:
    with pytest.raises(InputError, match=r"field endpoints\[0\].addresses\[0\]"):
        inv(
            """
            apiVersion: discovery.k8s.io/v1
            kind: EndpointSlice
            metadata: {name: orphan}
            endpoints: [{addresses: [not-an-ip]}]
            """
        )


# -- BaselineAdminNetworkPolicy is a singleton named default -----------------------------
# network-policy-api apis/v1alpha1/baselineadminnetworkpolicy_types.go:
# +kubebuilder:validation:XValidation:rule="self.metadata.name == 'default'"

BANP = """
apiVersion: policy.networking.k8s.io/v1alpha1
kind: BaselineAdminNetworkPolicy
metadata: {name: NAME}
spec:
  subject: {namespaces: {}}
  ingress: [{action: Deny, from: [{namespaces: {}}]}]
"""


@pytest.mark.parametrize("name", ["default"])
def test_the_baseline_admin_network_policy_named_default_is_valid(name: str) -> None:
    (banp,) = inv(BANP.replace("NAME", name)).of_kind("BaselineAdminNetworkPolicy")
    assert banp.name == "default"


@pytest.mark.parametrize("name", ["baseline", "default-deny", "defaults"])
def test_any_other_name_of_a_baseline_admin_network_policy_is_invalid_input(name: str) -> None:
    with pytest.raises(InputError) as caught:
        inv(BANP.replace("NAME", name))
    error = caught.value
    assert error.field == "metadata.name"
    assert f"BaselineAdminNetworkPolicy {name}" in str(error)
    assert MSG_BANP_NAME.format(got=name) in str(error)


# -- the labels the kubelet sets on its Node -----------------------------------------------
# pkg/kubelet/kubelet_node_status.go initialNode: hostname, os, arch and the deprecated
# beta.kubernetes.io/os and beta.kubernetes.io/arch.

KUBELET_LABELS = [
    ("kubernetes.io/hostname", "node-1"),
    ("kubernetes.io/os", "linux"),
    ("kubernetes.io/arch", "amd64"),
    ("beta.kubernetes.io/os", "linux"),
    ("beta.kubernetes.io/arch", "amd64"),
]


@pytest.mark.parametrize(("label", "value"), KUBELET_LABELS)
def test_made_up_nodes_carry_every_label_the_kubelet_sets(label: str, value: str) -> None:
    node = inv("kind: Namespace\nmetadata: {name: x}\n").nodes[0]
    assert node.labels[label] == value


@pytest.mark.parametrize(("label", "value"), KUBELET_LABELS[1:])
def test_a_pod_selecting_a_kubelet_label_is_scheduled(label: str, value: str) -> None:
    """sock-shop's Deployments select ``beta.kubernetes.io/os: linux``."""
    from podpath.cluster import resolve

    cluster = resolve(
        inv(
            "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d}\n"
            "spec:\n  selector: {matchLabels: {app: d}}\n  template:\n"
            "    metadata: {labels: {app: d}}\n"
            f"    spec: {{nodeSelector: {{{label}: {value}}}, containers: [{{name: c}}]}}\n"
        )
    )
    (pod,) = cluster.pods
    assert pod.node_name and pod.phase == "Running"


# -- HorizontalPodAutoscaler minReplicas ----------------------------------------------------
# https://kubernetes.io/docs/tasks/run-application/horizontal-pod-autoscale/: the controller
# scales a target below minReplicas up to it; a target scaled to 0 is not autoscaled.

HPA_CASES = [
    # (Deployment replicas or None, HPA minReplicas or None, HPA target name, pods)
    (None, 2, "web", 2),  # podinfo: no replicas, minReplicas 2
    (3, 2, "web", 3),
    (1, 5, "web", 5),
    (0, 2, "web", 0),
    (None, None, "web", 1),  # minReplicas defaults to 1
    (None, 4, "other", 1),  # another target
]


@pytest.mark.parametrize(("replicas", "minimum", "target", "pods"), HPA_CASES)
def test_an_hpa_keeps_its_target_at_min_replicas(
    replicas: int | None, minimum: int | None, target: str, pods: int
) -> None:
    count = f"  replicas: {replicas}\n" if replicas is not None else ""
    floor = f"  minReplicas: {minimum}\n" if minimum is not None else ""
    inventory = inv(
        "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\nspec:\n"
        + count
        + "  selector: {matchLabels: {app: web}}\n"
        "  template: {metadata: {labels: {app: web}}, spec: {containers: [{name: c}]}}\n"
        "---\napiVersion: autoscaling/v2\nkind: HorizontalPodAutoscaler\n"
        "metadata: {name: web}\nspec:\n"
        f"  scaleTargetRef: {{apiVersion: apps/v1, kind: Deployment, name: {target}}}\n"
        + floor
        + "  maxReplicas: 10\n"
    )
    assert len(inventory.pods) == pods
