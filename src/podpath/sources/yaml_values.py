"""YAML values as Kubernetes reads them: the JSON that sigs.k8s.io/yaml makes of a document.

kubectl and the API server turn YAML into JSON with sigs.k8s.io/yaml (``YAMLToJSON``), which
decodes the YAML with go-yaml v2 (YAML 1.1 scalar rules, not PyYAML's) and converts the result
to JSON (https://github.com/kubernetes-sigs/yaml/blob/aadfabb7d36952151672ec164d4220a6f0e31f63/yaml.go,
``yamlToJSONTarget``/``convertToJSONableObject``; the API server: k8s.io/apimachinery
pkg/runtime/serializer/json/json.go). This module gives the same values:

- plain scalars resolve as go-yaml v2's ``resolve`` (go.yaml.in/yaml/v2 v2.4.2 resolve.go):
  ``y/Y/yes/on/true`` and ``n/N/no/off/false`` (three spellings each) are booleans;
  ``~``, ``null`` and the empty scalar are null; integers are Go's ``ParseInt(s, 0, 64)``
  after removing ``_`` (``012`` is octal 10, ``0o14`` is 12, ``0x1F``, ``0b101``, ``1_000``);
  floats need ``[-+]?(\\.[0-9]+|[0-9]+(\\.[0-9]*)?)([eE][-+]?[0-9]+)?`` (so ``1e3`` is 1000) or
  a leading ``.``; ``.inf``/``.nan`` are floats; timestamps stay strings (decode.go: "for
  backward compatibility ... interface{} will continue to see a string"); everything else,
  ``=`` included, is a string;
- then as JSON: JSON has no NaN or infinity (``json: unsupported value``: the document is
  refused); numbers reach the API server as JSON literals, where an integer literal that fits
  in int64 is an integer and any other number a float (a float with an integral value below
  1e21 prints as an integer literal: ``1.0`` and ``1e3`` are stored as 1 and 1000);
- mapping keys become strings (``true``, ``1``, float keys as Go's ``%g`` of a float32); a
  null or collection key is refused; ``<<`` merges as go-yaml v2 does (in order, earlier maps
  of a merge list first); tags ``!!str``/``!!int``/``!!bool``/``!!float``/``!!null``/
  ``!!binary`` are applied, other tags ignored.

A key given twice in one mapping is refused with both locations: kubectl refuses it, and the
API server under ``fieldValidation=Strict`` (kubectl's default) reports it
(``YAMLToJSONStrict``). Keys that a ``<<`` merge brings may be overridden, as YAML defines.
"""

from __future__ import annotations

import base64
import binascii
import math
import re
from typing import Any

import yaml

from podpath.errors import InputError

PLAIN = "tag:podpath,2026:plain"  # the loader's tag of an untagged plain scalar
STR = "tag:yaml.org,2002:str"
SEQ = "tag:yaml.org,2002:seq"
MAP = "tag:yaml.org,2002:map"
_T = "tag:yaml.org,2002:"
_INT, _FLOAT, _BOOL, _NULL = _T + "int", _T + "float", _T + "bool", _T + "null"
_BINARY, _TIMESTAMP, _MERGE = _T + "binary", _T + "timestamp", _T + "merge"

MSG_DUPLICATE_KEY = "mapping key {key!r} already defined at line {first}"
MSG_NOT_JSON = "{value} has no JSON form (json: unsupported value), as kubectl refuses it"
MSG_NULL_KEY = "a mapping key is null (kubectl: unsupported map key)"
MSG_COLLECTION_KEY = "a mapping key is a {kind} (invalid map key)"
MSG_RECURSIVE = "an alias refers to a node that contains it (a recursive anchor)"
MSG_BAD_TAG = "cannot decode {got} `{value}` as a {tag}"
MSG_BAD_BINARY = "!!binary value contains invalid base64 data"
MSG_MERGE = "a << merge needs a mapping or a list of mappings"

