"""podpath: a Kubernetes cluster's network, modelled exactly as Kubernetes defines it.

The library API: load a cluster (:func:`load_cluster`), then ask the engines and analyses.
"""

from podpath.api import load_cluster
from podpath.cluster import Cluster, resolve
from podpath.cluster.settings import Settings
from podpath.errors import ClusterAccessError, InputError, PodpathError, UnsupportedError

__all__ = [
    "Cluster",
    "ClusterAccessError",
    "InputError",
    "PodpathError",
    "Settings",
    "UnsupportedError",
    "load_cluster",
    "resolve",
]
