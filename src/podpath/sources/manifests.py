"""Manifests: files, folders and standard input -> raw documents with their locations.

Accepts multi-document YAML, JSON, ``kind: List`` and the ``*List`` kinds that
``kubectl get -o yaml`` writes. Hostile input is refused in bounded time and memory: a size
limit per file, a nesting limit checked before libyaml recurses, and an alias-expansion
limit checked on the composed node graph before anything is constructed.
"""

from __future__ import annotations

import json
import os
import re
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import yaml

from podpath.errors import (
    MSG_ALIAS_BOMB,
    MSG_JSON,
    MSG_NO_SUCH_PATH,
    MSG_NOT_A_MAPPING,
    MSG_TEMPLATE_HINT,
    MSG_TOO_DEEP,
    MSG_TOO_LARGE,
    MSG_YAML,
    InputError,
)
from podpath.gcpause import gc_paused
from podpath.model.core import SourceRef

MAX_BYTES = int(os.environ.get("PODPATH_MAX_BYTES", str(256 * 1024 * 1024)))
MAX_DEPTH = 500  # below libyaml's own limit (1000 levels in PyYAML >= 6.0.4's build)
MAX_EXPANDED_NODES = 5_000_000
_SAFE_TEXT_DEPTH = MAX_DEPTH  # below this bound libyaml's recursive composer is safe
MANIFEST_SUFFIXES = (".yaml", ".yml", ".json")

_BaseLoader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_MEMO_SCALAR = 64  # resolutions of scalars up to this length are remembered per stream


class _Loader(_BaseLoader):  # type: ignore[valid-type,misc]
    """libyaml's safe loader with PyYAML's tag resolution of short plain scalars remembered
    per stream: without path resolvers (SafeLoader has none) the tag is a function of the
    kind, the value and the implicit flags only, and manifests repeat the same keys."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self._resolved: dict[tuple[str, tuple[bool, bool]], str] = {}
        self._memo = not self.yaml_path_resolvers

    def resolve(self, kind: type[yaml.Node], value: Any, implicit: Any) -> str:
        if kind is yaml.ScalarNode and self._memo and len(value) <= _MEMO_SCALAR:
            key = (value, implicit)
            tag = self._resolved.get(key)
            if tag is None:
                tag = self._resolved[key] = super().resolve(kind, value, implicit)
            return tag
        return super().resolve(kind, value, implicit)  # type: ignore[no-any-return]


@dataclass(frozen=True, slots=True)
class RawDoc:
    """One Kubernetes object as parsed, with where it came from."""

    data: dict[str, Any]
    source: SourceRef


def manifest_files(path: str) -> list[Path]:
    """The manifest files under ``path``: the file itself, or a folder's .yaml/.yml/.json
    files read recursively in sorted order (hidden folders skipped)."""
    p = Path(path)
    if p.is_file():
        return [p]
    if p.is_dir():
        found = [
            f
            for f in p.rglob("*")
            if f.is_file()
            and f.suffix.lower() in MANIFEST_SUFFIXES
            and not any(part.startswith(".") for part in f.relative_to(p).parts)
        ]
        return sorted(found)
    raise InputError(MSG_NO_SUCH_PATH, path=path)


@gc_paused
def load_paths(paths: Iterable[str], stdin: IO[bytes] | None = None) -> list[RawDoc]:
    """Read every path (``-`` is standard input) into raw documents, in a stable order."""
    docs: list[RawDoc] = []
    for path in paths:
        if path == "-":
            stream = stdin if stdin is not None else sys.stdin.buffer
            docs.extend(parse_text(_read_limited(stream, "-"), "-"))
            continue
        for file in manifest_files(path):
            try:
                with open(file, "rb") as fh:
                    data = _read_limited(fh, str(file))
            except OSError as exc:
                raise InputError(exc.strerror or str(exc), path=str(file)) from None
            docs.extend(parse_text(data, str(file)))
    return docs


def _read_limited(stream: IO[bytes], name: str) -> bytes:
    data = stream.read(MAX_BYTES + 1)
    if len(data) > MAX_BYTES:
        raise InputError(MSG_TOO_LARGE.format(limit=MAX_BYTES), path=name)
    return data


@gc_paused
def parse_text(data: bytes, name: str) -> list[RawDoc]:
    """Parse one file's bytes (YAML stream or JSON) into raw documents, lists flattened."""
    text = data.decode("utf-8", errors="replace")
    stripped = text.lstrip()
    if name.lower().endswith(".json") or (stripped.startswith("{") and name == "-"):
        parsed = [_parse_json(text, name)]
    else:
        parsed = list(_parse_yaml(text, name))
    docs: list[RawDoc] = []
    for index, (value, line) in enumerate(parsed):
        if value is None:
            continue
        if not isinstance(value, dict):
            raise InputError(
                MSG_NOT_A_MAPPING.format(got=type(value).__name__), path=name, doc_index=index
            )
        docs.extend(_flatten(value, SourceRef(name, index, line), name))
    return docs