_CONSTANTS: dict[str, Any] = {
    **dict.fromkeys(("y", "Y", "yes", "Yes", "YES", "true", "True", "TRUE"), True),
    **dict.fromkeys(("on", "On", "ON"), True),
    **dict.fromkeys(("n", "N", "no", "No", "NO", "false", "False", "FALSE"), False),
    **dict.fromkeys(("off", "Off", "OFF"), False),
    **dict.fromkeys(("", "~", "null", "Null", "NULL"), None),
    **dict.fromkeys((".nan", ".NaN", ".NAN"), math.nan),
    **dict.fromkeys((".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF"), math.inf),
    **dict.fromkeys(("-.inf", "-.Inf", "-.INF"), -math.inf),
}
_HINTED = frozenset("+-0123456789yYnNtTfFoO~.")  # go-yaml's resolveTable: other first
# characters are strings at once
_HINTED_KEYS = _HINTED | {""}
_GO_INT = re.compile(r"([-+]?)(0[bB][01]+|0[oO][0-7]+|0[xX][0-9a-fA-F]+|0[0-7]*|[1-9][0-9]*)")
_YAML_STYLE_FLOAT = re.compile(r"[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?")
_DOT_FLOAT = re.compile(r"\.[0-9]+(?:[eE][-+]?[0-9]+)?")  # Go's ParseFloat of ".5", ".5e3"
_INT64 = 1 << 63
_UINT64 = 1 << 64


class LocatedError(Exception):
    """A value error inside a document: the message, the line, and the field path (filled in
    as the error leaves each enclosing mapping and sequence)."""

    def __init__(self, message: str, line: int) -> None:
        super().__init__(message)
        self.message = message
        self.line = line
        self.path: list[str | int] = []

    def field(self) -> str:
        out = ""
        for part in reversed(self.path):
            out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else part)
        return out

    def input_error(self, name: str, first_line: int, doc_index: int, hint: str = "") -> InputError:
        return InputError(
            self.message + hint,
            path=name,
            line=self.line + first_line,
            doc_index=doc_index,
            field=self.field(),
        )


def resolve_plain(text: str) -> Any:
    """An untagged plain scalar's value as go-yaml v2 resolves it (see the module's rules)."""
    if text and text[0] not in _HINTED:
        return text
    if text in _CONSTANTS:
        return _CONSTANTS[text]
    first = text[0]
    if first == ".":
        return float(text) if _DOT_FLOAT.fullmatch(text) else text
    if first in "yYnNtTfFoO~":
        return text
    return _number(text)


def _number(text: str) -> Any:
    """Go's ParseInt(s, 0, 64), then ParseUint, then a YAML-style float, on ``s`` without
    ``_``; the text itself when none applies (a float out of range is an error to Go)."""
    plain = text.replace("_", "")
    match = _GO_INT.fullmatch(plain)
    if match is not None:
        value = _go_int(match)
        if value is not None:
            return value
    if _YAML_STYLE_FLOAT.fullmatch(plain):
        number = float(plain)
        if not math.isinf(number):
            return number
    return text


_PREFIXES = {"0b": 2, "0B": 2, "0o": 8, "0O": 8, "0x": 16, "0X": 16}
_MAX_DIGITS = {2: 64, 8: 22, 16: 16, 10: 20}  # digits of the largest uint64


def _go_int(match: re.Match[str]) -> int | None:
    """The value of Go's integer syntax (base prefixes, a leading 0 is octal) when it fits
    in int64, or else (without a sign) in uint64."""
    sign, body = match.groups()
    base = _PREFIXES.get(body[:2], 8 if body[0] == "0" else 10)
    digits = (body[2:] if body[:2] in _PREFIXES else body).lstrip("0") or "0"
    if len(digits) > _MAX_DIGITS[base]:
        return None  # beyond 64 bits (and never int() of thousands of digits)
    value = int(digits, base)
    if sign == "-":
        return -value if value <= _INT64 else None
    if value < _INT64 or (not sign and value < _UINT64):
        return value
    return None


def resolve_tagged(tag: str, text: str) -> Any:
    """A scalar with an explicit tag, as go-yaml v2's resolve(tag, in) and decoder do: !!str
    and unknown tags give the text; !!binary its bytes; the others must resolve to their own
    type (an integer may be a !!float); a !!timestamp stays a string."""
    if tag == _BINARY:
        try:
            data = base64.b64decode(re.sub(r"[\r\n]", "", text), validate=True)
        except (binascii.Error, ValueError):
            raise ValueError(MSG_BAD_BINARY) from None
        return data.decode("utf-8", errors="replace")
    if tag not in (_INT, _FLOAT, _BOOL, _NULL, _TIMESTAMP):
        return text
    value = resolve_plain(text) if text else None
    got = _tag_of(value)
    if tag == _TIMESTAMP and _looks_like_timestamp(text):
        return text
    if got == tag:
        return value
    if tag == _FLOAT and got == _INT:
        return float(value)  # type: ignore[arg-type]
    raise ValueError(
        MSG_BAD_TAG.format(got="!!" + got[len(_T) :], value=text, tag="!!" + tag[len(_T) :])
    )


def _tag_of(value: Any) -> str:
    if value is None:
        return _NULL
    if isinstance(value, bool):
        return _BOOL
    if isinstance(value, int):
        return _INT
    return _FLOAT if isinstance(value, float) else STR


