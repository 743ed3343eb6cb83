"""Hostile YAML refused in bounded time and memory, before anything is built.

- nesting: an upper bound computed from the text (numpy for large texts), and only when that
  bound is over the limit, a walk over libyaml's events that stops at the limit (libyaml's
  composer recurses);
- alias bombs: the number of nodes a composed document expands to, aliases counted at every
  use, computed on the node graph (memoised) before any value is constructed.

The size limit per file is the reader's (see :mod:`podpath.sources.manifests`).
"""

from __future__ import annotations

import re

import yaml

from podpath.errors import MSG_TOO_DEEP, InputError

MAX_DEPTH = 500  # below libyaml's own limit (1000 levels in PyYAML >= 6.0.4's build)
MAX_EXPANDED_NODES = 5_000_000
SAFE_TEXT_DEPTH = MAX_DEPTH  # below this bound libyaml's recursive composer is safe
RECURSIVE = -1  # expanded_size of a node that contains itself

EventLoader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

_DEPTH_CHUNK = 1 << 22
SMALL_TEXT = 1 << 20  # below this many bytes, pure Python: no numpy import (a fast start)
_NOT_BRACKETS = bytes(b for b in range(256) if b not in b"[]{}")
JSON_STRING = re.compile(r'"(?:[^"\\\n]|\\.)*"')


def text_depth_bound(text: str) -> int:
    """An upper bound of the nesting depth, computed with numpy (in chunks of 4 MiB for the
    brackets, so memory stays small for large files): the flow brackets' depth, plus the
    smaller of two bounds of block nesting:

    - the longest line (a block collection starts at a column of its line);
    - ``2 * I + 3 + C``, with I the largest indentation and C the most ``-``, ``?`` and
      ``:`` characters on one line. Along the collections that enclose a node, start columns
      never decrease (they stay equal only for a sequence written at its mapping key's
      indentation: at most two per column); a collection that starts on an earlier line than
      the node's has a column no larger than a later line's indentation, and one that starts
      on the node's line starts at its indentation or after one of its ``-``/``?``/``:``
      indicators.

    Below ``SMALL_TEXT`` bytes the same figures are computed line by line in Python.
    """
    data = text.encode("utf-8", errors="replace")
    if not data:
        return 0
    if len(data) < SMALL_TEXT:
        longest = indent = most = 0
        for line in data.split(b"\n"):
            longest = max(longest, len(line))
            indent = max(indent, len(line) - len(line.lstrip(b" ")))
            most = max(most, line.count(b"-") + line.count(b"?") + line.count(b":"))
        return bracket_depth(data) + min(longest, 2 * indent + 3 + most)
    import numpy as np

    raw = np.frombuffer(data, dtype=np.uint8)
    newlines = np.flatnonzero(raw == ord("\n"))
    starts = np.concatenate(([0], newlines + 1))
    ends = np.concatenate((newlines, [raw.size]))
    longest = int((ends - starts).max())
    nonspace = np.concatenate((np.flatnonzero(raw != ord(" ")), [raw.size]))
    indent = int((np.minimum(nonspace[np.searchsorted(nonspace, starts)], ends) - starts).max())
    marks = np.cumsum(np.isin(raw, np.frombuffer(b"-?:", dtype=np.uint8)), dtype=np.int64)
    marks = np.concatenate(([0], marks))
    most = int((marks[ends] - marks[starts]).max())
    return bracket_depth(data) + min(longest, 2 * indent + 3 + most)


def bracket_depth(data: bytes) -> int:
    """The deepest running sum of opening minus closing brackets (at least 0)."""
    if len(data) < SMALL_TEXT:
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


def json_depth(body: str) -> int:
    """The nesting depth of a JSON text: its brackets outside strings (a JSON string holds
    no line break, so strings are found line by line; on text that is not JSON the figure
    is meaningless, and the JSON parser then refuses the text anyway)."""
    structure = JSON_STRING.sub("", body)
    return bracket_depth(structure.encode("utf-8", errors="replace"))


def check_depth_by_events(text: str, name: str, first_line: int = 1) -> None:
    """Refuse nesting deeper than MAX_DEPTH, walking libyaml's events (no recursion)."""
    depth = 0
    for event in yaml.parse(text, Loader=EventLoader):
        if isinstance(event, yaml.CollectionStartEvent):
            depth += 1
            if depth > MAX_DEPTH:
                line = event.start_mark.line + first_line if event.start_mark else None
                raise InputError(MSG_TOO_DEEP.format(limit=MAX_DEPTH), path=name, line=line)
        elif isinstance(event, yaml.CollectionEndEvent):
            depth -= 1


def expanded_size(root: yaml.Node) -> int:
    """Number of nodes the document expands to, aliases counted at every use (memoised);
    stops counting once over MAX_EXPANDED_NODES. A node that contains itself (``&a [*a]``,
    which libyaml composes) gives RECURSIVE."""
    memo: dict[int, int] = {}
    open_: set[int] = set()  # nodes being counted: the path from the root (a LIFO walk)
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    while stack:
        node, done = stack.pop()
        if done:
            total = 1
            for child in _children(node):
                total += memo[id(child)]
                if total > MAX_EXPANDED_NODES:
                    return total
            memo[id(node)] = total
            open_.discard(id(node))
            continue
        if id(node) in memo:
            continue
        if id(node) in open_:
            return RECURSIVE
        open_.add(id(node))
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
