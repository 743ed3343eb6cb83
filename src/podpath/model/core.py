"""Core model: labels, selectors, namespaces, nodes, pods, workloads.

Small immutable values, built once by :mod:`podpath.normalize` with every API default
applied. Nothing here does I/O.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import TypeVar, overload

_T = TypeVar("_T")


class Protocol(enum.Enum):
    """Transport protocols a port can carry (core/v1 ``Protocol``)."""

    TCP = "TCP"
    UDP = "UDP"
    SCTP = "SCTP"

    def __str__(self) -> str:
        return self.value


class Labels(Mapping[str, str]):
    """An immutable, hashable, sorted label (or annotation) map."""

    __slots__ = ("_items", "_map", "_hash")

    def __init__(self, items: Mapping[str, str] | Iterable[tuple[str, str]] = ()) -> None:
        if type(items) is dict:  # the usual case, without the Mapping ABC check
            pairs = items
        else:
            pairs = dict(items.items() if isinstance(items, Mapping) else items)
        self._items: tuple[tuple[str, str], ...] = tuple(sorted(pairs.items()))
        self._map: dict[str, str] = dict(self._items)
        self._hash = hash(self._items)

    def __getitem__(self, key: str) -> str:
        return self._map[key]

    @overload
    def get(self, key: str, /) -> str | None: ...

    @overload
    def get(self, key: str, default: str | _T, /) -> str | _T: ...

    def get(self, key: str, default: object = None, /) -> object:
        """``Mapping.get`` straight from the dict (selector matching calls it per label)."""
        return self._map.get(key, default)

    def __contains__(self, key: object) -> bool:
        return key in self._map

    def __iter__(self) -> Iterator[str]:
        return iter(self._map)

    def __len__(self) -> int:
        return len(self._items)

    def __hash__(self) -> int:
        return self._hash

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Labels):
            return self._items == other._items
        if isinstance(other, Mapping):
            return self._map == dict(other)
        return NotImplemented

    def __repr__(self) -> str:
        return f"Labels({self._map!r})"

    def __str__(self) -> str:
        return ",".join(f"{k}={v}" for k, v in self._items)

    @property
    def pairs(self) -> tuple[tuple[str, str], ...]:
        return self._items


EMPTY_LABELS = Labels()


class SelectorOperator(enum.Enum):
    """``LabelSelectorRequirement.operator`` (meta/v1)."""

    IN = "In"
    NOT_IN = "NotIn"
    EXISTS = "Exists"
    DOES_NOT_EXIST = "DoesNotExist"


@dataclass(frozen=True, slots=True)
class SelectorRequirement:
    key: str
    operator: SelectorOperator
    values: tuple[str, ...] = ()

    def __str__(self) -> str:
        if self.operator is SelectorOperator.EXISTS:
            return self.key
        if self.operator is SelectorOperator.DOES_NOT_EXIST:
            return f"!{self.key}"
        op = "in" if self.operator is SelectorOperator.IN else "notin"
        return f"{self.key} {op} ({','.join(self.values)})"


@dataclass(frozen=True, slots=True)
class LabelSelector:
    """A meta/v1 ``LabelSelector``: matchLabels AND matchExpressions.

    An empty selector (no labels, no expressions) selects everything; a nil selector is
    represented by ``None`` where the API distinguishes the two.
    """

    match_labels: Labels = EMPTY_LABELS
    match_expressions: tuple[SelectorRequirement, ...] = ()

    @property
    def is_empty(self) -> bool:
        return not self.match_labels and not self.match_expressions

    def __str__(self) -> str:
        parts = [f"{k}={v}" for k, v in self.match_labels.pairs]
        parts += [str(r) for r in self.match_expressions]
        return ",".join(parts) if parts else "{}"


EVERYTHING = LabelSelector()


@dataclass(frozen=True, slots=True)
class SourceRef:
    """Where an object came from: a file (or ``-``, or ``live``) and its document index."""

    path: str
    doc_index: int = 0
    line: int = 1

    def __str__(self) -> str:
        return f"{self.path}#{self.doc_index}"


NO_SOURCE = SourceRef("<builtin>")


@dataclass(frozen=True, slots=True)
class ObjectRef:
    """A Kubernetes object's identity: ``KIND/NS/NAME`` (``KIND/NAME`` if cluster-scoped)."""

    kind: str
    namespace: str
    name: str

    def __str__(self) -> str:
        if self.namespace:
            return f"{self.kind}/{self.namespace}/{self.name}"
        return f"{self.kind}/{self.name}"


@dataclass(frozen=True, slots=True)
class Namespace:
    name: str
    labels: Labels
    annotations: Labels = EMPTY_LABELS
    declared: bool = True
    source: SourceRef = NO_SOURCE

    @property
    def ref(self) -> ObjectRef:
        return ObjectRef("Namespace", "", self.name)