_TIMESTAMP_FORMAT = re.compile(r"[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}(?:[Tt ].*)?")


def _looks_like_timestamp(text: str) -> bool:
    """go-yaml's parseTimestamp accepts dates ``YYYY-M-D`` with an optional time."""
    return _TIMESTAMP_FORMAT.fullmatch(text) is not None


def json_value(value: Any) -> Any:
    """A resolved scalar as the API server receives it in JSON (see the module's rules);
    raises ValueError for NaN and infinities."""
    if type(value) is float:
        if math.isnan(value) or math.isinf(value):
            raise ValueError(MSG_NOT_JSON.format(value=_go_float(value)))
        if value.is_integer() and abs(value) < _INT64:
            return int(value)
        return value
    if type(value) is int and not -_INT64 <= value < _INT64:
        return float(value)  # a uint64: the API server's JSON decoding makes it a float64
    return value


def json_key(value: Any) -> str:
    """A resolved scalar key as sigs.k8s.io/yaml turns it into a JSON object key."""
    if type(value) is str:
        return value
    if value is None:
        raise ValueError(MSG_NULL_KEY)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    return _go_float32_g(value)


def _go_float(value: float) -> str:
    return "NaN" if math.isnan(value) else ("+Inf" if value > 0 else "-Inf")


def _go_float32_g(value: float) -> str:
    """Go's ``strconv.FormatFloat(v, 'g', -1, 32)`` with go-yaml's names of the specials."""
    if math.isnan(value) or math.isinf(value):
        return {"NaN": ".nan", "+Inf": ".inf", "-Inf": "-.inf"}[_go_float(value)]
    if value == 0:
        return "-0" if math.copysign(1, value) < 0 else "0"
    import numpy as np  # here, not at import: only a float32 field needs it (a fast start)

    text = np.format_float_scientific(np.float32(value), unique=True, trim="-")
    mantissa, exponent = text.split("e")
    digits = mantissa.lstrip("-").replace(".", "")
    exp = int(exponent)
    sign = "-" if value < 0 else ""
    if exp < -4 or exp >= 6:  # shortest formatting decides with precision 6
        rest = f".{digits[1:]}" if len(digits) > 1 else ""
        return f"{sign}{digits[0]}{rest}e{'-' if exp < 0 else '+'}{abs(exp):02d}"
    if exp < 0:
        return f"{sign}0.{'0' * (-exp - 1)}{digits}"
    whole, frac = digits[: exp + 1].ljust(exp + 1, "0"), digits[exp + 1 :]
    return f"{sign}{whole}{'.' + frac if frac else ''}"


