"""A small Kubernetes API server for tests: the list endpoints, over HTTP on 127.0.0.1.

No real kube-apiserver can be installed on these machines, so live mode is tested against this
server, with the official ``kubernetes`` client talking to it over HTTP. It serves what the
client asks of a real one, with real response bodies:

- discovery: ``/api`` (APIVersions), ``/apis`` (APIGroupList), ``/api/v1`` and
  ``/apis/GROUP/VERSION`` (APIResourceList);
- lists: ``/api/v1/PLURAL``, ``/api/v1/namespaces/NS/PLURAL`` and the same under
  ``/apis/GROUP/VERSION`` — ``kind: PodList`` etc., ``metadata.resourceVersion``, paging with
  ``limit`` and ``continue`` (``remainingItemCount``), ``fieldSelector`` on metadata.name,
  metadata.namespace and a Secret's type; items of built-in kinds without ``apiVersion``/``kind``
  (as the real API server encodes them), items of CRDs with them;
- gets of single objects; ``Status`` bodies for 401, 403, 404, 405, 410.

Groups that are not "installed" (CRDs missing) answer 404. Any request that is not a GET is
refused with 405 and recorded in ``violations`` — the fixture fails the test on any (podpath
must never write). So is a watch. The server adds what a real one adds to stored objects
(namespace ``default``, uid, resourceVersion, creationTimestamp, managedFields).
"""

from __future__ import annotations

import base64
import copy
import hashlib
import json
import threading
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import yaml

TOKEN = "podpath-test-token"


@dataclass(frozen=True)
class Kind:
    group: str
    versions: tuple[str, ...]  # served versions, storage version first
    plural: str
    kind: str
    namespaced: bool = True

    @property
    def builtin(self) -> bool:
        return self.group in BUILTIN_GROUPS


BUILTIN_GROUPS = ("", "apps", "batch", "discovery.k8s.io", "networking.k8s.io", "policy")
GATEWAY = "gateway.networking.k8s.io"
POLICY = "policy.networking.k8s.io"

KINDS: tuple[Kind, ...] = (
    Kind("", ("v1",), "namespaces", "Namespace", False),
    Kind("", ("v1",), "nodes", "Node", False),
    Kind("", ("v1",), "pods", "Pod"),
    Kind("", ("v1",), "services", "Service"),
    Kind("", ("v1",), "endpoints", "Endpoints"),
    Kind("", ("v1",), "secrets", "Secret"),
    Kind("", ("v1",), "configmaps", "ConfigMap"),
    Kind("", ("v1",), "serviceaccounts", "ServiceAccount"),
    Kind("", ("v1",), "replicationcontrollers", "ReplicationController"),
    Kind("apps", ("v1",), "deployments", "Deployment"),
    Kind("apps", ("v1",), "statefulsets", "StatefulSet"),
    Kind("apps", ("v1",), "daemonsets", "DaemonSet"),
    Kind("apps", ("v1",), "replicasets", "ReplicaSet"),
    Kind("batch", ("v1",), "jobs", "Job"),
    Kind("batch", ("v1",), "cronjobs", "CronJob"),
    Kind("discovery.k8s.io", ("v1",), "endpointslices", "EndpointSlice"),
    Kind("networking.k8s.io", ("v1",), "networkpolicies", "NetworkPolicy"),
    Kind("networking.k8s.io", ("v1",), "ingresses", "Ingress"),
    Kind("networking.k8s.io", ("v1",), "ingressclasses", "IngressClass", False),
    Kind("networking.k8s.io", ("v1",), "servicecidrs", "ServiceCIDR", False),
    Kind(GATEWAY, ("v1", "v1beta1"), "gatewayclasses", "GatewayClass", False),
    Kind(GATEWAY, ("v1", "v1beta1"), "gateways", "Gateway"),
    Kind(GATEWAY, ("v1", "v1beta1"), "httproutes", "HTTPRoute"),
    Kind(GATEWAY, ("v1",), "grpcroutes", "GRPCRoute"),
    Kind(GATEWAY, ("v1alpha2",), "tlsroutes", "TLSRoute"),
    Kind(GATEWAY, ("v1alpha2",), "tcproutes", "TCPRoute"),
    Kind(GATEWAY, ("v1",), "udproutes", "UDPRoute"),
    Kind(GATEWAY, ("v1",), "listenersets", "ListenerSet"),
    Kind(GATEWAY, ("v1",), "backendtlspolicies", "BackendTLSPolicy"),
    Kind(GATEWAY, ("v1beta1",), "referencegrants", "ReferenceGrant"),
    Kind(POLICY, ("v1alpha1",), "adminnetworkpolicies", "AdminNetworkPolicy", False),
    Kind(
        POLICY, ("v1alpha1",), "baselineadminnetworkpolicies", "BaselineAdminNetworkPolicy", False
    ),
    Kind(POLICY, ("v1alpha2",), "clusternetworkpolicies", "ClusterNetworkPolicy", False),
)
KIND_BY_NAME = {k.kind: k for k in KINDS}