def _flatten(value: dict[str, Any], source: SourceRef, name: str) -> Iterator[RawDoc]:
    """``kind: List`` and ``*List`` kinds hold their objects under ``items``."""
    kind = value.get("kind")
    if isinstance(kind, str) and kind.endswith("List") and "items" in value:
        items = value.get("items") or []
        if not isinstance(items, list):
            raise InputError(
                "expected a list", path=name, doc_index=source.doc_index, field="items"
            )
        item_kind = kind[: -len("List")]
        for item in items:
            if not isinstance(item, dict):
                raise InputError(
                    MSG_NOT_A_MAPPING.format(got=type(item).__name__),
                    path=name,
                    doc_index=source.doc_index,
                    field="items",
                )
            if item_kind and item_kind != "" and "kind" not in item:
                item = {**item, "kind": item_kind}
            yield from _flatten(item, source, name)
        return
    yield RawDoc(value, source)


def _parse_json(text: str, name: str) -> tuple[Any, int]:
    try:
        return json.loads(text), 1
    except json.JSONDecodeError as exc:
        raise InputError(
            MSG_JSON.format(problem=exc.msg, line=exc.lineno, column=exc.colno), path=name
        ) from None
    except RecursionError:
        raise InputError(MSG_TOO_DEEP.format(limit=MAX_DEPTH), path=name) from None


_DEPTH_CHUNK = 1 << 22
_SMALL_TEXT = 1 << 20  # below this, pure Python (no numpy import: a fast start, issue 14)
_NOT_BRACKETS = bytes(b for b in range(256) if b not in b"[]{}")


def _text_depth_bound(text: str) -> int:
    """An upper bound of the nesting depth: flow brackets plus the longest line (block
    nesting cannot exceed a line's length). Large texts are scanned with numpy, in chunks of
    4 MiB (a running bracket sum carried across them), so memory stays small."""
    data = text.encode("utf-8", errors="replace")
    if not data:
        return 0
    if len(data) < _SMALL_TEXT:
        longest = max(len(line) for line in data.split(b"\n")) + 1
        return _bracket_depth(data) + longest
    import numpy as np

    raw = np.frombuffer(data, dtype=np.uint8)
    newlines = np.flatnonzero(raw == ord("\n"))
    bounds = np.concatenate(([-1], newlines, [raw.size]))
    longest = int(np.diff(bounds).max())
    return _bracket_depth(data) + longest


def _bracket_depth(data: bytes) -> int:
    """The deepest running sum of opening minus closing brackets (at least 0)."""
    if len(data) < _SMALL_TEXT:
        deepest = level = 0
        for ch in data.translate(None, _NOT_BRACKETS):
            level += 1 if ch in b"[{" else -1
            deepest = max(deepest, level)
        return deepest
    import numpy as np

    step = np.zeros(256, dtype=np.int8)
    step[[ord("["), ord("{")]] = 1
    step[[ord("]"), ord("}")]] = -1
    raw = np.frombuffer(data, dtype=np.uint8)
    deepest, level = 0, 0
    for start in range(0, raw.size, _DEPTH_CHUNK):
        steps = step[raw[start : start + _DEPTH_CHUNK]]
        steps = steps[steps != 0]  # only brackets move the depth
        if steps.size:
            depth = np.cumsum(steps, dtype=np.int64)
            deepest = max(deepest, level + int(depth.max()))
            level += int(depth[-1])
    return deepest


