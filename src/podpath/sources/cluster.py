"""Live clusters, read-only: list the kinds podpath models through the official client.

    >>> from podpath.sources.cluster import read_live
    >>> docs = read_live(kubeconfig="~/.kube/config", context="kind-dev")

A :class:`ClusterReader` lists one resource and returns raw dicts shaped as
``kubectl get -o yaml`` writes them (``apiVersion`` and ``kind`` set on every item, which the
API server leaves out of the items of built-in list responses). :class:`KubeClientReader` is the
implementation on the official ``kubernetes`` client (imported lazily, here only); it pages with
``limit``/``continue`` and never writes or watches: every request is a GET (list, plus the
``/apis`` discovery document). :class:`DocsReader` serves the same lists from documents already
read (a snapshot, or tests).

Kinds of a CRD that is not installed (HTTP 404) are skipped with an ``info`` note; kinds the
credentials may not list (HTTP 403) with a ``warning`` note; everything else that stops the read
-- an unreadable kubeconfig, an unknown context, a refused connection, rejected credentials, a
built-in kind not served, a redirect, a malformed or looping list, the ``--timeout`` deadline --
raises :class:`~podpath.errors.ClusterAccessError` (one line, exit status 2; the meaning of each
answer: :mod:`podpath.sources.api_errors`). Only ``kubernetes.io/tls`` Secrets are kept, checked
here (:func:`~podpath.sources.snapshot.kept_secret`).

API conventions followed: list chunking with ``limit`` and ``continue``, restarting the list when
the continue token has expired (410 Gone):
https://kubernetes.io/docs/reference/using-api/api-concepts/#retrieving-large-results-sets-in-chunks
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any, Protocol

from podpath.errors import ClusterAccessError
from podpath.model.core import Note, SourceRef
from podpath.sources.api_errors import (
    LIVE_TIMEOUT,
    MSG_BUILTIN_MISSING,
    MSG_CONNECT,
    MSG_CONTINUE_REPEATED,
    MSG_DEADLINE,
    ListExpired,
    ResourceForbidden,
    ResourceNotFound,
    api_error,
    connect_problem,
    list_items,
)
from podpath.sources.kubeconfig import api_client_from
from podpath.sources.manifests import RawDoc
from podpath.sources.snapshot import MSG_SECRETS_DROPPED, TLS_SECRET_TYPE, tls_secrets_only

PAGE_LIMIT = 500
MAX_PAGES = 20_000  # 10 million objects per resource: a bound, not a expectation
REQUEST_TIMEOUT = (10.0, 120.0)  # (connect, read) seconds, per socket operation
BODY_CHUNK = 1 << 16
BUILTIN_GROUPS = ("", "apps", "batch", "discovery.k8s.io", "networking.k8s.io")

MSG_NOT_INSTALLED = "not served by this cluster (CRD not installed), skipped: {resources}"
MSG_FORBIDDEN = "no permission to list {resource} (HTTP 403): skipped, the model lacks them"

Progress = Callable[[str], None]


@dataclass(frozen=True, slots=True)
class Resource:
    """One listable resource: API group ('' = core), the versions to try in order, plural."""

    group: str
    versions: tuple[str, ...]
    plural: str
    kind: str
    namespaced: bool = True
    field_selector: str | None = None

    @property
    def name(self) -> str:
        """``plural.group`` as RBAC names it: ``pods``, ``ingresses.networking.k8s.io``."""
        return f"{self.plural}.{self.group}" if self.group else self.plural

    def api_version(self, version: str) -> str:
        return f"{self.group}/{version}" if self.group else version

    @property
    def builtin(self) -> bool:
        """A kind of Kubernetes itself (every supported version serves it), not of a CRD."""
        return self.group in BUILTIN_GROUPS


_GW = "gateway.networking.k8s.io"
_ANP = "policy.networking.k8s.io"

RESOURCES: tuple[Resource, ...] = (
    Resource("", ("v1",), "namespaces", "Namespace", namespaced=False),
    Resource("", ("v1",), "nodes", "Node", namespaced=False),
    Resource("", ("v1",), "pods", "Pod"),
    Resource("", ("v1",), "services", "Service"),
    Resource("", ("v1",), "endpoints", "Endpoints"),
    Resource("", ("v1",), "replicationcontrollers", "ReplicationController"),
    Resource("", ("v1",), "secrets", "Secret", field_selector=f"type={TLS_SECRET_TYPE}"),
    Resource("", ("v1",), "configmaps", "ConfigMap"),
    Resource("discovery.k8s.io", ("v1",), "endpointslices", "EndpointSlice"),
    Resource("networking.k8s.io", ("v1",), "networkpolicies", "NetworkPolicy"),
    Resource("networking.k8s.io", ("v1",), "ingresses", "Ingress"),
    Resource("networking.k8s.io", ("v1",), "ingressclasses", "IngressClass", namespaced=False),
    Resource("networking.k8s.io", ("v1",), "servicecidrs", "ServiceCIDR", namespaced=False),
    Resource("apps", ("v1",), "deployments", "Deployment"),
    Resource("apps", ("v1",), "statefulsets", "StatefulSet"),
    Resource("apps", ("v1",), "daemonsets", "DaemonSet"),
    Resource("apps", ("v1",), "replicasets", "ReplicaSet"),
    Resource("batch", ("v1",), "jobs", "Job"),
    Resource("batch", ("v1",), "cronjobs", "CronJob"),
    Resource(_GW, ("v1", "v1beta1"), "gatewayclasses", "GatewayClass", namespaced=False),
    Resource(_GW, ("v1", "v1beta1"), "gateways", "Gateway"),
    Resource(_GW, ("v1", "v1beta1"), "httproutes", "HTTPRoute"),
    Resource(_GW, ("v1", "v1alpha2"), "grpcroutes", "GRPCRoute"),
    Resource(_GW, ("v1", "v1alpha3", "v1alpha2"), "tlsroutes", "TLSRoute"),
    Resource(_GW, ("v1", "v1alpha2"), "tcproutes", "TCPRoute"),
    Resource(_GW, ("v1", "v1alpha2"), "udproutes", "UDPRoute"),
    Resource(_GW, ("v1",), "listenersets", "ListenerSet"),
    Resource(_GW, ("v1", "v1alpha3"), "backendtlspolicies", "BackendTLSPolicy"),
    Resource(_GW, ("v1", "v1beta1", "v1alpha2"), "referencegrants", "ReferenceGrant"),
    Resource(_ANP, ("v1alpha1",), "adminnetworkpolicies", "AdminNetworkPolicy", namespaced=False),
    Resource(
        _ANP,
        ("v1alpha1",),
        "baselineadminnetworkpolicies",
        "BaselineAdminNetworkPolicy",
        namespaced=False,
    ),
    Resource(
        _ANP, ("v1alpha2",), "clusternetworkpolicies", "ClusterNetworkPolicy", namespaced=False
    ),
)


class ClusterReader(Protocol):
    """Lists one resource of a cluster as raw dicts (``apiVersion``/``kind`` set on each).

    Raises :class:`ResourceNotFound`, :class:`ResourceForbidden`, or
    :class:`~podpath.errors.ClusterAccessError` for anything that stops the whole read.
    """

    def list_resource(self, resource: Resource) -> list[dict[str, Any]]: ...


def _resource(plural: str, group: str = "") -> Resource:
    return next(r for r in RESOURCES if r.plural == plural and r.group == group)


class NamedLists:
    """The per-kind list methods (STYLE.md 8), on top of ``list_resource``."""

    def list_resource(self, resource: Resource) -> list[dict[str, Any]]:
        raise NotImplementedError

    def list_namespaces(self) -> list[dict[str, Any]]:
        return self.list_resource(_resource("namespaces"))

    def list_pods(self) -> list[dict[str, Any]]:
        return self.list_resource(_resource("pods"))

    def list_services(self) -> list[dict[str, Any]]:
        return self.list_resource(_resource("services"))

    def list_endpointslices(self) -> list[dict[str, Any]]:
        return self.list_resource(_resource("endpointslices", "discovery.k8s.io"))

    def list_network_policies(self) -> list[dict[str, Any]]:
        return self.list_resource(_resource("networkpolicies", "networking.k8s.io"))


@dataclass(frozen=True, slots=True)
class LiveRead:
    """What a read of the cluster gave: the documents and the notes about what was skipped."""

    docs: tuple[RawDoc, ...]
    notes: tuple[Note, ...] = ()
    context: str = ""


def typed_item(item: dict[str, Any], resource: Resource, version: str) -> dict[str, Any]:
    """An item of a list response with ``apiVersion`` and ``kind`` first, as ``kubectl get``
    prints it (the API server omits them from the items of built-in lists)."""
    rest = {k: v for k, v in item.items() if k not in ("apiVersion", "kind")}
    return {"apiVersion": resource.api_version(version), "kind": resource.kind, **rest}


def read_cluster(
    reader: ClusterReader,
    resources: Sequence[Resource] = RESOURCES,
    *,
    on_progress: Progress | None = None,
) -> LiveRead:
    """List every resource; skip (with a note) those not installed or not permitted."""
    docs: list[RawDoc] = []
    notes: list[Note] = []
    missing: dict[str, list[str]] = {}
    for resource in resources:
        if on_progress is not None:
            on_progress(f"listing {resource.name} ({len(docs)} objects read)")
        try:
            items = reader.list_resource(resource)
        except ResourceNotFound:
            missing.setdefault(resource.group or "core", []).append(resource.plural)
            continue
        except ResourceForbidden:
            message = MSG_FORBIDDEN.format(resource=resource.name)
            notes.append(Note("warning", "live-forbidden", message))
            continue
        if resource.kind == "Secret":  # checked here, whatever the field selector did
            items, dropped = tls_secrets_only(items)
            if dropped:
                notes.append(
                    Note("info", "live-secrets-dropped", MSG_SECRETS_DROPPED.format(n=dropped))
                )
        path = f"live:{resource.name}"
        docs.extend(RawDoc(item, SourceRef(path, i)) for i, item in enumerate(items))
    for group, plurals in missing.items():
        message = MSG_NOT_INSTALLED.format(resources=", ".join(plurals))
        notes.append(Note("info", "live-not-installed", message, group))
    return LiveRead(tuple(docs), tuple(notes))


class DocsReader(NamedLists):
    """A :class:`ClusterReader` over documents already read (a snapshot, or tests): serves
    each kind's documents; kinds absent from ``installed`` groups are 'not installed'."""

    def __init__(self, docs: Iterable[RawDoc], installed: Iterable[str] | None = None) -> None:
        self.docs = list(docs)
        self.installed = None if installed is None else set(installed)

    def list_resource(self, resource: Resource) -> list[dict[str, Any]]:
        if self.installed is not None and resource.group not in self.installed:
            raise ResourceNotFound(resource.name)
        return [d.data for d in self.docs if d.data.get("kind") == resource.kind]


