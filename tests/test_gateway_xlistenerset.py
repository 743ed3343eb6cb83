"""XListenerSet (gateway.networking.x-k8s.io/v1alpha1) is the experimental channel's name of
ListenerSet; GEP-1713 promoted it to the standard channel as gateway.networking.k8s.io/v1
ListenerSet in Gateway API v1.5 (https://gateway-api.sigs.k8s.io/geps/gep-1713/). podpath
models the standard kind only: an XListenerSet is skipped with a note that names the kind to
write instead, and a route whose parentRef is an XListenerSet is not attached, with the same
pointer."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from podpath.normalize import normalize
from podpath.sources.manifests import parse_text
from test_live import run

XLISTENERSET = """\
apiVersion: gateway.networking.x-k8s.io/v1alpha1
kind: XListenerSet
metadata: {name: extra, namespace: default}
spec:
  parentRef: {name: gw, kind: Gateway, group: gateway.networking.k8s.io}
  listeners:
  - {name: http, port: 8080, protocol: HTTP}
"""

ROUTE = """\
---
apiVersion: gateway.networking.k8s.io/v1
kind: GatewayClass
metadata: {name: gc}
spec: {controllerName: example.com/gc}
---
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: gw, namespace: default}
spec:
  gatewayClassName: gc
  allowedListeners: {namespaces: {from: Same}}
  listeners: [{name: http, port: 80, protocol: HTTP}]
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: r, namespace: default}
spec:
  parentRefs:
  - {group: gateway.networking.x-k8s.io, kind: XListenerSet, name: extra}
  rules:
  - backendRefs: [{name: kubernetes, port: 443}]
"""

HINT = "write it as gateway.networking.k8s.io/v1 ListenerSet"


def test_an_xlistenerset_is_skipped_with_a_pointer_to_listenerset() -> None:
    inv = normalize(parse_text(XLISTENERSET.encode(), "x.yaml"))
    [note] = [n for n in inv.notes if n.code == "skipped-kind"]
    assert note.object == "XListenerSet/extra"
    assert note.message == (
        "skipped gateway.networking.x-k8s.io/v1alpha1 XListenerSet (not modelled; the "
        "experimental name of ListenerSet (GEP-1713): " + HINT + ")"
    )
    assert not inv.of_kind("ListenerSet")


def test_other_skipped_kinds_keep_the_plain_note() -> None:
    text = "apiVersion: example.com/v1\nkind: XListenerSet\nmetadata: {name: a}\n"
    [note] = [
        n for n in normalize(parse_text(text.encode(), "x.yaml")).notes if n.code == "skipped-kind"
    ]
    assert note.message == "skipped example.com/v1 XListenerSet (not modelled)"


def test_cli_notes_the_skip_and_a_route_to_it_is_not_attached(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "x.yaml"
    path.write_text(XLISTENERSET + ROUTE)
    code, out, err = run(["services", "-f", str(path), "-v"], capsys)
    assert code == 0, err
    assert "XListenerSet/extra: skipped" in err and HINT in err
    code, out, err = run(["routes", "-f", str(path), "--format", "json"], capsys)
    assert code in (0, 1), err
    text = json.dumps(json.loads(out))
    assert (
        "parentRef gateway.networking.x-k8s.io/XListenerSet/default/extra: the experimental "
        "name of ListenerSet" in text
    )
    assert "attach to a gateway.networking.k8s.io ListenerSet" in text
