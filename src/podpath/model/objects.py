"""What every namespaced object of the model shares (its ``key`` and its ``ref``), and the
objects of kinds podpath skips, kept by identity."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from podpath.model.core import EMPTY_LABELS, NO_SOURCE, Labels, ObjectRef, SourceRef


class Namespaced:
    """Mixin for the frozen dataclasses of namespaced kinds, which declare the ``namespace``
    and ``name`` fields and set ``KIND``: ``key`` is ``namespace/name`` (the index key of
    :class:`podpath.cluster.Cluster`), ``ref`` the object's :class:`ObjectRef`."""

    __slots__ = ()
    KIND: ClassVar[str]
    namespace: str
    name: str

    @property
    def key(self) -> str:
        return f"{self.namespace}/{self.name}"

    @property
    def ref(self) -> ObjectRef:
        return ObjectRef(self.KIND, self.namespace, self.name)


SKIPPED_KIND = "(skipped)"
"""The key of :class:`SkippedObject` in ``Inventory.objects``."""


@dataclass(frozen=True, slots=True)
class SkippedObject:
    """A document of a kind podpath does not model, kept by identity only: what later layers
    need to say what the input cannot decide (e.g. pods an operator creates from a
    ``Prometheus`` object). ``namespace`` is as given ("" when the document names none)."""

    api_version: str
    kind: str
    namespace: str
    name: str
    labels: Labels = EMPTY_LABELS
    source: SourceRef = NO_SOURCE

    @property
    def group(self) -> str:
        """The API group of ``apiVersion`` ("" for the core group, ``v1``)."""
        return self.api_version.rpartition("/")[0]

    def __str__(self) -> str:
        return f"{self.kind}/{self.namespace + '/' if self.namespace else ''}{self.name}"
