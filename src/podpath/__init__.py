"""podpath: a Kubernetes cluster's network, modelled exactly as Kubernetes defines it.

The library API: load a cluster (:func:`load_cluster`), then ask the engines and analyses.

The names below are loaded on first use (module ``__getattr__``, PEP 562), so that
``import podpath`` -- and the command line, which imports it -- stays fast: the parser, the
model and numpy load only when a cluster is loaded.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from podpath.api import load_cluster
    from podpath.cluster import Cluster, Settings, resolve
    from podpath.errors import ClusterAccessError, InputError, PodpathError, UnsupportedError

__version__ = "0.1.0"

_EXPORTS = {
    "Cluster": "podpath.cluster",
    "ClusterAccessError": "podpath.errors",
    "InputError": "podpath.errors",
    "PodpathError": "podpath.errors",
    "Settings": "podpath.cluster",
    "UnsupportedError": "podpath.errors",
    "load_cluster": "podpath.api",
    "resolve": "podpath.cluster",
}

__all__ = [
    "__version__",
    "Cluster",
    "ClusterAccessError",
    "InputError",
    "PodpathError",
    "Settings",
    "UnsupportedError",
    "load_cluster",
    "resolve",
]


def __getattr__(name: str) -> Any:
    """The public API, imported from its module on first access."""
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'podpath' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value  # later accesses skip this function
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *_EXPORTS])
