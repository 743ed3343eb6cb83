"""Normalizers of the kinds that later layers own, keyed by ``kind``.

Each layer (routing, admin policies, TLS secrets) adds its kinds here; a normalizer takes the
raw object and its source and returns that layer's model object (see
``Inventory.of_kind``). Core kinds are handled in :mod:`podpath.normalize` itself.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from podpath.model.core import SourceRef

Normalizer = Callable[[dict[str, Any], SourceRef], Any]

LAYER_NORMALIZERS: dict[str, Normalizer] = {}
