"""Loading fast paths give exactly what the general paths give.

- A YAML stream whose documents are JSON objects (``---`` lines each followed by one JSON
  object, as bench/generate.py and ``kubectl -o json | yq``-style tools write) is read with
  json.loads; the documents, their indexes and lines, and every error must be what libyaml
  and the YAML path (values as sigs.k8s.io/yaml makes them) give.
- normalize + resolve of every scenario, example and generated cluster match goldens
  recorded before the fast paths (tests/golden/load_digests.json; ``pytest
  --update-goldens`` rewrites them).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from unittest import mock

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from podpath.cluster import resolve
from podpath.errors import InputError
from podpath.normalize import normalize
from podpath.sources import json_stream, yaml_stream
from podpath.sources.manifests import load_paths, parse_text
from podpath.sources.yaml_safety import MAX_DEPTH

ROOT = Path(__file__).resolve().parent.parent


@contextmanager
def _general_path() -> Iterator[None]:
    """Parse with the JSON-document fast path switched off (libyaml for every stream)."""
    with mock.patch.object(yaml_stream, "json_documents", lambda text: None):
        yield


def _parse(text: str, fast: bool = True) -> Any:
    """(data, doc_index, line) of each document, or the error's text."""
    try:
        if fast:
            docs = parse_text(text.encode(), "t.yaml")
        else:
            with _general_path():
                docs = parse_text(text.encode(), "t.yaml")
    except InputError as exc:
        return f"error: {exc}"
    return [(_canon(d.data), d.source.doc_index, d.source.line) for d in docs]


def _canon(value: Any) -> Any:
    """A comparable form: NaN floats compare equal to themselves; dict order kept."""
    if isinstance(value, dict):
        return [("dict",)] + [(_canon(k), _canon(v)) for k, v in value.items()]
    if isinstance(value, list):
        return ["list"] + [_canon(v) for v in value]
    if isinstance(value, float):
        return ("float", repr(value))
    return (type(value).__name__, value)