class KubeClientReader(NamedLists):
    """A :class:`ClusterReader` on the official ``kubernetes`` client (GET requests only)."""

    def __init__(
        self, api_client: Any, *, page_limit: int = PAGE_LIMIT, timeout: float | None = None
    ) -> None:
        from kubernetes import client

        self._client = client
        self.api_client = api_client
        self._core = client.CoreV1Api(api_client)
        self._custom = client.CustomObjectsApi(api_client)
        self.page_limit = page_limit
        self.host = str(getattr(api_client.configuration, "host", "") or "")
        self._groups: dict[str, set[str]] | None = None
        self.timeout = LIVE_TIMEOUT if timeout is None else timeout
        self.deadline = time.monotonic() + self.timeout
        _no_redirects(api_client)

    def _request_timeout(self) -> tuple[float, float]:
        """The per-socket timeouts, cut to what is left of the whole read's deadline."""
        left = self.deadline - time.monotonic()
        if left <= 0:
            raise ClusterAccessError(MSG_DEADLINE.format(seconds=self.timeout))
        return (min(REQUEST_TIMEOUT[0], left), min(REQUEST_TIMEOUT[1], left))

    # -- discovery ---------------------------------------------------------------------------
    def served_versions(self, group: str) -> set[str] | None:
        """The versions ``/apis`` lists for a group; None when discovery is unavailable."""
        if group == "":
            return None
        if self._groups is None:
            self._groups = {}
            try:
                body = self._get_json(
                    lambda: self._client.ApisApi(self.api_client).get_api_versions(
                        _preload_content=False, _request_timeout=self._request_timeout()
                    ),
                    "/apis",
                )
            except (ResourceForbidden, ResourceNotFound):
                return None
            for g in body.get("groups") or []:
                versions = {v.get("version") for v in g.get("versions") or []}
                self._groups[str(g.get("name"))] = {str(v) for v in versions if v}
        return self._groups.get(group, set())

    # -- listing -----------------------------------------------------------------------------
    def list_resource(self, resource: Resource) -> list[dict[str, Any]]:
        served = self.served_versions(resource.group)
        versions = [v for v in resource.versions if served is None or v in served]
        for version in versions:
            try:
                return self._list_version(resource, version)
            except ResourceNotFound:
                continue
        if resource.builtin:
            raise ClusterAccessError(
                MSG_BUILTIN_MISSING.format(
                    resource=resource.name,
                    versions=", ".join(resource.api_version(v) for v in resource.versions),
                    host=self.host,
                ),
                resource=resource.name,
                status=404,
            )
        raise ResourceNotFound(resource.name)

    def _list_version(self, resource: Resource, version: str) -> list[dict[str, Any]]:
        for _attempt in range(2):  # a second time only when the continue token expired
            items: list[dict[str, Any]] = []
            token: str | None = None
            seen: set[str] = set()
            expired = False
            for _page in range(MAX_PAGES):
                try:
                    call = partial(self._call_list, resource, version, token)
                    body = self._get_json(call, resource.name)
                except ListExpired:
                    expired = True
                    break
                items.extend(
                    typed_item(i, resource, version) for i in list_items(body, resource.name)
                )
                meta = body.get("metadata")
                token = (meta.get("continue") if isinstance(meta, dict) else None) or None
                if token is None:
                    return items
                if not isinstance(token, str) or token in seen:
                    raise ClusterAccessError(MSG_CONTINUE_REPEATED, resource=resource.name)
                seen.add(token)
            if not expired:
                raise ClusterAccessError(
                    f"more than {MAX_PAGES} pages of {self.page_limit}", resource=resource.name
                )
        raise ClusterAccessError("the list kept expiring while paging (HTTP 410)", status=410)

    def _call_list(self, resource: Resource, version: str, token: str | None) -> Any:
        kwargs: dict[str, Any] = {
            "limit": self.page_limit,
            "_preload_content": False,
            "_request_timeout": self._request_timeout(),
        }
        if token:
            kwargs["_continue"] = token
        if resource.field_selector:
            kwargs["field_selector"] = resource.field_selector
        if resource.group == "":
            return getattr(self._core, _CORE_LIST_METHODS[resource.plural])(**kwargs)
        return self._custom.list_cluster_custom_object(
            resource.group, version, resource.plural, **kwargs
        )

    def _get_json(self, call: Callable[[], Any], what: str) -> dict[str, Any]:
        """Run one GET and decode its JSON body, mapping failures to podpath's errors."""
        from kubernetes.client.exceptions import ApiException
        from urllib3.exceptions import HTTPError

        try:
            response = call()
            raw = self._read_body(response)
        except ApiException as exc:
            raise api_error(exc, what, self.host) from None
        except (HTTPError, OSError) as exc:
            self._request_timeout()  # a socket timeout at the deadline: say the deadline
            problem = connect_problem(exc)
            raise ClusterAccessError(MSG_CONNECT.format(host=self.host, problem=problem)) from None
        try:
            body = json.loads(raw)
        except (ValueError, TypeError):
            raise ClusterAccessError("the response is not JSON", resource=what) from None
        if not isinstance(body, dict):
            raise ClusterAccessError("the response is not a JSON object", resource=what)
        return body

    def _read_body(self, response: Any) -> bytes:
        """The response body, read in chunks against the deadline (a server that trickles a
        body byte by byte stays within the per-socket timeout, not within the deadline)."""
        stream = getattr(response, "stream", None)
        if stream is None:
            return bytes(response.data)
        chunks = []
        for chunk in stream(BODY_CHUNK):
            chunks.append(chunk)
            self._request_timeout()  # raises once the deadline has passed
        return b"".join(chunks)


