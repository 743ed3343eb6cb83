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

Kinds that are not installed (a CRD missing: HTTP 404) are skipped with an ``info`` note; kinds
the credentials may not list (HTTP 403) are skipped with a ``warning`` note; an unreadable
kubeconfig, an unknown context, a refused connection or rejected credentials (401) raise
:class:`~podpath.errors.ClusterAccessError` (one line, exit status 2).

API conventions followed: list chunking with ``limit`` and ``continue``, restarting the list when
the continue token has expired (410 Gone):
https://kubernetes.io/docs/reference/using-api/api-concepts/#retrieving-large-results-sets-in-chunks
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any, Protocol

from podpath.errors import ClusterAccessError
from podpath.model.core import Note, SourceRef
from podpath.sources.kubeconfig import api_client_from
from podpath.sources.manifests import RawDoc
from podpath.sources.snapshot import TLS_SECRET_TYPE, kept_secret

PAGE_LIMIT = 500
MAX_PAGES = 20_000  # 10 million objects per resource: a bound, not a expectation
REQUEST_TIMEOUT = (10.0, 120.0)  # (connect, read) seconds

MSG_NOT_INSTALLED = "not served by this cluster (CRD not installed), skipped: {resources}"
MSG_FORBIDDEN = "no permission to list {resource} (HTTP 403): skipped, the model lacks them"
MSG_UNAUTHORIZED = "the credentials were rejected (Unauthorized)"
MSG_CONNECT = "cannot connect to {host}: {problem}"
MSG_SECRETS_DROPPED = (
    "dropped {n} Secret(s) not of type kubernetes.io/tls (the server ignored the field "
    "selector): podpath keeps only TLS certificates"
)

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
    Resource("discovery.k8s.io", ("v1",), "endpointslices", "EndpointSlice"),
    Resource("networking.k8s.io", ("v1",), "networkpolicies", "NetworkPolicy"),
    Resource("networking.k8s.io", ("v1",), "ingresses", "Ingress"),
    Resource("networking.k8s.io", ("v1",), "ingressclasses", "IngressClass", namespaced=False),
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
    Resource(_GW, ("v1alpha2",), "tcproutes", "TCPRoute"),
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


class ResourceNotFound(Exception):
    """The resource is not served (HTTP 404 in every version tried)."""


class ResourceForbidden(Exception):
    """The credentials may not list the resource (HTTP 403)."""


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
        if resource.kind == "Secret":
            items = _tls_secrets_only(items, notes)
        path = f"live:{resource.name}"
        docs.extend(RawDoc(item, SourceRef(path, i)) for i, item in enumerate(items))
    for group, plurals in missing.items():
        message = MSG_NOT_INSTALLED.format(resources=", ".join(plurals))
        notes.append(Note("info", "live-not-installed", message, group))
    return LiveRead(tuple(docs), tuple(notes))


