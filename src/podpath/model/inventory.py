"""The loaded model: every normalized object of a source, before resolution (no IPs yet)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from podpath.model.core import Namespace, Node, Note, Pod
from podpath.model.policy import NetworkPolicy
from podpath.model.services import EndpointSlice, Service


@dataclass(frozen=True)
class Inventory:
    """All objects podpath models, normalized, sorted by identity.

    ``objects`` holds the kinds of later layers (routing, admin policies, secrets), keyed by
    kind, so that each layer owns its model module; ``notes`` holds what loading skipped or
    assumed.
    """

    namespaces: tuple[Namespace, ...] = ()
    nodes: tuple[Node, ...] = ()
    pods: tuple[Pod, ...] = ()
    services: tuple[Service, ...] = ()
    endpoint_slices: tuple[EndpointSlice, ...] = ()
    network_policies: tuple[NetworkPolicy, ...] = ()
    objects: dict[str, tuple[Any, ...]] = field(default_factory=dict)
    notes: tuple[Note, ...] = ()

    def of_kind(self, kind: str) -> tuple[Any, ...]:
        """The normalized objects of a later-layer kind (e.g. ``"Ingress"``), or ``()``."""
        return self.objects.get(kind, ())
