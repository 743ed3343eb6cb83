"""The sparse matrix JSON (version 2, docs/contract.md) as JSON or YAML text, written in
chunks: the same bytes as ``json.dumps(data, indent=2, ensure_ascii=False)`` and as PyYAML's
block style (``yaml.dump(..., Dumper=CSafeDumper, sort_keys=False, default_flow_style=False,
allow_unicode=True)``, the ``-o yaml`` of every command), without building the whole text
or YAML's node tree for the long cell lists.

The cell lists (:data:`CELL_KEYS`: ``allowed`` and ``partial``, each cell
``(from, to, (port, ...))`` of integers) are formatted here; every other key (the names,
the ports) is dumped by the library, so strings are quoted exactly as it quotes them.
YAML 1.1 (https://yaml.org/spec/1.1/#id857168): a block sequence of block sequences puts the
inner ``- `` on the outer one's line and indents the rest two columns; ``[]`` is an empty
sequence.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any

CELL_KEYS = ("allowed", "partial")
CHUNK = 4096  # cells per chunk

Cell = Sequence[Any]


def _dump_yaml(data: Any) -> str:
    import yaml

    dumper: Any = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
    return str(
        yaml.dump(
            data, Dumper=dumper, sort_keys=False, default_flow_style=False, allow_unicode=True
        )
    )


def _json_cell(cell: Cell) -> str:
    i, j, ports = cell
    if not ports:
        return f"    [\n      {i},\n      {j},\n      []\n    ]"
    inner = ",\n        ".join(map(str, ports))
    return f"    [\n      {i},\n      {j},\n      [\n        {inner}\n      ]\n    ]"


def _yaml_cell(cell: Cell) -> str:
    i, j, ports = cell
    if not ports:
        return f"- - {i}\n  - {j}\n  - []\n"
    inner = "\n    - ".join(map(str, ports))
    return f"- - {i}\n  - {j}\n  - - {inner}\n"


def _chunks(cells: Iterable[Cell], size: int = CHUNK) -> Iterator[list[Cell]]:
    buf: list[Cell] = []
    for cell in cells:
        buf.append(cell)
        if len(buf) >= size:
            yield buf
            buf = []
    if buf:
        yield buf


def json_chunks(data: Mapping[str, Any]) -> Iterator[str]:
    """``data`` as ``json.dumps(data, indent=2, ensure_ascii=False) + "\\n"``, in chunks."""
    if not data:
        yield "{}\n"
        return
    yield "{"
    first_key = True
    for key, value in data.items():
        head = ("\n  " if first_key else ",\n  ") + json.dumps(key, ensure_ascii=False) + ": "
        first_key = False
        if key not in CELL_KEYS:
            text = json.dumps(value, indent=2, ensure_ascii=False)
            yield head + text.replace("\n", "\n  ")
            continue
        started = False
        for chunk in _chunks(value):
            text = ",\n".join(map(_json_cell, chunk))
            yield (head + "[\n" if not started else ",\n") + text
            started = True
        yield "\n  ]" if started else head + "[]"
    yield "\n}\n"


def yaml_chunks(data: Mapping[str, Any]) -> Iterator[str]:
    """``data`` as the block-style YAML of ``-o yaml`` (module docstring), in chunks."""
    if not data:
        yield _dump_yaml(data)
        return
    for key, value in data.items():
        if key not in CELL_KEYS:
            yield _dump_yaml({key: value})
            continue
        head = _dump_yaml({key: []})  # "allowed: []\n", the key as the library writes it
        started = False
        for chunk in _chunks(value):
            if not started:
                yield head[: -len(" []\n")] + "\n"
                started = True
            yield "".join(map(_yaml_cell, chunk))
        if not started:
            yield head
