"""YAML values as Kubernetes reads them: what sigs.k8s.io/yaml's YAMLToJSON (go-yaml v2's
resolve, then JSON) hands the API server, and what the server then stores.

The cases are the scalars YAML 1.1 and 1.2 read differently (and PyYAML reads differently
from go-yaml): each row's expectation comes from go-yaml v2.4.2's resolve.go/decode.go and
sigs.k8s.io/yaml's yaml.go (cited in podpath.sources.yaml_values), not from podpath's code.
"""

from __future__ import annotations

import math
from typing import Any

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from podpath.errors import InputError
from podpath.sources.manifests import parse_text
from podpath.sources.yaml_values import (
    MSG_COLLECTION_KEY,
    MSG_NULL_KEY,
    MSG_RECURSIVE,
    json_key,
    resolve_plain,
)

FIVE_THOUSAND_DIGITS = "1" * 5000

# (plain scalar, the value the API server stores; YAML 1.2 core schema's reading, for the
# record of why the case is here)
SCALARS: list[tuple[str, Any, str]] = [
    ("=", "=", "YAML 1.1's value key '=': PyYAML cannot construct it; a string to go-yaml"),
    ("yes", True, "1.1 boolean; 1.2: string"),
    ("Yes", True, "1.1 boolean"),
    ("YES", True, "1.1 boolean"),
    ("on", True, "1.1 boolean; 1.2: string"),
    ("ON", True, "1.1 boolean"),
    ("y", True, "go-yaml v2 boolean (PyYAML: string)"),
    ("Y", True, "go-yaml v2 boolean"),
    ("no", False, "1.1 boolean (the Norway problem)"),
    ("off", False, "1.1 boolean"),
    ("n", False, "go-yaml v2 boolean"),
    ("N", False, "go-yaml v2 boolean"),
    ("True", True, "both"),
    ("FALSE", False, "both"),
    ("yEs", "yEs", "not one of the three spellings"),
    ("tRUE", "tRUE", "not one of the three spellings"),
    ("~", None, "null"),
    ("null", None, "null"),
    ("NULL", None, "null"),
    ("nULL", "nULL", "string"),
    ("0o14", 12, "1.2 octal; Go's ParseInt(s, 0, 64) reads it too (PyYAML: string)"),
    ("012", 10, "1.1 octal; 1.2: decimal 12"),
    ("08", 8, "not octal: go-yaml's float syntax, then an integral JSON number"),
    ("0x1F", 31, "hexadecimal"),
    ("-0x1F", -31, "signed hexadecimal"),
    ("0b101", 5, "1.1 binary; 1.2: string"),
    ("1_000", 1000, "1.1 digit separators; 1.2: string"),
    ("+7", 7, "sign"),
    ("-0", 0, "negative zero"),
    ("1e3", 1000, "go-yaml: float 1000.0 (PyYAML: string); JSON prints 1000"),
    ("1.0", 1, "float 1.0 prints as JSON 1: stored as an integer"),
    ("1.", 1, "Go accepts a trailing dot"),
    ("1.5", 1.5, "float"),
    ("-2.50", -2.5, "float"),
    (".5", 0.5, "float"),
    (".iNf", ".iNf", "not a spelling of infinity"),
    ("1e400", "1e400", "out of float64 range: Go's ParseFloat fails, so a string"),
    ("2001-12-14", "2001-12-14", "1.1 timestamp; go-yaml keeps timestamps as strings"),
    ("2001-12-14T21:59:43.10-05:00", "2001-12-14T21:59:43.10-05:00", "timestamp: string"),
    ("1:30", "1:30", "1.1 sexagesimal 90 (PyYAML); go-yaml: string"),
    ("9223372036854775807", 9223372036854775807, "the largest int64"),
    ("9223372036854775808", 9.223372036854775808e18, "uint64: a float to the API server"),
    ("123456789012345678901234567890", 1.2345678901234568e29, "beyond 64 bits: a float"),
    (FIVE_THOUSAND_DIGITS, FIVE_THOUSAND_DIGITS, "no float64 holds it: a string"),
    ("0x", "0x", "a prefix without digits"),
    ("<<", "<<", "a merge key only as a key"),
    ("web", "web", "a plain string"),
]


