"""Kinds podpath does not model are skipped without being built (issue 11, item 6): the
loader reads their kind first and keeps apiVersion, kind and metadata only; where the
stream splits at bare ``---`` lines it does not even compose them (libyaml's events are
walked). The result equals the general path's, and hostile structure is still refused."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from unittest import mock

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from podpath.errors import MSG_ALIAS_BOMB, MSG_TOO_DEEP, InputError
from podpath.normalize import is_modelled, normalize
from podpath.sources import yaml_stream
from podpath.sources.manifests import load_paths, parse_text
from podpath.sources.yaml_safety import MAX_DEPTH, MAX_EXPANDED_NODES

ROOT = Path(__file__).resolve().parent.parent

CRD = """apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: prometheuses.monitoring.coreos.com
  labels: {app: prometheus-operator}
spec:
  group: monitoring.coreos.com
  versions:
  - name: v1
    schema:
      openAPIV3Schema:
        properties:
          x: {type: string, pattern: '^[a-z]+=$', default: =}
          y: {description: "a ': ' and a - [ bracket"}
"""
SERVICE = "apiVersion: v1\nkind: Service\nmetadata: {name: web}\nspec: {ports: [{port: 80}]}\n"
PROMETHEUS = (
    "apiVersion: monitoring.coreos.com/v1\nkind: Prometheus\n"
    "metadata: {name: k8s, namespace: monitoring}\nspec: {replicas: 2, version: 2.5.0}\n"
)


@contextmanager
def _general() -> Iterator[None]:
    """Parse without the plan (every document composed)."""
    with mock.patch.object(yaml_stream, "_planned", lambda text, name, modelled: None):
        yield


def _read(text: str, general: bool = False) -> Any:
    try:
        if general:
            with _general():
                docs = parse_text(text.encode(), "t.yaml", is_modelled)
        else:
            docs = parse_text(text.encode(), "t.yaml", is_modelled)
    except InputError as exc:
        return f"error: {exc}"
    return [(d.data, d.source.doc_index, d.source.line) for d in docs]


def test_a_skipped_kind_keeps_api_version_kind_and_metadata_only() -> None:
    docs = _read(f"---\n{CRD}---\n{SERVICE}---\n{PROMETHEUS}")
    assert [d for d, _, _ in docs] == [
        {
            "apiVersion": "apiextensions.k8s.io/v1",
            "kind": "CustomResourceDefinition",
            "metadata": {
                "name": "prometheuses.monitoring.coreos.com",
                "labels": {"app": "prometheus-operator"},
            },
        },
        {
            "apiVersion": "v1",
            "kind": "Service",
            "metadata": {"name": "web"},
            "spec": {"ports": [{"port": 80}]},
        },
        {
            "apiVersion": "monitoring.coreos.com/v1",
            "kind": "Prometheus",
            "metadata": {"name": "k8s", "namespace": "monitoring"},
        },
    ]
    assert docs == _read(f"---\n{CRD}---\n{SERVICE}---\n{PROMETHEUS}", general=True)


def test_the_plan_does_not_compose_skipped_documents() -> None:
    composed: list[str] = []
    real = yaml_stream.compose_stream

    def spy(text: str, *args: Any, **kwargs: Any) -> Any:
        composed.append(text)
        return real(text, *args, **kwargs)

    with mock.patch.object(yaml_stream, "compose_stream", spy):
        _read(f"{SERVICE}---\n{CRD}---\n{CRD}---\n{SERVICE}")
    assert len(composed) == 2 and not any("CustomResourceDefinition" in t for t in composed)


STREAMS = [
    f"# Source: chart/templates/crd.yaml\n---\n{CRD}---\n{SERVICE}",
    f"{CRD}---\n---\n{SERVICE}---\n# only a comment\n---\n{PROMETHEUS}",
    f"---\n# Source: x\n{CRD}\n\n---\n{SERVICE}---\n{CRD}",
    f"{SERVICE}---\n{CRD}---\nkind: ConfigMap\nmetadata: {{name: c}}\ndata: {{a: b}}\n",
    f"---\n{CRD}---\nkind: 'Role'\nmetadata:\n  name: r # the role\nrules: []\n",
    f"{CRD}---\nkind: Kustomization\nresources: [a.yaml]\n",  # no metadata at all
    f"---\n{CRD}---\n{CRD.replace('name: v1', 'name: &v v1')}",  # an anchor: composed
    f"---\n{CRD}---\nkind: Foo\nmetadata: {{name: [a, {{b: c}}]}}\n",
    f"---\n{CRD}---\nkind: Foo\nmetadata: {{name: x, name: y}}\n",  # a key twice: refused
    f"---\n{CRD}---\nkind: Foo\nkind: Bar\nmetadata: {{}}\n",
    f"---\n{CRD}---\nkind: Foo\nmetadata: {{name: x}}\n  bad: indentation\n",
    f'---\n{CRD}---\nkind: Foo\nmetadata: {{name: x}}\n---\n"unterminated\n',
    f"---\n{CRD}---\nkind: CustomResourceDefinitionList\nitems: []\n",
    f"---\n{CRD}---\nkind: Pod\nmetadata: {{name: p}}\nkind: ConfigMap\n",
    f"---\n{SERVICE.replace('Service', 'ConfigMap')}---\nkind: Service\nmetadata: {{name: s}}\n",
]


@pytest.mark.parametrize("text", STREAMS)
def test_the_plan_gives_what_the_general_path_gives(text: str) -> None:
    assert _read(text) == _read(text, general=True)


def test_skipping_changes_no_answer_on_real_inputs() -> None:
    for path in ["examples/shop", "tests/scenarios", "tests/real"]:
        if not (ROOT / path).exists():
            continue
        paths = [str(ROOT / path)]
        assert repr(normalize(load_paths(paths))) == repr(
            normalize(load_paths(paths, modelled=is_modelled))
        ), path


def test_deep_nesting_in_a_skipped_kind_is_refused() -> None:
    deep = "kind: Foo\nmetadata: {name: x}\nspec: " + "[" * 2000 + "]" * 2000 + "\n"
    assert (
        _read(f"{SERVICE}---\n{deep}") == f"error: t.yaml:8: {MSG_TOO_DEEP.format(limit=MAX_DEPTH)}"
    )


def test_an_alias_bomb_in_a_skipped_kind_is_refused() -> None:
    bomb = "\n".join(
        ["kind: Foo", "metadata: {name: x}", "a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol]"]
        + [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 9)}]" for i in range(1, 10)]
    )
    result = _read(f"{SERVICE}---\n{bomb}\n")
    assert isinstance(result, str) and MSG_ALIAS_BOMB.format(limit=MAX_EXPANDED_NODES) in result


WORDS = st.sampled_from(["web", "a-b", "x1", "=", "yes", "0o14", "'q'", '"d d"', "[1, 2]"])
KINDS = st.sampled_from(["Service", "ConfigMap", "CustomResourceDefinition", "Prometheus", "Pod"])


@st.composite
def _documents(draw: st.DrawFn) -> str:
    kind = draw(KINDS)
    lines = [f"kind: {kind}", f"metadata:\n  name: {draw(WORDS)}\n  labels: {{a: {draw(WORDS)}}}"]
    lines += [f"k{i}: {draw(WORDS)}" for i in range(draw(st.integers(0, 3)))]
    order = draw(st.permutations(lines))
    head = draw(st.sampled_from(["", "# Source: t.yaml\n", "\n"]))
    return head + "\n".join(order) + "\n"


@settings(max_examples=200)
@given(st.lists(_documents(), min_size=1, max_size=5), st.booleans())
def test_plan_equals_general_path_on_generated_streams(docs: list[str], lead: bool) -> None:
    text = ("---\n" if lead else "") + "---\n".join(docs)
    assert _read(text) == _read(text, general=True)
