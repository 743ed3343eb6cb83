"""The loader's fast constructor gives exactly what ``yaml.safe_load`` gives (YAML 1.1
scalars as PyYAML resolves them), falling back to PyYAML's constructor where needed."""

from __future__ import annotations

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from podpath.sources.manifests import parse_text

CASES = [
    "a: 1\nb: [1, 2, 0x1f, 0o17, 010, +5, -3, 1_000, 0]\n",
    "c: {d: yes, e: no, f: ~, g: 1.5, h: 2001-12-14, i: On, j: OFF}\n",
    "x: &a {k: v}\ny: *a\nz:\n  <<: *a\n  m: 1\n",
    "s: '123'\nt: \"true\"\nu: True\nv: NULL\nw: -0\ny: 0b101\nz: 1:30\n1: 2\n",
    "labels: {app: web, version: '1.0', replicas: 3, empty: ''}\nnull_key: null\n",
    "big: 123456789012345678901234567890\nneg: -42\nplus: +7\n",
    "binary: !!binary aGVsbG8=\nset: !!set {a, b}\n",
]


@pytest.mark.parametrize("text", CASES)
def test_fast_constructor_equals_safe_load(text: str) -> None:
    assert parse_text(text.encode(), "t.yaml")[0].data == yaml.safe_load(text)


def test_aliases_are_shared_objects() -> None:
    data = parse_text(b"a: &x [1, 2]\nb: *x\n", "t.yaml")[0].data
    assert data["a"] is data["b"]


SCALARS = st.one_of(
    st.integers(),
    st.booleans(),
    st.none(),
    st.text(alphabet="abc019:-+._ xyYnNoO~", max_size=8),
)
DOCS = st.dictionaries(
    st.text(alphabet="abcdef", min_size=1, max_size=5),
    st.one_of(SCALARS, st.lists(SCALARS, max_size=4)),
    max_size=6,
)


@given(DOCS)
def test_round_trip_through_safe_dump(doc: dict[str, object]) -> None:
    text = yaml.safe_dump(doc)
    assert parse_text(text.encode(), "t.yaml")[0].data == yaml.safe_load(text)