def _as_stored(value: Any) -> Any:
    """What the API server stores of a JSON value sent as YAML (the oracle, written from the
    rules in podpath.sources.yaml_values, not from its code): a float with an integral value
    that fits in int64 is an integer; an integer that does not fit is a float; JSON's NaN
    and Infinity constants are plain strings to go-yaml."""
    if isinstance(value, dict):
        return {k: _as_stored(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_as_stored(v) for v in value]
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            return {float("inf"): "Infinity", float("-inf"): "-Infinity"}.get(value, "NaN")
        return int(value) if value.is_integer() and abs(value) < 2**63 else value
    return value if -(2**63) <= value < 2**63 else float(value)


def _stored_documents(text: str) -> list[Any]:
    """The oracle's documents of a stream of JSON objects."""
    bodies = [part for part in text.split("\n---\n") if part.strip(" \n-")]
    return [_canon(_as_stored(json.loads(b.removeprefix("---\n")))) for b in bodies]


# -- the JSON-document fast path --------------------------------------------------------------

CASES = [
    '---\n{"a": 1}\n---\n{"b": [1, 2.5, -0, true, false, null]}\n',
    '{"bare": "first document, no marker"}\n---\n{"x": 1}\n',
    '---\n\n\n   {"late": "line of the brace"}\n',
    '---\n{\n  "pretty": {\n    "nested": [\n      1,\n      {"k": "v"}\n    ]\n  }\n}\n',
    '---\n{"floats": [1e3, 1.5e3, 1.5e+3, 1.5E-3, 1.0, -2.50, 1E5, 0.0]}\n',
    '---\n{"constants": [NaN, Infinity, -Infinity]}\n',
    '---\n{"escapes": "\\" \\\\ \\/ \\b \\f \\n \\r \\t \\u00e9 \\u0000 \\u2028"}\n',
    '---\n{"unicode": "h\u00e9llo \u4e16\u754c \U0001f600"}\n',
    '---\n{"<<": {"a": 1}, "=": 2, "~": null, "": "empty key"}\n',
    '---\n{"yes": "yes", "on": "On", "n": "n", "date": "2001-12-14", "oct": "010"}\n',
    '---\n{"neg": -42, "int": 123456789012345678}\n',
    '---\n{"compact":{"a":[1,2],"b":{"c":"d"}}}\n',
    '---\n{"key"  : "spaces before the colon"}\n',
]
# Streams that must leave the fast path (and so read exactly as before): each hits one of
# the differences between JSON and YAML 1.1, or a YAML construct JSON does not have.
FALLBACK = [
    '---\n{"a": 1}\n---\n',  # trailing marker: a null document
    '---\n---\n{"a": 1}\n',  # an empty document first
    '{"a": 1}\n...\n{"b": 2}\n',  # document end marker
    '%YAML 1.1\n---\n{"a": 1}\n',  # directive
    '--- {"a": 1}\n',  # content on the marker line
    '---\n{"a": 1}\n# comment\n',
    '---\n{"a"\n: 1}\n',  # key and colon on different lines (libyaml refuses it)
    '---\n{"' + "k" * 1030 + '": 1}\n',  # a simple key longer than 1024 characters
    '---\n{"a":\t1}\n',  # tab
    '---\r\n{"a": 1}\r\n',  # carriage returns
    '---\n{"a": "\x7f"}\n',  # outside YAML's printable set
    '---\n{"a": "x\x85y"}\n',  # NEL: a line break to YAML 1.1
    '---\n{"a": "x\u2028y"}\n',  # LS
    '---\n{"a": "\\ud83d\\ude00"}\n',  # escaped surrogates (libyaml refuses them)
    '---\n["not", "an", "object"]\n',
    '---\n{"a": 1} trailing\n',
    '---\n{"a": 01}\n',
    '\ufeff{"bom": 1}\n',
    '---\n{"a": 1}\n{"b": 2}\n',
    "---\n{a: 1}\n",  # flow YAML, not JSON
    "---\na: 1\n",
    '\xa0\n---\n{"a": 1}\n',  # not YAML whitespace: a scalar document first
    '\x0c\n---\n{"a": 1}\n',
    "\xa0",
    '---\n\xa0{"a": 1}\n',
]


@pytest.mark.parametrize("text", CASES)
def test_json_documents_take_the_fast_path_and_equal_libyaml(text: str) -> None:
    assert json_stream.json_documents(text) is not None
    fast = _parse(text)
    assert fast == _parse(text, fast=False)
    assert [d for d, _, _ in fast] == _stored_documents(text)


@pytest.mark.parametrize("text", FALLBACK)
def test_other_streams_leave_the_fast_path(text: str) -> None:
    assert json_stream.json_documents(text) is None
    assert _parse(text) == _parse(text, fast=False)


def test_a_key_given_twice_leaves_the_fast_path_and_is_refused() -> None:
    text = '---\n{"a": 1}\n---\n{"dup": 1, "other": 2, "dup": 3}\n'
    assert json_stream.json_documents(text) is None
    assert _parse(text) == _parse(text, fast=False)
    assert "document 1" in _parse(text) and "mapping key 'dup' already defined" in _parse(text)


def test_numbers_beyond_64_bits_leave_the_fast_path() -> None:
    text = '---\n{"big": 123456789012345678901234567890, "n": 18446744073709551615}\n'
    assert json_stream.json_documents(text) is None
    assert _parse(text)[0][0] == _canon({"big": 1.2345678901234568e29, "n": 2.0**64})


def test_lines_and_indexes_are_libyaml_s() -> None:
    text = '{"a": 1}\n---\n\n{"b": 2}\n---\n{\n "c": 3\n}\n---\n  {"d": 4}\n'
    assert [(i, line) for _, i, line in _parse(text)] == [(0, 1), (1, 4), (2, 6), (3, 10)]
    assert _parse(text) == _parse(text, fast=False)


def test_lists_in_json_documents_are_flattened_as_before() -> None:
    text = '---\n{"kind": "List", "items": [{"kind": "Pod", "metadata": {"name": "a"}}]}\n'
    assert _parse(text) == _parse(text, fast=False)
    assert _parse(text)[0][0] == _canon({"kind": "Pod", "metadata": {"name": "a"}})


def test_deep_json_document_is_refused_as_before() -> None:
    text = '---\n{"a": ' + "[" * 1200 + "]" * 1200 + "}\n"
    assert json_stream.json_documents(text) is None
    assert _parse(text) == _parse(text, fast=False)
    assert str(_parse(text)).startswith("error:")


def _generate(pods: int, policies: int, out: Path) -> None:
    command = [sys.executable, str(ROOT / "bench" / "generate.py"), str(pods), str(policies)]
    subprocess.run([*command, str(out)], check=True, timeout=60)


def test_kubectl_style_list_with_long_annotations_takes_the_fast_path() -> None:
    """``kubectl get -o json`` output: one pretty-printed List, last-applied annotations on
    lines far longer than the simple-key limit, thousands of brackets (in strings too)."""
    items = [
        {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {
                "name": f"p{i}",
                "annotations": {"kubectl.kubernetes.io/last-applied-configuration": "{[" * 600},
            },
        }
        for i in range(300)
    ]
    text = json.dumps({"apiVersion": "v1", "kind": "List", "items": items}, indent=4)
    assert json_stream.json_documents(text) is not None
    assert _parse(text) == _parse(text, fast=False)


@pytest.mark.parametrize("depth", [498, 499, 500, 501])
def test_nesting_limit_is_the_same_on_both_paths(depth: int) -> None:
    text = '---\n{"s": "' + "]" * 60 + '", "a": ' + "[" * depth + "]" * depth + "}\n"
    assert (json_stream.json_documents(text) is not None) == (depth + 1 <= MAX_DEPTH)
    assert _shallow_parse(text) == _shallow_parse(text, fast=False)


def _shallow_parse(text: str, fast: bool = True) -> Any:
    """_parse without the recursive canonical form (deep documents)."""
    try:
        with contextlib.nullcontext() if fast else _general_path():
            docs = parse_text(text.encode(), "t.yaml")
    except InputError as exc:
        return f"error: {exc}"
    return [(d.data, d.source.doc_index, d.source.line) for d in docs]


def test_generated_cluster_takes_the_fast_path(tmp_path: Path) -> None:
    out = tmp_path / "c.yaml"
    _generate(300, 100, out)
    text = out.read_text()
    assert json_stream.json_documents(text) is not None
    assert _parse(text) == _parse(text, fast=False)


TEXT = st.one_of(
    st.text(alphabet=st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=12),
    st.text(alphabet='abc "\\/\u00e9\u4e16:#&*!-{}[],', max_size=12),
    st.text(max_size=3),
)
SCALARS = st.one_of(
    st.integers(min_value=-(10**30), max_value=10**30),
    st.floats(allow_nan=True, allow_infinity=True),
    st.booleans(),
    st.none(),
    TEXT,
    st.sampled_from(["yes", "No", "~", "1e3", "0x1f", "010", "1:30", "2001-12-14", "<<", ""]),
)
VALUES = st.recursive(
    SCALARS,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(TEXT, inner, max_size=4),
    max_leaves=20,
)
OBJECTS = st.dictionaries(TEXT, VALUES, max_size=6)
STYLES = st.sampled_from(
    [
        {},
        {"separators": (",", ":")},
        {"indent": 2},
        {"indent": 0},
        {"ensure_ascii": False},
        {"indent": 1, "ensure_ascii": False},
    ]
)


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(OBJECTS, min_size=1, max_size=4), STYLES, st.booleans())
def test_json_stream_equals_yaml(
    docs: list[dict[str, Any]], style: dict[str, Any], bare: bool
) -> None:
    parts = [json.dumps(d, **style) for d in docs]
    text = ("" if bare else "---\n") + "\n---\n".join(parts) + "\n"
    fast = _parse(text)
    assert fast == _parse(text, fast=False)
    # A raw NEL, LS or PS is a line break to YAML 1.1 (libyaml, go-yaml): inside a string of
    # a .yaml file it folds, as kubectl reads it; json.loads, the oracle, keeps it.
    if not isinstance(fast, str) and not any(c in text for c in "\x85\u2028\u2029"):
        assert [d for d, _, _ in fast] == _stored_documents(text)


