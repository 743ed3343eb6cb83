"""A YAML stream of JSON documents read with the JSON parser, where that gives exactly what
the YAML path gives.

Tools that turn ``kubectl -o json`` into a stream (and bench/generate.py) write ``---`` lines
each followed by one JSON object. JSON is (almost) a subset of YAML: such a document is read
with json.loads when that provably gives what libyaml and :mod:`podpath.sources.yaml_values`
give, and the whole stream goes to libyaml otherwise (so errors, locations and limits are the
YAML path's own).
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

from podpath.sources.yaml_safety import JSON_STRING, MAX_DEPTH, MAX_EXPANDED_NODES, json_depth

_MARKER_LINE = re.compile(r"^(?:---|\.\.\.|%).*$", re.MULTILINE)  # markers and directives
_COLON_AT_LINE_START = re.compile(r"\n[ ]*:")  # a key and its ':' on different lines
_SPACES_COLON = re.compile(r"[ ]*:")
# Characters YAML reads differently from JSON: outside YAML's printable set (the reader
# refuses them), or line breaks to YAML 1.1 only (NEL, LS, PS fold inside strings).
_NOT_YAML_PLAIN = re.compile(
    "[^\n\x20-\x7e\xa0-\u2027\u202a-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]"
)
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")  # libyaml refuses escaped surrogates
_SIMPLE_KEY_SPAN = 1000  # libyaml: a key must end within 1024 characters of its start
_JSON_FIRST = re.compile(r"[ \n]*(?:---\n[ \n]*)?\{")
_LONG_RUN = 19  # digits of an integer that may not fit in int64
_INT64 = 1 << 63


def k8s_json_float(text: str) -> float | int | str:
    """A JSON number with a fraction or exponent as the YAML path reads it (go-yaml v2: a
    float, or the text when out of range), then as the API server stores it (an integral
    value below 1e21 is an integer; see podpath.sources.yaml_values)."""
    number = float(text)
    if math.isinf(number):
        return text
    if number.is_integer() and abs(number) < _INT64:
        return int(number)
    return number


def _constant(text: str) -> str:
    """JSON's ``NaN``/``Infinity``/``-Infinity`` are plain strings to go-yaml."""
    return text


def has_long_number(text: str) -> bool:
    """Whether the text has a run of 19 or more digits (found with numpy: a regular
    expression tries every position). numpy loads here, not at import (a fast start)."""
    import numpy as np

    raw = np.frombuffer(text.encode("utf-8", errors="replace"), dtype=np.uint8)
    digits = np.concatenate(([False], (raw >= ord("0")) & (raw <= ord("9")), [False]))
    edges = np.flatnonzero(digits[1:] != digits[:-1])  # starts and ends of digit runs
    return bool(edges.size) and int((edges[1::2] - edges[::2]).max()) >= _LONG_RUN


class DuplicateKey(Exception):
    """A JSON object gives a key twice: left to the YAML path, which locates it."""


def unique_object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """A JSON object, refusing a key given twice (object_pairs_hook)."""
    out = dict(pairs)
    if len(out) != len(pairs):
        raise DuplicateKey
    return out


_JSON = json.JSONDecoder(
    parse_float=k8s_json_float, parse_constant=_constant, object_pairs_hook=unique_object
)


def json_documents(text: str) -> list[tuple[Any, int]] | None:
    """The documents of a stream whose every document is one JSON object, with the line of
    its ``{``; None when any part of the stream needs libyaml."""
    if not _JSON_FIRST.match(text):  # the first document is not an object: not worth it
        return None
    if has_long_number(text):  # a number that may not fit in 64 bits: the YAML path
        return None
    bodies = marker_bodies(text) if _json_safe_text(text) else None
    if bodies is None:
        return None
    may_alias = "&" in text
    out: list[tuple[Any, int]] = []
    for start, end, line in bodies:
        body = text[start:end]
        lead = len(body) - len(body.lstrip(" \n"))  # JSON's whitespace here (no tab, no CR)
        if lead == len(body) or body[lead] != "{":
            return None  # empty (a null document) or not an object
        if not _json_body_is_yaml(body, may_alias):
            return None
        try:
            value, stop = _JSON.raw_decode(body, lead)
        except (ValueError, RecursionError, DuplicateKey):
            return None
        if body[stop:].strip(" \n") or not isinstance(value, dict):
            return None
        out.append((value, line + body.count("\n", 0, lead)))
    return out


def _json_safe_text(text: str) -> bool:
    """No character that YAML reads differently from JSON (see _NOT_YAML_PLAIN; tabs and
    carriage returns are left to libyaml too), no escaped surrogate, no key whose ``:`` is
    on the next line."""
    if "\t" in text or "\r" in text:
        return False
    if text.isascii():
        if "\x7f" in text:
            return False
    elif _NOT_YAML_PLAIN.search(text):
        return False
    return not (_SURROGATE_ESCAPE.search(text) or _COLON_AT_LINE_START.search(text))


def marker_bodies(text: str) -> list[tuple[int, int, int]] | None:
    """(start, end, first line) of each document of the stream, split at ``---`` lines (the
    only document marker taken here: ``...``, ``--- x`` and directives go to libyaml)."""
    bodies: list[tuple[int, int, int]] = []
    start, line = 0, 1
    for marker in _MARKER_LINE.finditer(text):
        if marker.group() != "---":
            return None
        end = marker.start()
        if start > 0 or text[start:end].strip(" \n"):  # text before the first marker
            bodies.append((start, end, line))
        line += text.count("\n", start, marker.end()) + 1
        start = marker.end() + 1
    if start > 0 or text[start:].strip(" \n"):  # after a marker, even blank: a document
        bodies.append((start, len(text), line))
    return bodies


def _json_body_is_yaml(body: str, may_alias: bool) -> bool:
    """Limits libyaml and our own checks apply that a JSON body could hit: nesting (its
    brackets outside strings, counted when there are enough brackets), the expanded-node
    limit (a JSON node takes at least two characters), and the length of simple keys (only
    on lines longer than the limit)."""
    brackets = body.count("{") + body.count("[")
    if brackets > MAX_DEPTH and json_depth(body) > MAX_DEPTH:
        return False
    if may_alias and len(body) >= 2 * MAX_EXPANDED_NODES:
        return False
    if len(body) <= _SIMPLE_KEY_SPAN:
        return True
    for text_line in body.split("\n"):
        if len(text_line) <= _SIMPLE_KEY_SPAN:
            continue
        for string in JSON_STRING.finditer(text_line):
            colon = _SPACES_COLON.match(text_line, string.end())
            if colon is not None and colon.end() - string.start() > _SIMPLE_KEY_SPAN:
                return False
    return True