@pytest.mark.parametrize(("text", "stored", "why"), SCALARS, ids=[s[0][:20] for s in SCALARS])
def test_plain_scalar_is_stored_as_the_api_server_stores_it(
    text: str, stored: Any, why: str
) -> None:
    data = parse_text(f"v: {text}\n".encode(), "t.yaml")[0].data
    assert data == {"v": stored}, why
    assert type(data["v"]) is type(stored), why


@pytest.mark.parametrize("text", ["'yes'", '"0o14"', "|\n  012\n", "!!str 1e3"])
def test_quoted_block_and_str_tagged_scalars_are_strings(text: str) -> None:
    value = parse_text(f"v: {text}\n".encode(), "t.yaml")[0].data["v"]
    assert isinstance(value, str) and value.strip() == yaml.safe_load(f"v: {text}")["v"].strip()


@pytest.mark.parametrize("text", [".inf", "-.inf", ".NaN", "+.INF"])
def test_infinity_and_nan_have_no_json_form_and_are_refused(text: str) -> None:
    with pytest.raises(InputError) as caught:
        parse_text(f"kind: Pod\nspec:\n  x: [1, {text}]\n".encode(), "t.yaml")
    assert caught.value.line == 3 and caught.value.field == "spec.x[1]"
    assert "json: unsupported value" in str(caught.value)


TAGGED = [
    ("!!str yes", "yes"),
    ('!!int "12"', 12),
    ("!!int 0x10", 16),
    ("!!float 1", 1),
    ("!!float 1.5", 1.5),
    ("!!bool on", True),
    ("!!null ~", None),
    ("!!binary aGVsbG8=", "hello"),
    ("!!timestamp 2001-12-14", "2001-12-14"),
    ("!custom value", "value"),
]


@pytest.mark.parametrize(("text", "stored"), TAGGED)
def test_tags_are_applied_as_go_yaml_applies_them(text: str, stored: Any) -> None:
    assert parse_text(f"v: {text}\n".encode(), "t.yaml")[0].data == {"v": stored}


@pytest.mark.parametrize("text", ["!!int abc", "!!bool maybe", "!!float x", "!!binary '%%'"])
def test_a_scalar_that_does_not_fit_its_tag_is_refused(text: str) -> None:
    with pytest.raises(InputError, match="cannot decode|base64"):
        parse_text(f"v: {text}\n".encode(), "t.yaml")


KEYS = [
    ("y: 1", {"true": 1}),
    ("no: 1", {"false": 1}),
    ("1: a", {"1": "a"}),
    ("0x10: a", {"16": "a"}),
    ("1.5: a", {"1.5": "a"}),
    ("1e6: a", {"1e+06": "a"}),
    ("'on': a", {"on": "a"}),
    ("set: !!set {a, b}", {"set": {"a": None, "b": None}}),
]


@pytest.mark.parametrize(("text", "stored"), KEYS)
def test_mapping_keys_become_json_strings(text: str, stored: Any) -> None:
    assert parse_text(f"{text}\n".encode(), "t.yaml")[0].data == stored


@pytest.mark.parametrize(
    ("text", "message"),
    [("~: a", MSG_NULL_KEY), ("? [a]\n: 1", MSG_COLLECTION_KEY.format(kind="sequence"))],
)
def test_null_and_collection_keys_are_refused(text: str, message: str) -> None:
    with pytest.raises(InputError, match=message.replace("(", r"\(").replace(")", r"\)")):
        parse_text(f"{text}\n".encode(), "t.yaml")


