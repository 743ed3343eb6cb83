"""What every namespaced object of the model shares: its ``key`` and its ``ref``."""

from __future__ import annotations

from typing import ClassVar

from podpath.model.core import ObjectRef


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
