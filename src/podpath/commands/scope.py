"""What ``-n/--namespace``, ``-A/--all-namespaces`` and ``-l/--selector`` keep of an output.

The cluster is always read and evaluated whole (a policy in another namespace still decides a
verdict); a :class:`Scope` only filters what a command prints, as ``kubectl get -n``/``-l`` do.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from podpath.engine.selectors import selector_matches
from podpath.errors import InputError
from podpath.model.core import LabelSelector, SelectorOperator, SelectorRequirement

SELECTOR_DOC = (
    "https://kubernetes.io/docs/concepts/overview/working-with-objects/labels/#label-selectors"
)
_SPECIAL = "!=(),"
_NAME = r"[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?"
_KEY_RE = re.compile(rf"^([a-z0-9]([-a-z0-9.]{{0,251}}[a-z0-9])?/)?{_NAME}$")
_VALUE_RE = re.compile(rf"^({_NAME})?$")


def _tokens(text: str) -> list[str]:
    """Split a selector into identifiers and the operators ``! = == != ( ) ,`` (blanks
    delimit, as in apimachinery's lexer)."""
    out: list[str] = []
    i = 0
    while i < len(text):
        ch = text[i]
        if ch in " \t":
            i += 1
        elif text.startswith(("==", "!="), i):
            out.append(text[i : i + 2])
            i += 2
        elif ch in _SPECIAL:
            out.append(ch)
            i += 1
        else:
            j = i
            while j < len(text) and text[j] not in _SPECIAL + " \t":
                j += 1
            out.append(text[i:j])
            i = j
    return out


def parse_label_selector(text: str) -> LabelSelector:
    """A label selector string (``kubectl -l``) as a LabelSelector.

    The grammar of apimachinery's ``labels.Parse`` (SELECTOR_DOC; selector.go's doc comment)::

        <selector-syntax>   ::= <requirement> | <requirement> "," <selector-syntax>
        <requirement>       ::= [!] KEY [ <set-based-restriction> | <exact-match-restriction> ]
        <set-based-restriction>   ::= "" | <inclusion-exclusion> <value-set>
        <inclusion-exclusion>     ::= "in" | "notin"
        <value-set>               ::= "(" <values> ")"
        <values>                  ::= VALUE | VALUE "," <values>
        <exact-match-restriction> ::= ["="|"=="|"!="] VALUE

    Cases: ``k=v`` and ``k==v``: the key exists with that value (In {v}); ``k!=v``: the key
    is absent or has another value (NotIn {v}); ``k in (a,b)`` / ``k notin (a,b)``; ``k``:
    the key exists; ``!k``: it does not; the empty string is a valid VALUE (``k=``, and
    ``()`` is the set {""}); requirements separated by commas are ANDed.
    """
    toks = _tokens(text)
    if not toks:
        raise InputError("empty label selector", field="--selector")
    reqs: list[SelectorRequirement] = []
    pos = 0
    while True:
        req, pos = _requirement(toks, pos, text)
        reqs.append(req)
        if pos == len(toks):
            return LabelSelector(match_expressions=tuple(reqs))
        if toks[pos] != ",":
            raise _bad(text, f"found {toks[pos]!r}, expected ','")
        pos += 1


def _requirement(toks: list[str], pos: int, text: str) -> tuple[SelectorRequirement, int]:
    negate = pos < len(toks) and toks[pos] == "!"
    pos += negate
    key = toks[pos] if pos < len(toks) else ""
    if not _KEY_RE.match(key):
        raise _bad(text, f"invalid key {key!r}")
    pos += 1
    op = toks[pos] if pos < len(toks) else ","
    if negate or op == ",":
        kind = SelectorOperator.DOES_NOT_EXIST if negate else SelectorOperator.EXISTS
        return SelectorRequirement(key, kind), pos
    if op in ("=", "==", "!="):
        value = toks[pos + 1] if pos + 1 < len(toks) and toks[pos + 1] != "," else ""
        pos += 2 if value else 1
        kind = SelectorOperator.NOT_IN if op == "!=" else SelectorOperator.IN
        return SelectorRequirement(key, kind, (_value(value, text),)), pos
    if op in ("in", "notin"):
        values, pos = _value_set(toks, pos + 1, text)
        kind = SelectorOperator.IN if op == "in" else SelectorOperator.NOT_IN
        return SelectorRequirement(key, kind, values), pos
    raise _bad(text, f"found {op!r}, expected one of = == != in notin ,")


def _value_set(toks: list[str], pos: int, text: str) -> tuple[tuple[str, ...], int]:
    if pos >= len(toks) or toks[pos] != "(":
        raise _bad(text, "expected '(' after in/notin")
    values: list[str] = []
    pos += 1
    current = ""
    while pos < len(toks) and toks[pos] != ")":
        if toks[pos] == ",":
            values.append(current)
            current = ""
        elif current:
            raise _bad(text, f"found {toks[pos]!r}, expected ',' or ')'")
        else:
            current = _value(toks[pos], text)
        pos += 1
    if pos >= len(toks):
        raise _bad(text, "missing ')'")
    values.append(current)
    return tuple(sorted(set(values))), pos + 1


def _value(value: str, text: str) -> str:
    if not _VALUE_RE.match(value):
        raise _bad(text, f"invalid value {value!r}")
    return value


def _bad(text: str, why: str) -> InputError:
    return InputError(f"label selector {text!r}: {why} ({SELECTOR_DOC})", field="--selector")


@dataclass(frozen=True)
class Scope:
    """The namespaces and label selector an output is restricted to (empty: everything)."""

    namespaces: tuple[str, ...] = ()
    selector: LabelSelector | None = None

    @property
    def default_namespace(self) -> str | None:
        """The namespace a bare name (without ``NS/``) is looked up in: the one ``-n``."""
        return self.namespaces[0] if len(self.namespaces) == 1 else None

    @property
    def is_everything(self) -> bool:
        return not self.namespaces and self.selector is None

    def has_namespace(self, namespace: str | None) -> bool:
        """Whether objects of ``namespace`` are kept (cluster-scoped ones only without -n)."""
        return not self.namespaces or namespace in self.namespaces

    def selects(self, labels: Mapping[str, str]) -> bool:
        return self.selector is None or selector_matches(self.selector, labels)

    def keeps(self, namespace: str | None, labels: Mapping[str, str] | None = None) -> bool:
        """Namespace in scope and, when ``labels`` are given, selected by ``-l``."""
        if not self.has_namespace(namespace):
            return False
        return labels is None or self.selects(labels)

    def keeps_name(self, name: str | None) -> bool:
        """A podpath object name in scope by its namespace: ``NS/NAME``, ``NS/KIND/NAME``,
        ``svc:NS/NAME`` or ``Kind/NS/NAME`` (the namespace is the part before the name)."""
        return self.has_namespace(name_namespace(name)) if self.namespaces else True

    def qualify(self, name: str) -> str:
        """``NAME`` -> ``NS/NAME`` and ``svc:NAME`` -> ``svc:NS/NAME`` when one ``-n NS`` is
        given; other names unchanged."""
        ns = self.default_namespace
        if ns and name.startswith("svc:") and "/" not in name:
            return f"svc:{ns}/{name[4:]}"
        return f"{ns}/{name}" if ns and "/" not in name and ":" not in name else name


def name_namespace(name: str | None) -> str | None:
    """The namespace in a podpath object name (see :meth:`Scope.keeps_name`), else None."""
    if not name:
        return None
    text = name.split(":", 1)[1] if name.startswith("svc:") else name
    parts = text.split("/")
    if parts[0][:1].isupper():  # Kind/NS/NAME, Namespace/NS; Kind/NAME is cluster-scoped
        if parts[0] == "Namespace" and len(parts) == 2:
            return parts[1]
        return parts[1] if len(parts) == 3 else None
    return parts[0] if len(parts) >= 2 else None