DUPLICATES = [
    ("a: 1\na: 2\n", "a", 2, 1, ""),
    ("kind: Pod\nmetadata:\n  labels:\n    app: a\n    app: b\n", "app", 5, 4, "metadata.labels"),
    ("1: a\n01: b\n", "1", 2, 1, ""),  # both are the integer 1: one JSON key
    ("yes: a\ntrue: b\n", "true", 2, 1, ""),
    ('"a": 1\na: 2\n', "a", 2, 1, ""),
    ("l:\n- {x: 1, x: 2}\n", "x", 2, 2, "l[0]"),
]


@pytest.mark.parametrize(("text", "key", "line", "first", "field"), DUPLICATES)
def test_a_key_given_twice_is_refused_with_both_locations(
    text: str, key: str, line: int, first: int, field: str
) -> None:
    with pytest.raises(InputError) as caught:
        parse_text(("---\nkind: Namespace\n---\n" + text).encode(), "t.yaml")
    error = caught.value
    assert (error.line, error.doc_index, error.field) == (line + 3, 1, field)
    assert f"mapping key {key!r} already defined at line {first + 3}" in str(error)
    assert str(error).startswith(f"t.yaml:{line + 3}: document 1")


MERGES = [
    ("x: &x {k: v}\nmerged: {<<: *x, m: 1}\n", {"k": "v", "m": 1}),
    ("merged: {a: 1, <<: {a: 2}}\n", {"a": 2}),  # go-yaml v2: the merge writes over an earlier key
    ("merged: {<<: {a: 2}, a: 1}\n", {"a": 1}),  # a key after the merge overrides it
    ("merged: {<<: [{a: 1}, {a: 2, b: 2}]}\n", {"a": 1, "b": 2}),  # earlier maps take precedence
    ("merged: {'<<': {a: 2}}\n", {"<<": {"a": 2}}),  # quoted: a plain key, not a merge
]


@pytest.mark.parametrize(("text", "merged"), MERGES)
def test_merge_keys_as_go_yaml_v2(text: str, merged: Any) -> None:
    assert parse_text(text.encode(), "t.yaml")[0].data["merged"] == merged


def test_aliases_are_shared_objects() -> None:
    data = parse_text(b"a: &x [1, 2]\nb: *x\n", "t.yaml")[0].data
    assert data["a"] is data["b"]


@pytest.mark.parametrize("text", ["a: &a [*a]\n", "a: &a {b: *a}\n", "a: &a [1, [2, *a]]\n"])
def test_a_recursive_anchor_is_refused_not_a_hang(text: str) -> None:
    with pytest.raises(InputError, match=MSG_RECURSIVE.replace("(", r"\(").replace(")", r"\)")):
        parse_text(text.encode(), "t.yaml")


def test_json_key_of_specials() -> None:
    assert [json_key(v) for v in (math.inf, -math.inf, math.nan, 0.1, 1e-5, 100.0)] == [
        ".inf",
        "-.inf",
        ".nan",
        "0.1",
        "1e-05",
        "100",
    ]


STRINGS = st.text(alphabet="abcdefghijkmpqrsuvwxz-/.", min_size=2, max_size=8).filter(
    lambda s: s[0] not in "-." and resolve_plain(s) == s
)


@given(st.dictionaries(STRINGS, st.one_of(STRINGS, st.integers(-(2**62), 2**62)), max_size=6))
def test_strings_and_small_integers_read_as_written(doc: dict[str, Any]) -> None:
    """Where YAML 1.1, 1.2 and go-yaml agree (plain words, decimal integers), the value is
    what PyYAML reads too."""
    text = yaml.safe_dump(doc) if doc else "{}\n"
    assert parse_text(text.encode(), "t.yaml")[0].data == yaml.safe_load(text)


def test_a_json_file_is_read_as_kubectl_reads_json() -> None:
    """kubectl reads a JSON file with its JSON decoder, not as YAML: a key given twice keeps
    its last value (Go's encoding/json); numbers are stored as the API server stores them."""
    data = parse_text(b'{"kind": "Pod", "a": 1, "a": 2, "f": 1.0, "g": 1.5}', "t.json")[0].data
    assert data == {"kind": "Pod", "a": 2, "f": 1, "g": 1.5}
    assert type(data["f"]) is int