def _status(code: int, reason: str, message: str) -> dict[str, Any]:
    return {
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Failure",
        "message": message,
        "reason": reason,
        "details": {},
        "code": code,
    }


class FakeApiServer:
    """The fake API server's state; ``start()`` serves it on 127.0.0.1 (a random port)."""

    def __init__(
        self,
        objects: Iterable[dict[str, Any]] = (),
        *,
        crd_groups: Iterable[str] | None = None,
        token: str = TOKEN,
        forbidden: Iterable[str] = (),
        ignore_field_selector: bool = False,
    ) -> None:
        self.token = token
        self.ignore_field_selector = ignore_field_selector  # as a careless or hostile server
        # plural -> (status, body, headers): served instead of that resource's list
        self.faults: dict[str, tuple[int, Any, dict[str, str]]] = {}
        self.delay = 0.0  # seconds before each answer (a slow server)
        self.forbidden = set(forbidden)  # plurals or "plural.group"
        self.store: dict[tuple[str, str], list[dict[str, Any]]] = {}
        self.extra_kinds: dict[str, Kind] = {}
        self.resource_version = 1000
        self.requests: list[tuple[str, str, dict[str, list[str]]]] = []
        self.violations: list[str] = []
        self.expire_next_continue = False
        self._lock = threading.Lock()
        for obj in objects:
            self.add(obj)
        seeded = {g for (g, _p) in self.store if g not in BUILTIN_GROUPS}
        self.crd_groups = set(seeded if crd_groups is None else crd_groups)
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- state -------------------------------------------------------------------------------
    def kind_of(self, obj: dict[str, Any]) -> Kind:
        name = str(obj.get("kind", ""))
        if name in KIND_BY_NAME:
            return KIND_BY_NAME[name]
        if name not in self.extra_kinds:
            group, _, version = str(obj.get("apiVersion", "v1")).rpartition("/")
            plural = name.lower() + ("es" if name.lower().endswith("s") else "s")
            self.extra_kinds[name] = Kind(group, (version,), plural, name)
        return self.extra_kinds[name]

    def add(self, obj: dict[str, Any]) -> None:
        """Store an object as the API server would: defaulted namespace and bookkeeping."""
        kind = self.kind_of(obj)
        stored = copy.deepcopy(obj)
        meta = stored.setdefault("metadata", {})
        if kind.namespaced:
            meta.setdefault("namespace", "default")
        self.resource_version += 1
        key = f"{kind.plural}/{meta.get('namespace', '')}/{meta.get('name', '')}"
        meta.setdefault("uid", hashlib.sha256(key.encode()).hexdigest()[:32])
        meta["resourceVersion"] = str(self.resource_version)
        meta.setdefault("creationTimestamp", "2024-05-01T12:00:00Z")
        meta.setdefault(
            "managedFields",
            [
                {
                    "manager": "kubectl",
                    "operation": "Update",
                    "apiVersion": obj.get("apiVersion"),
                    "fieldsType": "FieldsV1",
                    "fieldsV1": {"f:metadata": {}},
                }
            ],
        )
        self.store.setdefault((kind.group, kind.plural), []).append(stored)

    def installed(self, group: str) -> bool:
        return group in BUILTIN_GROUPS or group in self.crd_groups

    def kinds(self) -> list[Kind]:
        return [*KINDS, *self.extra_kinds.values()]

    # -- serving -----------------------------------------------------------------------------
    def start(self) -> FakeApiServer:
        server = self

        class Handler(_Handler):
            api = server

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    @property
    def url(self) -> str:
        assert self._httpd is not None
        host, port = self._httpd.server_address[:2]
        return f"http://{host!s}:{port}"

    def write_kubeconfig(
        self, path: Path, *, context: str = "fake", token: str | None = None
    ) -> Path:
        """A kubeconfig whose context ``context`` points at this server over plain HTTP."""
        config = {
            "apiVersion": "v1",
            "kind": "Config",
            "clusters": [{"name": "fake-cluster", "cluster": {"server": self.url}}],
            "users": [{"name": "fake-user", "user": {"token": token or self.token}}],
            "contexts": [
                {"name": context, "context": {"cluster": "fake-cluster", "user": "fake-user"}}
            ],
            "current-context": context,
        }
        path.write_text(yaml.safe_dump(config, sort_keys=False))
        return path

    def fault_headers(self, target: str) -> dict[str, str]:
        """Extra headers of a fault served at ``target`` (a redirect's Location)."""
        segs = [p for p in urlsplit(target).path.split("/") if p]
        plural = next((p for p in reversed(segs) if p in self.faults), None)
        return self.faults[plural][2] if plural is not None else {}

    def list_paths(self) -> list[str]:
        """The list requests received (paths with their query strings), in order."""
        return [p for (m, p, _q) in self.requests if m == "GET"]

    # -- request handling (runs on the server's threads) -------------------------------------
    def handle(self, method: str, target: str, auth: str | None) -> tuple[int, dict[str, Any]]:
        parts = urlsplit(target)
        query = parse_qs(parts.query)
        with self._lock:
            self.requests.append((method, target, query))
            if method != "GET":
                self.violations.append(f"{method} {target}")
                return 405, _status(405, "MethodNotAllowed", f"{method} is not allowed: read-only")
            if query.get("watch", ["false"])[0] in ("true", "1"):
                self.violations.append(f"watch {target}")
                return 405, _status(405, "MethodNotAllowed", "watch is not expected")
            if auth != f"Bearer {self.token}":
                return 401, _status(401, "Unauthorized", "Unauthorized")
            return self._route([p for p in parts.path.split("/") if p], query)

    def _route(self, segs: list[str], query: dict[str, list[str]]) -> tuple[int, dict[str, Any]]:
        if segs == ["api"]:
            return 200, {
                "kind": "APIVersions",
                "versions": ["v1"],
                "serverAddressByClientCIDRs": [
                    {"clientCIDR": "0.0.0.0/0", "serverAddress": "127.0.0.1:6443"}
                ],
            }
        if segs == ["apis"]:
            return 200, self._group_list()
        if segs[:2] == ["api", "v1"]:
            return self._resource(segs[2:], "", "v1", query)
        if len(segs) >= 3 and segs[0] == "apis":
            group, version = segs[1], segs[2]
            if not self.installed(group) or version not in self._versions(group):
                return 404, _status(
                    404, "NotFound", "the server could not find the requested resource"
                )
            return self._resource(segs[3:], group, version, query)
        return 404, _status(404, "NotFound", "the server could not find the requested resource")

    def _versions(self, group: str) -> list[str]:
        seen: list[str] = []
        for k in self.kinds():
            if k.group == group:
                seen.extend(v for v in k.versions if v not in seen)
        return seen

    def _group_list(self) -> dict[str, Any]:
        groups = sorted({k.group for k in self.kinds() if k.group and self.installed(k.group)})
        return {
            "kind": "APIGroupList",
            "apiVersion": "v1",
            "groups": [
                {
                    "name": g,
                    "versions": [
                        {"groupVersion": f"{g}/{v}", "version": v} for v in self._versions(g)
                    ],
                    "preferredVersion": {
                        "groupVersion": f"{g}/{self._versions(g)[0]}",
                        "version": self._versions(g)[0],
                    },
                }
                for g in groups
            ],
        }

    def _resource_list(self, group: str, version: str) -> dict[str, Any]:
        return {
            "kind": "APIResourceList",
            "apiVersion": "v1",
            "groupVersion": f"{group}/{version}" if group else version,
            "resources": [
                {
                    "name": k.plural,
                    "singularName": k.kind.lower(),
                    "namespaced": k.namespaced,
                    "kind": k.kind,
                    "verbs": ["get", "list", "watch"],
                }
                for k in self.kinds()
                if k.group == group and version in k.versions
            ],
        }

    def _resource(
        self, rest: list[str], group: str, version: str, query: dict[str, list[str]]
    ) -> tuple[int, dict[str, Any]]:
        if not rest:
            return 200, self._resource_list(group, version)
        namespace = None
        if rest[0] == "namespaces" and len(rest) >= 3:
            namespace, rest = rest[1], rest[2:]
        kind = next(
            (
                k
                for k in self.kinds()
                if k.group == group and k.plural == rest[0] and version in k.versions
            ),
            None,
        )
        if kind is None or len(rest) > 2:
            return 404, _status(404, "NotFound", "the server could not find the requested resource")
        if kind.plural in self.faults:
            code, body, _ = self.faults[kind.plural]
            return code, body
        rbac_name = f"{kind.plural}.{group}" if group else kind.plural
        if kind.plural in self.forbidden or rbac_name in self.forbidden:
            scope = f'namespace "{namespace}"' if namespace else "the cluster scope"
            message = (
                f'{rbac_name} is forbidden: User "system:serviceaccount:podpath:reader" '
                f'cannot list resource "{kind.plural}" in API group "{group}" at {scope}'
            )
            return 403, _status(403, "Forbidden", message)
        objects = [
            o
            for o in self.store.get((group, kind.plural), [])
            if namespace is None or o["metadata"].get("namespace") == namespace
        ]
        if len(rest) == 2:
            found = [o for o in objects if o["metadata"].get("name") == rest[1]]
            if not found:
                return 404, _status(404, "NotFound", f'{rbac_name} "{rest[1]}" not found')
            return 200, self._served(found[0], kind, version, with_type=True)
        return self._list(kind, version, objects, query)

    def _served(
        self, obj: dict[str, Any], kind: Kind, version: str, *, with_type: bool
    ) -> dict[str, Any]:
        """The object as served at ``version``: built-in list items carry no apiVersion/kind."""
        body = {k: v for k, v in obj.items() if k not in ("apiVersion", "kind")}
        if with_type or not kind.builtin:
            api_version = f"{kind.group}/{version}" if kind.group else version
            body = {"apiVersion": api_version, "kind": kind.kind, **body}
        return body  # serialized at once, under the lock: no copy needed

    def _list(
        self, kind: Kind, version: str, objects: list[dict[str, Any]], query: dict[str, list[str]]
    ) -> tuple[int, dict[str, Any]]:
        selected = []
        for obj in objects:
            selector = "" if self.ignore_field_selector else query.get("fieldSelector", [""])[0]
            ok = _field_selector_matches(obj, selector)
            if ok is None:
                return 400, _status(400, "BadRequest", "field label not supported")
            if ok:
                selected.append(obj)
        selected.sort(key=lambda o: (o["metadata"].get("namespace", ""), o["metadata"]["name"]))
        start = 0
        if query.get("continue"):
            if self.expire_next_continue:
                self.expire_next_continue = False
                return 410, _status(410, "Expired", "The provided continue parameter is too old")
            start = int(json.loads(base64.b64decode(query["continue"][0]))["start"])
        limit = int(query.get("limit", ["0"])[0] or 0)
        end = len(selected) if limit <= 0 else min(len(selected), start + limit)
        meta: dict[str, Any] = {"resourceVersion": str(self.resource_version)}
        if end < len(selected):
            token = {"rv": self.resource_version, "start": end}
            meta["continue"] = base64.b64encode(json.dumps(token).encode()).decode()
            meta["remainingItemCount"] = len(selected) - end
        api_version = f"{kind.group}/{version}" if kind.group else version
        return 200, {
            "kind": f"{kind.kind}List",
            "apiVersion": api_version,
            "metadata": meta,
            "items": [self._served(o, kind, version, with_type=False) for o in selected[start:end]],
        }


