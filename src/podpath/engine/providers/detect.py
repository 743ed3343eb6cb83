"""``--provider auto``: which provider the input shows, and the evidence.

Evidence, per provider (each kind of evidence counted once per object):

- a Service's ``spec.loadBalancerClass`` (``service.k8s.aws/nlb``,
  ``networking.gke.io/l4-regional-*``) or provider annotations
  (``service.beta.kubernetes.io/aws-load-balancer-*``, ``service.beta.kubernetes.io/azure-*``,
  ``networking.gke.io/*``/``cloud.google.com/*``, ``metallb.universe.tf/*``/``metallb.io/*``);
- an IngressClass ``spec.controller`` or a GatewayClass ``spec.controllerName`` of a provider's
  own controller; ``alb.ingress.kubernetes.io/*`` annotations on an Ingress;
- node labels: ``eks.amazonaws.com/nodegroup``, ``kubernetes.azure.com/agentpool``,
  ``cloud.google.com/gke-nodepool``, ``minikube.k8s.io/name``.

The provider with the most evidence wins (ties in the order eks, aks, gke, kind, minikube,
metallb); without any, ``none`` (the generic model). MetalLB often runs on a local cluster's
nodes: any MetalLB evidence wins over kind or minikube.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import TYPE_CHECKING

from podpath.engine.providers import PROFILES
from podpath.engine.providers.aks import AGIC_CONTROLLER
from podpath.engine.providers.alb import ALB_CONTROLLER
from podpath.engine.providers.eks import GATEWAY_ALB, GATEWAY_NLB, NLB_CLASS
from podpath.engine.providers.gke import (
    EXTERNAL_CLASS,
    GATEWAY_CONTROLLER,
    INGRESS_CONTROLLER,
    INTERNAL_CLASS,
)
from podpath.engine.providers.kind import KIND_GATEWAY_CONTROLLER, KIND_INGRESS_CONTROLLER

if TYPE_CHECKING:
    from podpath.cluster import Cluster

NODE_LABELS = {
    "eks.amazonaws.com/nodegroup": "eks",
    "kubernetes.azure.com/agentpool": "aks",
    "cloud.google.com/gke-nodepool": "gke",
    "minikube.k8s.io/name": "minikube",
}
LB_CLASSES = {NLB_CLASS: "eks", INTERNAL_CLASS: "gke", EXTERNAL_CLASS: "gke"}
CONTROLLERS = {
    ALB_CONTROLLER: "eks",
    GATEWAY_ALB: "eks",
    GATEWAY_NLB: "eks",
    AGIC_CONTROLLER: "aks",
    INGRESS_CONTROLLER: "gke",
    GATEWAY_CONTROLLER: "gke",
    KIND_INGRESS_CONTROLLER: "kind",
    KIND_GATEWAY_CONTROLLER: "kind",
}
ANNOTATION_PREFIXES = (
    ("service.beta.kubernetes.io/aws-load-balancer-", "eks"),
    ("alb.ingress.kubernetes.io/", "eks"),
    ("service.beta.kubernetes.io/azure-", "aks"),
    ("appgw.ingress.kubernetes.io/", "aks"),
    ("networking.gke.io/", "gke"),
    ("cloud.google.com/", "gke"),
    ("metallb.universe.tf/", "metallb"),
    ("metallb.io/", "metallb"),
)


@dataclass(frozen=True, slots=True)
class Detection:
    """The provider detected (``none`` without evidence) and the evidence, per provider."""

    provider: str
    evidence: tuple[tuple[str, str], ...] = ()  # (provider, what showed it)

    @property
    def note(self) -> str:
        """What ``auto`` says it detected."""
        if self.provider == "none":
            return "--provider auto: no provider evidence in the input; the generic model"
        mine = [what for p, what in self.evidence if p == self.provider]
        shown = "; ".join(mine[:3]) + (f" (+{len(mine) - 3} more)" if len(mine) > 3 else "")
        others = sorted({p for p, _ in self.evidence if p != self.provider})
        also = f"; also evidence of {', '.join(others)}" if others else ""
        return f"--provider auto: detected {self.provider} from {shown}{also}"


def _annotation_evidence(kind: str, key: str, annotations: dict[str, str]) -> list[tuple[str, str]]:
    found: dict[str, str] = {}
    for name in sorted(annotations):
        for prefix, provider in ANNOTATION_PREFIXES:
            if name.startswith(prefix) and provider not in found:
                found[provider] = f"annotation {name} on {kind}/{key}"
    return sorted(found.items())


def evidence(cluster: Cluster) -> list[tuple[str, str]]:
    """Every piece of evidence in the input (module docstring), in a stable order."""
    out: list[tuple[str, str]] = []
    for label, provider in NODE_LABELS.items():
        nodes = [n.name for n in cluster.nodes if label in n.labels]
        if nodes:
            more = f" (and {len(nodes) - 1} more nodes)" if len(nodes) > 1 else ""
            out.append((provider, f"node label {label} on Node/{nodes[0]}{more}"))
    for svc in cluster.services:
        if svc.lb_class in LB_CLASSES:
            out.append((LB_CLASSES[svc.lb_class], f"loadBalancerClass {svc.lb_class} on {svc.ref}"))
        out.extend(_annotation_evidence("Service", svc.key, dict(svc.annotations)))
    for cls in cluster.of_kind("IngressClass"):
        if cls.controller in CONTROLLERS:
            out.append(
                (
                    CONTROLLERS[cls.controller],
                    f"IngressClass/{cls.name} controller {cls.controller}",
                )
            )
    for gcls in cluster.of_kind("GatewayClass"):
        if gcls.controller_name in CONTROLLERS:
            out.append(
                (
                    CONTROLLERS[gcls.controller_name],
                    f"GatewayClass/{gcls.name} controllerName {gcls.controller_name}",
                )
            )
    for ing in cluster.of_kind("Ingress"):
        out.extend(_annotation_evidence("Ingress", ing.key, dict(ing.annotations)))
    return out


def detect(cluster: Cluster) -> Detection:
    """The provider the input shows (module docstring)."""
    found = evidence(cluster)
    if not found:
        return Detection("none")
    counts = Counter(p for p, _ in found)
    order = list(PROFILES)
    best = max(counts, key=lambda p: (counts[p], -order.index(p)))
    if counts.get("metallb") and best in ("kind", "minikube"):
        best = "metallb"
    return Detection(best, tuple(found))
