"""Doctor checklist step 4: Ingress and Gateway API."""

from __future__ import annotations

import pytest

from doctor_helpers import codes, pod, service

BASE = pod("web-1", ports="{containerPort: 8080, name: http}") + service(
    "web", ports="{port: 80, targetPort: http, name: http}"
)
CLASS = """
---
apiVersion: networking.k8s.io/v1
kind: IngressClass
metadata:
  name: nginx
  annotations: {ingressclass.kubernetes.io/is-default-class: "true"}
spec: {controller: k8s.io/ingress-nginx}
"""


def ingress(
    name: str = "web",
    backend: str = "{name: web, port: {number: 80}}",
    extra: str = "",
    host: str = "shop.example.com",
    path: str = "/",
) -> str:
    return f"""
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {{name: {name}, namespace: shop}}
spec:{extra}
  rules:
  - host: {host}
    http:
      paths:
      - {{path: "{path}", pathType: Prefix, backend: {{service: {backend}}}}}
"""


TLS = """
  tls:
  - hosts: [shop.example.com]
    secretName: {secret}"""
OTHER_SECRET = """
---
apiVersion: v1
kind: Secret
metadata: {name: unrelated, namespace: shop}
type: Opaque
"""

GATEWAY = """
---
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: gw, namespace: infra}
spec:
  gatewayClassName: eg
  listeners:
  - {name: http, protocol: HTTP, port: 80, allowedRoutes: {namespaces: {from: %s}}}
"""


def route(
    parent: str = "{name: gw, namespace: infra}", backend: str = "{name: web, port: 80}"
) -> str:
    return f"""
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {{name: web, namespace: shop}}
spec:
  parentRefs: [{parent}]
  rules:
  - backendRefs: [{backend}]
"""


GRANT = """
---
apiVersion: gateway.networking.k8s.io/v1beta1
kind: ReferenceGrant
metadata: {name: allow-shop, namespace: other}
spec:
  from: [{group: gateway.networking.k8s.io, kind: HTTPRoute, namespace: shop}]
  to: [{group: "", kind: Service}]
"""
OTHER_SVC = pod("api-1", ns="other", labels="app: api") + service(
    "api", ns="other", selector="app: api"
)

CASES = [
    (
        "backend-missing-service",
        BASE + CLASS + ingress(backend="{name: wbe, port: {number: 80}}"),
        BASE + CLASS + ingress(),
        ("ingress-backend-invalid", "Ingress/shop/web"),
    ),
    (
        "backend-missing-port",
        BASE + CLASS + ingress(backend="{name: web, port: {number: 8080}}"),
        BASE + CLASS + ingress(backend="{name: web, port: {name: http}}"),
        ("ingress-backend-invalid", "Ingress/shop/web"),
    ),
    (
        "backend-no-endpoints",
        BASE
        + service("empty", selector="app: nothing")
        + CLASS
        + ingress(backend="{name: empty, port: {number: 80}}"),
        BASE + CLASS + ingress(),
        ("ingress-backend-no-endpoints", "Ingress/shop/web"),
    ),
    (
        "no-class",
        BASE + ingress(),
        BASE + CLASS + ingress(),
        ("ingress-no-class", "Ingress/shop/web"),
    ),
    (
        "conflict",
        BASE + CLASS + ingress("a") + ingress("b"),
        BASE + CLASS + ingress("a") + ingress("b", path="/b"),
        # ingress-nginx keeps the first Ingress (oldest, then namespace/name descending): b
        ("ingress-conflict", "Ingress/shop/a"),
    ),
    (
        "tls-secret-missing",
        BASE + CLASS + OTHER_SECRET + ingress(extra=TLS.format(secret="web-tls")),
        BASE + CLASS + OTHER_SECRET + ingress(),
        ("tls-secret-not-in-input", "Ingress/shop/web"),
    ),
    (
        "route-not-allowed",
        BASE + GATEWAY % "Same" + route(),
        BASE + GATEWAY % "All" + route(),
        ("route-not-accepted", "HTTPRoute/shop/web"),
    ),
    (
        "route-no-gateway",
        BASE + route(parent="{name: nope, namespace: infra}"),
        BASE + GATEWAY % "All" + route(),
        ("route-not-accepted", "HTTPRoute/shop/web"),
    ),
    (
        "route-ref-not-permitted",
        BASE
        + OTHER_SVC
        + GATEWAY % "All"
        + route(backend="{name: api, namespace: other, port: 80}"),
        BASE
        + OTHER_SVC
        + GRANT
        + GATEWAY % "All"
        + route(backend="{name: api, namespace: other, port: 80}"),
        ("route-refs-unresolved", "HTTPRoute/shop/web"),
    ),
]


@pytest.mark.parametrize("name,broken,fixed,expected", CASES, ids=[c[0] for c in CASES])
def test_check_fires_and_stays_quiet(
    name: str, broken: str, fixed: str, expected: tuple[str, str]
) -> None:
    assert expected in codes(broken)
    assert not {c for c in codes(fixed) if c[0] == expected[0]}


CONTROLLER = pod(
    "ingress-nginx-controller-1",
    ns="ingress-nginx",
    labels="app.kubernetes.io/name: ingress-nginx, app.kubernetes.io/component: controller",
)
DENY_IN = """
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: deny-in, namespace: shop}
spec: {podSelector: {}, policyTypes: [Ingress]}
"""
ALLOW_CONTROLLER = """
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: from-controller, namespace: shop}
spec:
  podSelector: {matchLabels: {app: web}}
  ingress:
  - from: [{namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: ingress-nginx}}}]
    ports: [{port: http}]
"""


def test_backend_denies_the_ingress_controller() -> None:
    broken = BASE + CLASS + CONTROLLER + ingress() + DENY_IN
    assert ("backend-denies-entry-point", "Pod/shop/web-1") in codes(broken)
    fixed = broken + ALLOW_CONTROLLER
    assert not {c for c in codes(fixed) if c[0] == "backend-denies-entry-point"}