def _json_depth(body: str) -> int:
    """The nesting depth of a JSON text: its brackets outside strings (a JSON string holds
    no line break, so strings are found line by line; on text that is not JSON the figure
    is meaningless, and the JSON parser then refuses the text anyway)."""
    structure = _JSON_STRING.sub("", body)
    return _bracket_depth(structure.encode("utf-8", errors="replace"))


def _check_depth_by_events(text: str, name: str) -> None:
    depth = 0
    for event in yaml.parse(text, Loader=_Loader):
        if isinstance(event, yaml.CollectionStartEvent):
            depth += 1
            if depth > MAX_DEPTH:
                line = event.start_mark.line + 1 if event.start_mark else None
                raise InputError(MSG_TOO_DEEP.format(limit=MAX_DEPTH), path=name, line=line)
        elif isinstance(event, yaml.CollectionEndEvent):
            depth -= 1


def _expanded_size(root: yaml.Node) -> int:
    """Number of nodes the document expands to, aliases counted at every use (memoised)."""
    memo: dict[int, int] = {}
    order: list[yaml.Node] = []
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    while stack:
        node, done = stack.pop()
        if id(node) in memo:
            continue
        if done:
            total = 1
            for child in _children(node):
                total += memo[id(child)]
                if total > MAX_EXPANDED_NODES:
                    return total
            memo[id(node)] = total
            order.append(node)
            continue
        stack.append((node, True))
        for child in _children(node):
            if id(child) not in memo:
                stack.append((child, False))
    return memo[id(root)]


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    if isinstance(node, yaml.MappingNode):
        return [part for pair in node.value for part in pair]
    return []


# -- JSON documents in a YAML stream -------------------------------------------------------
# Tools that turn ``kubectl -o json`` into a stream (and bench/generate.py) write ``---``
# lines each followed by one JSON object. JSON is (almost) a subset of YAML 1.1: such a
# document is read with json.loads when that provably gives what PyYAML gives, and the whole
# stream goes to libyaml otherwise (so errors, locations and limits are PyYAML's own).
_MARKER_LINE = re.compile(r"^(?:---|\.\.\.|%).*$", re.MULTILINE)  # markers and directives
_COLON_AT_LINE_START = re.compile(r"\n[ ]*:")  # a key and its ':' on different lines
_JSON_STRING = re.compile(r'"(?:[^"\\\n]|\\.)*"')
_SPACES_COLON = re.compile(r"[ ]*:")
# Characters YAML reads differently from JSON: outside YAML's printable set (the reader
# refuses them), or line breaks to YAML 1.1 only (NEL, LS, PS fold inside strings).
_NOT_YAML_PLAIN = re.compile(
    "[^\n\x20-\x7e\xa0-\u2027\u202a-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]"
)
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")  # libyaml refuses escaped surrogates
_SIMPLE_KEY_SPAN = 1000  # libyaml: a key must end within 1024 characters of its start
_JSON_FIRST = re.compile(r"[ \n]*(?:---\n[ \n]*)?\{")
_YAML11_FLOAT = re.compile(r"-?[0-9]+\.[0-9]*(?:[eE][-+][0-9]+)?")


def _yaml11_number(text: str) -> float | str:
    """A JSON number with a fraction or exponent as YAML 1.1 resolves it: a float only with
    a ``.`` and a signed exponent if any (``1.5e+3``); ``1e3``/``1.5e3`` stay strings."""
    return float(text) if _YAML11_FLOAT.fullmatch(text) else text


def _yaml11_constant(text: str) -> str:
    """JSON's ``NaN``/``Infinity``/``-Infinity`` are plain strings in YAML 1.1."""
    return text


_JSON = json.JSONDecoder(parse_float=_yaml11_number, parse_constant=_yaml11_constant)


def _json_documents(text: str) -> list[tuple[Any, int]] | None:
    """The documents of a stream whose every document is one JSON object, with the line of
    its ``{``; None when any part of the stream needs libyaml."""
    if not _JSON_FIRST.match(text):  # the first document is not an object: not worth it
        return None
    bodies = _json_bodies(text) if _json_safe_text(text) else None
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
        except (ValueError, RecursionError):
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