@settings(max_examples=300)
@given(OBJECTS, st.integers(min_value=0, max_value=200), st.text(max_size=3))
def test_mutated_json_stream_reads_as_before(doc: dict[str, Any], at: int, junk: str) -> None:
    text = "---\n" + json.dumps(doc, indent=1) + "\n"
    at = min(at, len(text))
    mutated = text[:at] + junk + text[at:]
    assert _parse(mutated) == _parse(mutated, fast=False)


# -- normalize + resolve: goldens --------------------------------------------------------------

GOLDEN = ROOT / "tests" / "golden" / "load_digests.json"


def _inputs() -> list[str]:
    scenarios = sorted(str(p.relative_to(ROOT)) for p in (ROOT / "tests" / "scenarios").iterdir())
    return scenarios + [
        "examples/shop",
        "tests/data/netpol_conformance.yaml",
        "tests/data/diff/old",
        "tests/data/diff/new",
        "tests/data/graph/shop.yaml",
    ]


def _digest(paths: list[str]) -> str:
    """A digest of everything loading produces: raw documents, the Inventory, and the
    resolved pods, Services, endpoints, addresses, nodes, notes and DNS address."""
    try:
        docs = load_paths(paths)
        inventory = normalize(docs)
        cluster = resolve(inventory)
        text = "\n".join(
            [
                repr(docs),
                repr(inventory),
                repr(cluster.pods),
                repr(cluster.services),
                repr(sorted(cluster.endpoints.items())),
                repr(sorted(cluster.addresses.items())),
                repr(cluster.notes),
                repr(cluster.nodes),
                cluster.dns_ip,
            ]
        )
    except InputError as exc:
        text = f"error: {exc}"
    return hashlib.sha256(text.encode()).hexdigest()