@dataclass(frozen=True, slots=True)
class Taint:
    """A node taint (``key=value:effect``)."""

    key: str
    effect: str  # NoSchedule | PreferNoSchedule | NoExecute
    value: str = ""


@dataclass(frozen=True, slots=True)
class Toleration:
    """A pod toleration; ``operator`` Equal (default) or Exists, ``effect`` empty = all."""

    key: str = ""
    operator: str = "Equal"
    value: str = ""
    effect: str = ""


@dataclass(frozen=True, slots=True)
class Node:
    name: str
    internal_ips: tuple[str, ...]
    pod_cidrs: tuple[str, ...] = ()
    labels: Labels = EMPTY_LABELS
    external_ips: tuple[str, ...] = ()
    taints: tuple[Taint, ...] = ()
    declared: bool = True
    source: SourceRef = NO_SOURCE

    @property
    def ref(self) -> ObjectRef:
        return ObjectRef("Node", "", self.name)


@dataclass(frozen=True, slots=True)
class ContainerPort:
    container_port: int
    protocol: Protocol = Protocol.TCP
    name: str | None = None
    host_port: int | None = None


@dataclass(frozen=True, slots=True)
class Probe:
    """A kubelet probe that reaches the pod over the network (httpGet, tcpSocket, grpc)."""

    kind: str  # "readiness" | "liveness" | "startup"
    port: int | str
    handler: str  # "httpGet" | "tcpSocket" | "grpc"


@dataclass(frozen=True, slots=True)
class Container:
    name: str
    ports: tuple[ContainerPort, ...] = ()
    probes: tuple[Probe, ...] = ()
    image: str = ""


@dataclass(frozen=True, slots=True)
class WorkloadRef:
    """The controller that owns a pod, folded to the top workload (Deployment, not ReplicaSet)."""

    kind: str
    namespace: str
    name: str

    def __str__(self) -> str:
        return f"{self.namespace}/{self.kind}/{self.name}"


@dataclass(frozen=True, slots=True)
class DNSConfig:
    """``PodDNSConfig``: extra nameservers, searches and options (``ndots`` kept apart)."""

    nameservers: tuple[str, ...] = ()
    searches: tuple[str, ...] = ()
    options: tuple[tuple[str, str | None], ...] = ()


class DNSPolicy(enum.Enum):
    """``Pod.spec.dnsPolicy`` (default ClusterFirst)."""

    CLUSTER_FIRST = "ClusterFirst"
    CLUSTER_FIRST_WITH_HOST_NET = "ClusterFirstWithHostNet"
    DEFAULT = "Default"
    NONE = "None"


@dataclass(frozen=True, slots=True)
class Pod:
    """A Pod. ``ips`` and ``node_name`` are filled by the resolved cluster (IPAM, placement).

    ``ready`` follows the pod's Ready condition; ``ready_assumed`` is set when the pod has no
    status at all (manifests), in which case it counts as ready.
    """

    namespace: str
    name: str
    labels: Labels = EMPTY_LABELS
    annotations: Labels = EMPTY_LABELS
    containers: tuple[Container, ...] = ()
    node_name: str | None = None
    ips: tuple[str, ...] = ()
    host_network: bool = False
    phase: str = "Running"
    ready: bool = True
    ready_assumed: bool = True
    terminating: bool = False
    hostname: str | None = None
    subdomain: str | None = None
    dns_policy: DNSPolicy = DNSPolicy.CLUSTER_FIRST
    dns_config: DNSConfig | None = None
    owner: WorkloadRef | None = None
    service_account: str = "default"
    node_selector: Labels = EMPTY_LABELS
    tolerations: tuple[Toleration, ...] = ()
    ip_origin: str = "status"  # "status" | "ipam" | "node" (host network)
    source: SourceRef = NO_SOURCE

    @property
    def key(self) -> str:
        return f"{self.namespace}/{self.name}"

    @property
    def ref(self) -> ObjectRef:
        return ObjectRef("Pod", self.namespace, self.name)

    @property
    def ports(self) -> tuple[ContainerPort, ...]:
        return tuple(p for c in self.containers for p in c.ports)

    def find_named_port(self, name: str, protocol: Protocol) -> int | None:
        """The container port called ``name`` with ``protocol`` (``podutil.FindPort``)."""
        for container in self.containers:
            for port in container.ports:
                if port.name == name and port.protocol is protocol:
                    return port.container_port
        return None

    @property
    def has_ip(self) -> bool:
        return bool(self.ips)

    @property
    def workload_key(self) -> str:
        return str(self.owner) if self.owner else f"{self.namespace}/Pod/{self.name}"


@dataclass(frozen=True, slots=True)
class Note:
    """A recoverable problem or an assumption, collected on results (never raised)."""

    severity: str  # "info" | "warning" | "error"
    code: str
    message: str
    object: str = ""
    source: SourceRef | None = field(default=None, compare=False)

    def __str__(self) -> str:
        where = f"{self.object}: " if self.object else ""
        return f"{self.severity}: {where}{self.message}"