def _field_selector_matches(obj: dict[str, Any], selector: str) -> bool | None:
    """``field=value``/``field==value``/``field!=value`` terms; None for an unsupported field."""
    for term in filter(None, selector.split(",")):
        negate = "!=" in term
        field, value = term.replace("!=", "=").replace("==", "=").split("=", 1)
        if field == "metadata.name":
            actual = obj["metadata"].get("name")
        elif field == "metadata.namespace":
            actual = obj["metadata"].get("namespace")
        elif field == "type" and obj.get("kind") == "Secret":
            actual = obj.get("type", "Opaque")
        else:
            return None
        if (actual == value) == negate:
            return False
    return True


class _Handler(BaseHTTPRequestHandler):
    api: FakeApiServer
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body go out at once: no delayed-ACK stalls

    def _serve(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(min(length, 1 << 20))
        code, body = self.api.handle(self.command, self.path, self.headers.get("Authorization"))
        if self.api.delay:
            time.sleep(self.api.delay)
        data = json.dumps(body).encode()
        try:
            self.send_response(code)
            for name, value in self.api.fault_headers(self.path).items():
                self.send_header(name, value)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):  # the client gave up (a deadline)
            self.close_connection = True

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _serve

    def log_message(self, format: str, *args: Any) -> None:  # quiet
        return


def load_manifests(paths: Iterable[Path]) -> list[dict[str, Any]]:
    """Objects of manifest files or folders (List kinds flattened), as podpath reads them."""
    from podpath.sources.manifests import load_paths

    return [doc.data for doc in load_paths([str(p) for p in paths])]


@pytest.fixture
def fake_apiserver() -> Iterator[type[FakeApiServer]]:
    """Yields a factory: ``fake_apiserver(objects, ...)`` starts a server, stopped after the
    test, which then fails if any request was not a read."""
    started: list[FakeApiServer] = []

    class Factory(FakeApiServer):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self.start()
            started.append(self)

    yield Factory
    for server in started:
        server.stop()
    violations = [v for s in started for v in s.violations]
    assert not violations, f"podpath sent requests that are not reads: {violations}"