def _generated(tmp: Path) -> dict[str, list[str]]:
    """Generated clusters (bench/generate.py: pods with status; bench/bench_load.py:
    Deployments, StatefulSets, Services), as YAML streams of JSON and of block YAML, and as
    one JSON List."""
    sys.path.insert(0, str(ROOT / "bench"))
    try:
        import bench_load  # type: ignore[import-not-found]
    finally:
        sys.path.remove(str(ROOT / "bench"))
    out: dict[str, list[str]] = {}
    for suffix in ("yaml", "json"):
        path = tmp / f"g.{suffix}"
        _generate(400, 150, path)
        out[f"generate 400 150 .{suffix}"] = [str(path)]
    docs = bench_load.generate(800)
    block = tmp / "bl.yaml"
    block.write_text(yaml.safe_dump_all(docs, sort_keys=False))
    out["bench_load 800 block yaml"] = [str(block)]
    listed = tmp / "bl.json"
    listed.write_text(json.dumps({"apiVersion": "v1", "kind": "List", "items": docs}, indent=2))
    out["bench_load 800 json list"] = [str(listed)]
    stream = tmp / "bl-stream.yaml"
    stream.write_text("".join("---\n" + json.dumps(d) + "\n" for d in docs))
    out["bench_load 800 json stream"] = [str(stream)]
    return out


def test_loading_matches_goldens(
    tmp_path: Path, golden: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(ROOT)
    inputs = {p: [p] for p in _inputs()} | _generated(tmp_path)
    # the generated files' paths live in tmp_path: the digest must not depend on them
    digests = {}
    for label, paths in inputs.items():
        if paths[0].startswith(str(tmp_path)):
            monkeypatch.chdir(tmp_path)
            paths = [str(Path(p).relative_to(tmp_path)) for p in paths]
        digests[label] = _digest(paths)
        monkeypatch.chdir(ROOT)
    if golden.update:
        GOLDEN.write_text(json.dumps(digests, indent=2, sort_keys=True) + "\n")
    expected = json.loads(GOLDEN.read_text())
    assert digests == expected
