"""Pods an operator creates from a kind podpath skips: which skipped objects likely create the
pods a selector looks for, when the input holds none (doctor's and trace's ``unknown``).

An operator labels the pods it creates like its custom resource (kube-prometheus's
``Prometheus`` ``k8s`` gives its pods ``app.kubernetes.io/name: prometheus``; the
prometheus-operator documentation, "Prometheus" resource). A custom resource of a kind not
known to create none may be such a creator (:func:`may_create_pods`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from podpath.cluster import Cluster
from podpath.engine.near_miss import closest_labels
from podpath.engine.selectors import selector_matches
from podpath.model.core import LabelSelector, Pod
from podpath.model.objects import SKIPPED_KIND, SkippedObject

# Custom resource kinds known to create no pods (monitoring, certificates, mesh configuration).
NO_POD_KINDS = frozenset(
    {
        "ServiceMonitor",
        "PodMonitor",
        "PrometheusRule",
        "Probe",
        "ScrapeConfig",
        "AlertmanagerConfig",
        "Certificate",
        "CertificateRequest",
        "Issuer",
        "ClusterIssuer",
        "VirtualService",
        "DestinationRule",
        "ServiceEntry",
        "Sidecar",
        "PeerAuthentication",
        "AuthorizationPolicy",
        "RequestAuthentication",
        "AppProject",
        "Kustomization",
    }
)


def may_create_pods(obj: SkippedObject) -> bool:
    """Whether a skipped object may be one an operator turns into pods: a custom resource
    (a CRD's group has a dot, and is not Kubernetes' own ``*.k8s.io``; the built-in groups --
    core, ``apps``, ``batch``, ... -- have none, and their pod creators are modelled) of a kind
    not known to create none (:data:`NO_POD_KINDS`)."""
    group = obj.group
    if "." not in group or group == "k8s.io" or group.endswith(".k8s.io"):
        return False
    return obj.kind not in NO_POD_KINDS and not obj.kind.endswith("List")


def pod_creators(cluster: Cluster) -> dict[str, tuple[SkippedObject, ...]]:
    """By namespace: the skipped objects that may create pods (:func:`may_create_pods`);
    one that names no namespace is in ``default``, where kubectl would create it."""
    out: dict[str, list[SkippedObject]] = {}
    for obj in cluster.inventory.of_kind(SKIPPED_KIND):
        if may_create_pods(obj):
            out.setdefault(obj.namespace or "default", []).append(obj)
    return {ns: tuple(objs) for ns, objs in out.items()}


def likely_creators(
    creators: Mapping[str, tuple[SkippedObject, ...]],
    namespaces: Iterable[str],
    selector: LabelSelector | None = None,
    pods: Iterable[Pod] = (),
) -> tuple[str, ...]:
    """The skipped objects in ``namespaces`` (of ``creators``, :func:`pod_creators`) that
    likely create pods a selector looks for: those whose own labels the selector matches;
    else, unless the input's ``pods`` hold a near miss of the selector (a typo explains it
    better), every one that may create pods there. Empty: the input decides."""
    found = [o for ns in namespaces for o in creators.get(ns, ())]
    if found and selector is not None and not selector.is_empty:
        matching = [o for o in found if selector_matches(selector, o.labels)]
        wanted = selector.match_labels
        near = wanted and closest_labels(wanted, [p.labels for p in pods]) is not None
        found = matching or ([] if near else found)
    return tuple(sorted({str(o) for o in found}))