def _tls_secrets_only(items: list[dict[str, Any]], notes: list[Note]) -> list[dict[str, Any]]:
    """Secrets as podpath keeps them (:func:`~podpath.sources.snapshot.kept_secret`): checked
    here, not left to the server's field selector; a server that ignored it is named."""
    kept = [k for k in (kept_secret(i) for i in items) if k is not None]
    if len(kept) < len(items):
        dropped = len(items) - len(kept)
        notes.append(Note("info", "live-secrets-dropped", MSG_SECRETS_DROPPED.format(n=dropped)))
    return kept


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

    def __init__(self, api_client: Any, *, page_limit: int = PAGE_LIMIT) -> None:
        from kubernetes import client

        self._client = client
        self.api_client = api_client
        self._core = client.CoreV1Api(api_client)
        self._custom = client.CustomObjectsApi(api_client)
        self.page_limit = page_limit
        self.host = str(getattr(api_client.configuration, "host", "") or "")
        self._groups: dict[str, set[str]] | None = None

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
                        _preload_content=False, _request_timeout=REQUEST_TIMEOUT
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
        raise ResourceNotFound(resource.name)

    def _list_version(self, resource: Resource, version: str) -> list[dict[str, Any]]:
        for _attempt in range(2):  # a second time only when the continue token expired
            items: list[dict[str, Any]] = []
            token: str | None = None
            expired = False
            for _page in range(MAX_PAGES):
                try:
                    call = partial(self._call_list, resource, version, token)
                    body = self._get_json(call, resource.name)
                except _Expired:
                    expired = True
                    break
                items.extend(
                    typed_item(i, resource, version)
                    for i in body.get("items") or []
                    if isinstance(i, dict)
                )
                token = (body.get("metadata") or {}).get("continue") or None
                if token is None:
                    return items
            if not expired:
                raise ClusterAccessError(
                    f"more than {MAX_PAGES} pages of {self.page_limit}", resource=resource.name
                )
        raise ClusterAccessError("the list kept expiring while paging (HTTP 410)", status=410)

    def _call_list(self, resource: Resource, version: str, token: str | None) -> Any:
        kwargs: dict[str, Any] = {
            "limit": self.page_limit,
            "_preload_content": False,
            "_request_timeout": REQUEST_TIMEOUT,
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
            raw = response.data
        except ApiException as exc:
            raise _api_error(exc, what) from None
        except (HTTPError, OSError) as exc:
            problem = _connect_problem(exc)
            raise ClusterAccessError(MSG_CONNECT.format(host=self.host, problem=problem)) from None
        try:
            body = json.loads(raw)
        except (ValueError, TypeError):
            raise ClusterAccessError("the response is not JSON", resource=what) from None
        if not isinstance(body, dict):
            raise ClusterAccessError("the response is not a JSON object", resource=what)
        return body


_CORE_LIST_METHODS = {
    "namespaces": "list_namespace",
    "nodes": "list_node",
    "pods": "list_pod_for_all_namespaces",
    "services": "list_service_for_all_namespaces",
    "endpoints": "list_endpoints_for_all_namespaces",
    "replicationcontrollers": "list_replication_controller_for_all_namespaces",
    "secrets": "list_secret_for_all_namespaces",
}


class _Expired(Exception):
    """HTTP 410: the continue token expired; the list restarts."""


def _status_message(body: Any) -> str:
    try:
        status = json.loads(body) if body else {}
    except (ValueError, TypeError):
        return str(body)[:200]
    message = status.get("message") if isinstance(status, dict) else None
    return str(message) if message else ""


def _api_error(exc: Any, what: str) -> Exception:
    code = int(getattr(exc, "status", 0) or 0)
    if code == 404:
        return ResourceNotFound(what)
    if code == 403:
        return ResourceForbidden(what)
    if code == 410:
        return _Expired(what)
    if code == 401:
        return ClusterAccessError(MSG_UNAUTHORIZED, resource=what, status=401)
    message = _status_message(getattr(exc, "body", "")) or str(getattr(exc, "reason", "")) or "?"
    return ClusterAccessError(message.splitlines()[0], resource=what, status=code or None)


def _connect_problem(exc: BaseException) -> str:
    reason = getattr(exc, "reason", None) or exc
    text = str(reason)
    if "Connection refused" in text or "Errno 111" in text:
        return "connection refused"
    return text.splitlines()[0][:200] if text else type(exc).__name__


def read_live_cluster(
    kubeconfig: str | None = None,
    context: str | None = None,
    *,
    on_progress: Progress | None = None,
    resources: Sequence[Resource] = RESOURCES,
) -> LiveRead:
    """Read a live cluster (documents and notes) through the official client."""
    try:
        import kubernetes  # noqa: F401
    except ImportError:
        raise ClusterAccessError(
            "live mode needs the kubernetes client: pip install 'podpath[live]'"
        ) from None
    api_client, chosen = api_client_from(kubeconfig, context)
    try:
        read = read_cluster(KubeClientReader(api_client), resources, on_progress=on_progress)
    finally:
        api_client.close()
    return LiveRead(read.docs, read.notes, chosen)


def read_live(
    kubeconfig: str | None = None,
    context: str | None = None,
    *,
    on_progress: Progress | None = None,
    notes: list[Note] | None = None,
) -> list[RawDoc]:
    """The raw documents of a live cluster; notes about skipped kinds go to ``notes``."""
    read = read_live_cluster(kubeconfig, context, on_progress=on_progress)
    if notes is not None:
        notes.extend(read.notes)
    return list(read.docs)
