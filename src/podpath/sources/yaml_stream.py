"""A YAML stream -> (value, line) per document: libyaml composes, podpath builds the values
as Kubernetes reads them (:mod:`podpath.sources.yaml_values`), after the hostile-structure
checks (:mod:`podpath.sources.yaml_safety`).

Documents of kinds the caller does not model (``modelled``) are skipped without building
them: only ``apiVersion``, ``kind`` and ``metadata`` are read. Where the stream is split by
bare ``---`` lines, such a document is not even composed: its kind is read from its text
first, and libyaml's events of it are walked (still parsed, so the file must be YAML; still
under the nesting check) to take those three fields. Any stream in which that plan meets an
error is read again the general way, so errors are the general path's own.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Callable, Iterator
from typing import Any

import yaml

from podpath.errors import MSG_ALIAS_BOMB, MSG_TEMPLATE_HINT, MSG_TOO_DEEP, MSG_YAML, InputError
from podpath.sources.json_stream import json_documents, marker_bodies
from podpath.sources.yaml_safety import (
    MAX_DEPTH,
    MAX_EXPANDED_NODES,
    RECURSIVE,
    SAFE_TEXT_DEPTH,
    check_depth_by_events,
    expanded_size,
    text_depth_bound,
)
from podpath.sources.yaml_values import (
    MAP,
    MSG_RECURSIVE,
    PLAIN,
    SEQ,
    STR,
    Builder,
    LocatedError,
    resolve_plain,
    resolve_tag,
)

Modelled = Callable[[str], bool]
KEPT_FIELDS = ("apiVersion", "kind", "metadata")  # what a skipped kind's document keeps

_BaseLoader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class Loader(_BaseLoader):  # type: ignore[valid-type,misc]
    """libyaml's loader composing nodes only; untagged plain scalars get the PLAIN tag (their
    value is resolved by go-yaml's rules when built), which also spares PyYAML's regular
    expressions on every scalar."""

    def resolve(self, kind: type[yaml.Node], value: Any, implicit: Any) -> str:
        if kind is yaml.ScalarNode:
            return PLAIN if implicit[0] else STR
        return SEQ if kind is yaml.SequenceNode else MAP

    def descend_resolver(self, current_node: Any, current_index: Any) -> None:
        """No path resolvers: nothing to track (PyYAML's version checks for them)."""

    def ascend_resolver(self) -> None:
        """No path resolvers: nothing to track."""


def skips(kind: Any, modelled: Modelled | None) -> bool:
    """Whether a document of ``kind`` is skipped (``*List`` kinds hold objects: never)."""
    return (
        modelled is not None
        and isinstance(kind, str)
        and bool(kind)
        and not kind.endswith("List")
        and not modelled(kind)
    )


def parse_yaml(text: str, name: str, modelled: Modelled | None = None) -> Iterator[tuple[Any, int]]:
    """(value, first line) of each document of a YAML stream (a null document gives None)."""
    fast = json_documents(text)
    if fast is not None:
        yield from fast
        return
    if text_depth_bound(text) > SAFE_TEXT_DEPTH:
        try:
            check_depth_by_events(text, name)
        except yaml.YAMLError as exc:
            raise yaml_error(exc, name) from None
    if modelled is not None:
        planned = _planned(text, name, modelled)
        if planned is not None:
            yield from planned
            return
    yield from compose_stream(text, name, 1, modelled, template="{{" in text)


def compose_stream(
    text: str,
    name: str,
    first_line: int,
    modelled: Modelled | None,
    *,
    template: bool = False,
    first_index: int = 0,
) -> Iterator[tuple[Any, int]]:
    """Compose and build each document of ``text`` (its line 1 is ``first_line``, its first
    document the stream's ``first_index``)."""
    may_alias = "&" in text
    loader = Loader(text)
    builder = Builder()
    index = first_index - 1
    try:
        while loader.check_node():
            index += 1
            node = loader.get_node()
            if node is None:
                continue
            line = node.start_mark.line + first_line
            if may_alias:
                size = expanded_size(node)
                if size == RECURSIVE:
                    raise InputError(MSG_RECURSIVE, path=name, doc_index=index, line=line)
                if size > MAX_EXPANDED_NODES:
                    message = MSG_ALIAS_BOMB.format(limit=MAX_EXPANDED_NODES)
                    raise InputError(message, path=name, doc_index=index, line=line)
            try:
                yield _document(node, builder, modelled), line
            except LocatedError as exc:
                hint = MSG_TEMPLATE_HINT if template else ""
                raise exc.input_error(name, first_line, index, hint) from None
            except RecursionError:
                message = MSG_TOO_DEEP.format(limit=MAX_DEPTH)
                raise InputError(message, path=name, line=line) from None
    except yaml.YAMLError as exc:
        raise yaml_error(exc, name, template=template, first_line=first_line) from None
    finally:
        loader.dispose()


def _document(node: yaml.Node, builder: Builder, modelled: Modelled | None) -> Any:
    """The document's value; of a skipped kind, only its KEPT_FIELDS."""
    if modelled is not None and type(node) is yaml.MappingNode:
        kept = [(k, v) for k, v in node.value if type(k) is yaml.ScalarNode]
        kept = [(k, v) for k, v in kept if k.value in KEPT_FIELDS]
        kind = next((v for k, v in kept if k.value == "kind"), None)
        if type(kind) is yaml.ScalarNode and skips(kind.value, modelled):
            partial = yaml.MappingNode(node.tag, kept, node.start_mark, node.end_mark)
            return builder.document(partial)
    return builder.document(node)


# -- the plan: skipped kinds read from events, the rest composed ---------------------------

_KIND_LINE = re.compile(
    r"^kind:[ \t]*([\"']?)([A-Za-z][A-Za-z0-9]*)\1[ \t]*(?:#.*)?$", re.MULTILINE
)


def _planned(text: str, name: str, modelled: Modelled) -> list[tuple[Any, int]] | None:
    """The documents when the stream splits at bare ``---`` lines and some document's kind
    (from its ``kind:`` line) is skipped; None to read the stream the general way."""
    if "\r" in text or text.startswith("\ufeff"):
        return None
    bodies = marker_bodies(text)
    if bodies is None:
        return None
    starts = [start for start, _, _ in bodies]
    candidates = set()
    for match in _KIND_LINE.finditer(text):
        index = bisect.bisect_right(starts, match.start()) - 1
        start, end, _ = bodies[index]
        if skips(match.group(2), modelled) and "&" not in text[start:end]:
            candidates.add(index)
    if not candidates:
        return None
    try:
        return list(_read_planned(text, name, modelled, bodies, candidates))
    except (InputError, yaml.YAMLError):
        return None  # the general way gives the error, with its own message and location


def _read_planned(
    text: str,
    name: str,
    modelled: Modelled,
    bodies: list[tuple[int, int, int]],
    candidates: set[int],
) -> Iterator[tuple[Any, int]]:
    run: list[int] = []
    for index, (start, end, line) in enumerate(bodies):
        skipped = _skipped_document(text[start:end]) if index in candidates else None
        if skipped is not None and skips(skipped.get("kind"), modelled):
            yield from _composed_run(text, name, modelled, bodies, run)
            run = []
            yield skipped, line + skipped.pop("\0line")
        else:
            run.append(index)
    yield from _composed_run(text, name, modelled, bodies, run)


def _composed_run(
    text: str,
    name: str,
    modelled: Modelled,
    bodies: list[tuple[int, int, int]],
    run: list[int],
) -> Iterator[tuple[Any, int]]:
    """The documents of consecutive bodies, composed as one stream: from the ``---`` line
    before the first (so a blank first body is still a null document), or from the start of
    the text for a first body that no marker precedes."""
    if not run:
        return
    start, _, line = bodies[run[0]]
    end = bodies[run[-1]][1]
    if start > 0:
        start -= len("---\n")
        line -= 1
    elif _blank(text[: bodies[run[0]][1]]):
        run = run[1:]  # comments before the first marker: no document at all
        if not run:
            return
    docs = list(compose_stream(text[start:end], name, line, modelled))
    if len(docs) != len(run):
        raise InputError("documents split differently", path=name)
    yield from docs


def _blank(text: str) -> bool:
    return all(not part.strip() or part.lstrip().startswith("#") for part in text.split("\n"))


_OPEN = (yaml.MappingStartEvent, yaml.SequenceStartEvent)
_CLOSE = (yaml.MappingEndEvent, yaml.SequenceEndEvent)


def _skipped_document(body: str) -> dict[str, Any] | None:
    """KEPT_FIELDS of a document that is one block mapping, from libyaml's events; None when
    it needs composing (not a mapping, aliases, a repeated or odd top-level key)."""
    parser = _BaseLoader(body)
    try:
        return _kept_fields(parser.get_event)
    finally:
        parser.dispose()


def _kept_fields(next_event: Callable[[], yaml.Event]) -> dict[str, Any] | None:
    head = [next_event() for _ in range(3)]
    if not isinstance(head[2], yaml.MappingStartEvent) or head[2].anchor is not None:
        return None
    out: dict[str, Any] = {"\0line": getattr(head[2].start_mark, "line", 0)}
    seen: set[str] = set()
    while True:
        event = next_event()
        if type(event) is yaml.MappingEndEvent:
            break
        if type(event) is not yaml.ScalarEvent or event.anchor is not None:
            return None
        key = event.value if event.tag is None else None
        if key is None or key in seen or resolve_plain(key) != key:
            return None
        seen.add(key)
        if key in KEPT_FIELDS:
            value = _event_value(next_event)
            if value is _ABORT:
                return None
            out[key] = value
        elif not _skip_value(next_event):
            return None
    while (event := next_event()) is not None and type(event) is not yaml.StreamEndEvent:
        pass  # libyaml still checks what follows the mapping
    return out


def _skip_value(next_event: Callable[[], yaml.Event]) -> bool:
    """Walk past one value's events; False on an alias (compose it instead: the document
    has no anchor, so libyaml's composer refuses it)."""
    depth = 0
    while True:
        kind = type(next_event())
        if kind in _OPEN:
            depth += 1
        elif kind in _CLOSE:
            depth -= 1
        elif kind is not yaml.ScalarEvent:
            return False
        if depth == 0:
            return True


_ABORT: Any = object()


def _event_value(next_event: Callable[[], yaml.Event]) -> Any:
    """One value built from its events (the fields kept are small), or _ABORT; _END for
    the end of the enclosing collection."""
    event: Any = next_event()
    kind = type(event)
    if kind is yaml.AliasEvent or getattr(event, "anchor", None) is not None:
        return _ABORT
    if kind is yaml.ScalarEvent:
        tag = event.tag or resolve_tag(yaml.ScalarNode, event.value, event.implicit)
        try:
            return Builder().scalar(yaml.ScalarNode(tag, event.value, event.start_mark))
        except LocatedError:
            return _ABORT
    if kind is yaml.SequenceStartEvent:
        items = []
        while (item := _event_value(next_event)) is not _END:
            if item is _ABORT:
                return _ABORT
            items.append(item)
        return items
    if kind is yaml.MappingStartEvent:
        return _event_mapping(next_event)
    return _END


_END: Any = object()


def _event_mapping(next_event: Callable[[], yaml.Event]) -> Any:
    out: dict[str, Any] = {}
    while (key := _event_value(next_event)) is not _END:
        if key is _ABORT or type(key) is not str or key in out:
            return _ABORT
        value = _event_value(next_event)
        if value is _ABORT or value is _END:
            return _ABORT
        out[key] = value
    return out


def yaml_error(
    exc: yaml.YAMLError, name: str, *, template: bool = False, first_line: int = 1
) -> InputError:
    """libyaml's error as one located line (libyaml's own nesting limit as ours)."""
    mark = getattr(exc, "problem_mark", None)
    problem = getattr(exc, "problem", None) or str(exc)
    if "maximum nesting depth" in problem:  # libyaml's own limit, reached first
        line = mark.line + first_line if mark is not None else None
        return InputError(MSG_TOO_DEEP.format(limit=MAX_DEPTH), path=name, line=line)
    line = mark.line + first_line if mark is not None else 0
    column = mark.column + 1 if mark is not None else 0
    hint = MSG_TEMPLATE_HINT if template else ""
    return InputError(MSG_YAML.format(problem=problem, line=line, column=column) + hint, path=name)