def _json_bodies(text: str) -> list[tuple[int, int, int]] | None:
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
    if brackets > MAX_DEPTH and _json_depth(body) > MAX_DEPTH:
        return False
    if may_alias and len(body) >= 2 * MAX_EXPANDED_NODES:
        return False
    if len(body) <= _SIMPLE_KEY_SPAN:
        return True
    for text_line in body.split("\n"):
        if len(text_line) <= _SIMPLE_KEY_SPAN:
            continue
        for string in _JSON_STRING.finditer(text_line):
            colon = _SPACES_COLON.match(text_line, string.end())
            if colon is not None and colon.end() - string.start() > _SIMPLE_KEY_SPAN:
                return False
    return True


def _parse_yaml(text: str, name: str) -> Iterator[tuple[Any, int]]:
    fast = _json_documents(text)
    if fast is not None:
        yield from fast
        return
    if _text_depth_bound(text) > _SAFE_TEXT_DEPTH:
        try:
            _check_depth_by_events(text, name)
        except yaml.YAMLError as exc:
            raise _yaml_error(exc, name) from None
    may_alias = "&" in text
    loader = _Loader(text)
    try:
        while loader.check_node():
            node = loader.get_node()
            if node is None:
                continue
            if may_alias and _expanded_size(node) > MAX_EXPANDED_NODES:
                raise InputError(
                    MSG_ALIAS_BOMB.format(limit=MAX_EXPANDED_NODES),
                    path=name,
                    line=node.start_mark.line + 1,
                )
            yield _construct(node, loader), node.start_mark.line + 1
    except yaml.YAMLError as exc:
        raise _yaml_error(exc, name, template="{{" in text) from None
    finally:
        loader.dispose()


_INT = "tag:yaml.org,2002:int"
_STR = "tag:yaml.org,2002:str"
_SEQ = "tag:yaml.org,2002:seq"
_MAP = "tag:yaml.org,2002:map"
_NULL = "tag:yaml.org,2002:null"
_BOOL = "tag:yaml.org,2002:bool"


def _scalar(node: yaml.Node) -> Any:
    """A plain scalar: str, decimal int, bool or null; anything else needs PyYAML."""
    tag = node.tag
    if tag == _STR:
        return node.value
    if tag == _INT:
        digits = node.value.replace("_", "").lstrip("+-")
        if not digits.isdigit() or (digits.startswith("0") and len(digits) > 1):
            raise _Slow
        return int(node.value.replace("_", ""))
    if tag == _NULL:
        return None
    if tag == _BOOL:
        return node.value.lower() in ("yes", "true", "on")
    raise _Slow


def _construct(root: yaml.Node, loader: yaml.SafeLoader) -> Any:
    """Build Python values from a composed document.

    A fast path for the plain YAML that manifests are (maps, sequences, str/int/bool/null);
    anything else (floats, timestamps, merge keys, binary) goes to PyYAML's own constructor,
    so the result is always what ``yaml.safe_load`` gives. Aliases yield the same object.
    """
    memo: dict[int, Any] = {}

    def build(node: yaml.Node) -> Any:
        if id(node) in memo:
            return memo[id(node)]
        if node.tag == _MAP:
            mapping: dict[Any, Any] = {}
            memo[id(node)] = mapping
            for key_node, value_node in node.value:
                if key_node.tag not in (_STR, _INT):
                    raise _Slow
                mapping[_scalar(key_node)] = build(value_node)
            return mapping
        if node.tag == _SEQ:
            sequence: list[Any] = []
            memo[id(node)] = sequence
            sequence.extend(build(child) for child in node.value)
            return sequence
        value = memo[id(node)] = _scalar(node)
        return value

    try:
        return build(root)
    except (_Slow, RecursionError):
        return loader.construct_document(root)


class _Slow(Exception):
    """The document needs PyYAML's full constructor."""


def _yaml_error(exc: yaml.YAMLError, name: str, *, template: bool = False) -> InputError:
    mark = getattr(exc, "problem_mark", None)
    problem = getattr(exc, "problem", None) or str(exc)
    if "maximum nesting depth" in problem:  # libyaml's own limit, reached first
        line = mark.line + 1 if mark is not None else None
        return InputError(MSG_TOO_DEEP.format(limit=MAX_DEPTH), path=name, line=line)
    line = mark.line + 1 if mark is not None else 0
    column = mark.column + 1 if mark is not None else 0
    hint = MSG_TEMPLATE_HINT if template else ""
    return InputError(MSG_YAML.format(problem=problem, line=line, column=column) + hint, path=name)
