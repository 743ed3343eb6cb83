"""What every check sees: the resolved cluster and the doctor's configuration (baseline)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cached_property

from podpath.cluster import Cluster
from podpath.engine.providers.base import Choice
from podpath.model.core import Pod, SourceRef

SENSITIVE_KEY = "podpath.io/sensitive"
DEFAULT_MONITORING_NAMESPACES = ("monitoring",)
DEFAULT_METRICS_PORTS: tuple[int | str, ...] = ("metrics", "http-metrics")


@dataclass(frozen=True, slots=True)
class BaselineConfig:
    """The policy baseline (``podpath.yaml`` ``baseline:`` / ``--sensitive``).

    - ``sensitive_namespaces``: namespaces that must follow the baseline, in addition to
      namespaces labelled or annotated ``podpath.io/sensitive: "true"``;
    - ``monitoring_namespaces``: whose pods must reach ``metrics_ports`` (numbers or
      container port names) of sensitive pods;
    - ``approved_namespaces``: frontend/gateway/job namespaces allowed to send ingress to
      sensitive pods (besides the namespace itself and monitoring).
    """

    sensitive_namespaces: tuple[str, ...] = ()
    monitoring_namespaces: tuple[str, ...] = DEFAULT_MONITORING_NAMESPACES
    metrics_ports: tuple[int | str, ...] = DEFAULT_METRICS_PORTS
    approved_namespaces: tuple[str, ...] = ()
    source: SourceRef | None = None


EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class DoctorContext:
    """``now`` is the time certificates are checked against (the CLI passes the clock; the
    default, the epoch, finds no certificate expired, keeping the core deterministic);
    ``provider`` the provider profile in front of the cluster (``--provider``; None: the
    generic model, and the provider step finds nothing)."""

    cluster: Cluster
    baseline: BaselineConfig = field(default_factory=BaselineConfig)
    now: datetime = EPOCH
    provider: Choice | None = None

    @cached_property
    def pods_by_namespace(self) -> dict[str, tuple[Pod, ...]]:
        out: dict[str, list[Pod]] = {}
        for pod in self.cluster.pods:
            out.setdefault(pod.namespace, []).append(pod)
        return {ns: tuple(pods) for ns, pods in out.items()}

    @cached_property
    def sensitive_namespaces(self) -> tuple[str, ...]:
        """Configured sensitive namespaces plus those marked with the label/annotation."""
        marked = {
            ns.name
            for ns in self.cluster.namespaces
            if _truthy(ns.labels.get(SENSITIVE_KEY)) or _truthy(ns.annotations.get(SENSITIVE_KEY))
        }
        return tuple(sorted(marked | set(self.baseline.sensitive_namespaces)))


def workload_object(pod: Pod) -> str:
    """The object a finding about a pod names: its workload (``Deployment/NS/NAME``), or the
    pod itself when it has no controller."""
    if pod.owner is not None:
        return f"{pod.owner.kind}/{pod.owner.namespace}/{pod.owner.name}"
    return str(pod.ref)


def group_by_workload(pods: Iterable[Pod]) -> dict[str, list[Pod]]:
    """Pods grouped by :func:`workload_object` (replicas share labels and policies)."""
    out: dict[str, list[Pod]] = {}
    for pod in pods:
        out.setdefault(workload_object(pod), []).append(pod)
    return out


def _truthy(value: str | None) -> bool:
    return value is not None and value.strip().lower() in ("true", "yes", "1", "")


CONFIG_KIND = "PodpathConfig"


def _strs(value: object, where: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ValueError(f"{where}: expected a list of strings")
    return tuple(value)


def _ports(value: object, where: str) -> tuple[int | str, ...]:
    if value is None:
        return DEFAULT_METRICS_PORTS
    if not isinstance(value, list) or not all(
        isinstance(v, str) or (isinstance(v, int) and not isinstance(v, bool)) for v in value
    ):
        raise ValueError(f"{where}: expected a list of port numbers or names")
    return tuple(value)


def baseline_from_config(raw: object, source: SourceRef | None = None) -> BaselineConfig:
    """The ``baseline:`` section of a ``podpath.yaml`` (``kind: PodpathConfig`` optional)::

        apiVersion: podpath.io/v1alpha1
        kind: PodpathConfig
        baseline:
          sensitiveNamespaces: [payments]
          monitoringNamespaces: [monitoring]
          metricsPorts: [9090, metrics]
          approvedNamespaces: [ingress-nginx, batch]

    Raises ``ValueError`` naming the field on a malformed value.
    """
    if raw is None:
        return BaselineConfig(source=source)
    if not isinstance(raw, dict):
        raise ValueError("expected a mapping")
    section = raw.get("baseline") or {}
    if not isinstance(section, dict):
        raise ValueError("baseline: expected a mapping")
    return BaselineConfig(
        sensitive_namespaces=_strs(
            section.get("sensitiveNamespaces"), "baseline.sensitiveNamespaces"
        ),
        monitoring_namespaces=_strs(
            section.get("monitoringNamespaces", list(DEFAULT_MONITORING_NAMESPACES)),
            "baseline.monitoringNamespaces",
        ),
        metrics_ports=_ports(section.get("metricsPorts"), "baseline.metricsPorts"),
        approved_namespaces=_strs(section.get("approvedNamespaces"), "baseline.approvedNamespaces"),
        source=source,
    )