class Builder:
    """Builds the values of composed documents (one stream: plain scalars remembered)."""

    def __init__(self) -> None:
        self._plain: dict[str, Any] = {}
        self._memo: dict[int, Any] = {}
        self._open: set[int] = set()

    def document(self, root: yaml.Node) -> Any:
        self._memo.clear()
        return self.build(root)

    def plain(self, text: str) -> Any:
        value = self._plain.get(text, _MISSING)
        if value is _MISSING:
            try:
                value = json_value(resolve_plain(text))
            except ValueError as exc:
                value = _Refused(str(exc))
            self._plain[text] = value
        return value

    def build(self, node: yaml.Node) -> Any:
        """A node's value: one frame per level of nesting (MAX_DEPTH levels fit in Python's
        default recursion limit), collections remembered so that aliases share them. Plain
        keys that are words (most keys) skip the general key path."""
        if type(node) is yaml.ScalarNode:
            return self.scalar(node)
        memo = self._memo.get(id(node), _MISSING)
        if memo is not _MISSING:
            return self._alias(node, memo)
        self._open.add(id(node))
        if type(node) is yaml.MappingNode:
            out: Any = {}
            self._memo[id(node)] = out
            explicit: dict[str, int] | None = None  # after a merge: the keys written here
            for key_node, value_node in node.value:
                key = key_node.value
                if not (key_node.tag is STR or (key_node.tag is PLAIN and _word(key))):
                    key, explicit = self._key_of_pair(node, key_node, value_node, out, explicit)
                    if key is None:
                        continue
                elif key in (out if explicit is None else explicit):
                    self._duplicate(node, key, key_node)
                elif explicit is not None:
                    explicit[key] = 0
                try:
                    out[key] = self.build(value_node)
                except LocatedError as exc:
                    exc.path.append(key)
                    raise
        else:
            out = []
            self._memo[id(node)] = out
            for index, child in enumerate(node.value):
                try:
                    out.append(self.build(child))
                except LocatedError as exc:
                    exc.path.append(index)
                    raise
        self._open.discard(id(node))
        return out

    def _alias(self, node: yaml.Node, value: Any) -> Any:
        """An alias's value: the node's, built once; one that contains itself is refused."""
        if id(node) in self._open:
            raise LocatedError(MSG_RECURSIVE, node.start_mark.line)
        return value

    def scalar(self, node: yaml.ScalarNode) -> Any:
        tag = node.tag
        if tag is PLAIN:
            value = self._plain.get(node.value, _MISSING)
            if value is _MISSING:
                value = self.plain(node.value)
            if type(value) is _Refused:
                raise LocatedError(value.message, node.start_mark.line)
            return value
        if tag is STR:
            return node.value
        try:
            return json_value(resolve_tagged(tag, node.value))
        except ValueError as exc:
            raise LocatedError(str(exc), node.start_mark.line) from None

    def _key_of_pair(
        self,
        node: yaml.Node,
        key_node: yaml.Node,
        value_node: yaml.Node,
        out: dict[str, Any],
        explicit: dict[str, int] | None,
    ) -> tuple[str | None, dict[str, int] | None]:
        """The pair's key (None for a ``<<`` merge, done here), refusing a key given twice;
        and the keys written explicitly, once a merge has written others."""
        if _is_merge(key_node):
            explicit = explicit if explicit is not None else dict.fromkeys(out, 0)
            self._merge(value_node, out)
            return None, explicit
        key = self.key(key_node)
        if key in (explicit if explicit is not None else out):
            self._duplicate(node, key, key_node)
        if explicit is not None:
            explicit[key] = 0
        return key, explicit

    def _duplicate(self, node: yaml.Node, key: str, key_node: yaml.Node) -> None:
        first = _first_line(node, key, self, key_node)
        message = MSG_DUPLICATE_KEY.format(key=key, first=first)
        raise LocatedError(message, key_node.start_mark.line)

    def key(self, node: yaml.Node) -> str:
        if type(node) is not yaml.ScalarNode:
            kind = "mapping" if type(node) is yaml.MappingNode else "sequence"
            raise LocatedError(MSG_COLLECTION_KEY.format(kind=kind), node.start_mark.line)
        if node.tag == STR:
            return node.value  # type: ignore[no-any-return]
        try:
            if node.tag == PLAIN:
                return json_key(resolve_plain(node.value))
            return json_key(resolve_tagged(node.tag, node.value))
        except ValueError as exc:
            raise LocatedError(str(exc), node.start_mark.line) from None

    def _merge(self, node: yaml.Node, out: dict[str, Any]) -> None:
        """go-yaml v2's merge: a mapping's keys are set in ``out`` (overwriting); a list of
        mappings is applied from its last to its first, so earlier ones take precedence."""
        if type(node) is yaml.MappingNode:
            out.update(self.build(node))
        elif type(node) is yaml.SequenceNode and all(
            type(child) is yaml.MappingNode for child in node.value
        ):
            for child in reversed(node.value):
                out.update(self.build(child))
        else:
            raise LocatedError(MSG_MERGE, node.start_mark.line)


def _first_line(node: yaml.Node, key: str, builder: Builder, duplicate: yaml.Node) -> int:
    for key_node, _ in node.value:
        if key_node is duplicate:
            break
        if not _is_merge(key_node) and builder.key(key_node) == key:
            return int(key_node.start_mark.line) + 1
    return int(duplicate.start_mark.line) + 1


def _word(text: str) -> bool:
    """A plain scalar that go-yaml resolves to itself by its first character alone (and is
    not the merge key)."""
    return text[:1] not in _HINTED_KEYS and text != "<<"


def _is_merge(node: yaml.Node) -> bool:
    """go-yaml's isMerge: a plain ``<<`` (or one tagged !!merge)."""
    return type(node) is yaml.ScalarNode and node.value == "<<" and node.tag in (PLAIN, _MERGE)


class _Refused:
    """A plain scalar with no JSON form, remembered with its message."""

    __slots__ = ("message",)

    def __init__(self, message: str) -> None:
        self.message = message


_MISSING: Any = object()


def resolve_tag(kind: type[yaml.Node], value: str, implicit: tuple[bool, bool]) -> str:
    """The tag the loader gives a node without one: PLAIN for an untagged plain scalar (its
    value is resolved when built, by go-yaml's rules), STR for any other untagged scalar."""
    if kind is yaml.ScalarNode:
        return PLAIN if implicit[0] else STR
    return SEQ if kind is yaml.SequenceNode else MAP