def _no_redirects(api_client: Any) -> None:
    """Have the client return a redirect, not follow it (maybe to another host), so that
    :func:`~podpath.sources.api_errors.api_error` names it, and retry a failed request once
    (urllib3's ``redirect`` and ``retries``: the official client has no switch for them)."""
    from urllib3.util.retry import Retry

    pool = getattr(getattr(api_client, "rest_client", None), "pool_manager", None)
    if pool is not None and hasattr(pool, "urlopen"):
        once = Retry(total=1, redirect=0, raise_on_redirect=False)
        pool.urlopen = partial(pool.urlopen, redirect=False, retries=once)


_CORE_LIST_METHODS = {
    "namespaces": "list_namespace",
    "nodes": "list_node",
    "pods": "list_pod_for_all_namespaces",
    "services": "list_service_for_all_namespaces",
    "endpoints": "list_endpoints_for_all_namespaces",
    "replicationcontrollers": "list_replication_controller_for_all_namespaces",
    "secrets": "list_secret_for_all_namespaces",
    "configmaps": "list_config_map_for_all_namespaces",
}


def read_live_cluster(
    kubeconfig: str | None = None,
    context: str | None = None,
    *,
    on_progress: Progress | None = None,
    resources: Sequence[Resource] = RESOURCES,
    timeout: float | None = None,
) -> LiveRead:
    """Read a live cluster (documents and notes) through the official client, within
    ``timeout`` seconds in all (default :data:`LIVE_TIMEOUT`)."""
    try:
        import kubernetes  # noqa: F401
    except ImportError:
        raise ClusterAccessError(
            "live mode needs the kubernetes client: pip install 'podpath[live]'"
        ) from None
    api_client, chosen = api_client_from(kubeconfig, context)
    try:
        reader = KubeClientReader(api_client, timeout=timeout)
        read = read_cluster(reader, resources, on_progress=on_progress)
    finally:
        api_client.close()
    return LiveRead(read.docs, read.notes, chosen)


def read_live(
    kubeconfig: str | None = None,
    context: str | None = None,
    *,
    on_progress: Progress | None = None,
    notes: list[Note] | None = None,
    timeout: float | None = None,
) -> list[RawDoc]:
    """The raw documents of a live cluster; notes about skipped kinds go to ``notes``."""
    read = read_live_cluster(kubeconfig, context, on_progress=on_progress, timeout=timeout)
    if notes is not None:
        notes.extend(read.notes)
    return list(read.docs)
