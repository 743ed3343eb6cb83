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
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from itertools import islice
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


def _json_ports(ports: Sequence[int]) -> str:
    """The end of a JSON cell after its ``to``: the port list and the closing bracket."""
    if not ports:
        return ",\n      []\n    ]"
    inner = ",\n        ".join(map(str, ports))
    return f",\n      [\n        {inner}\n      ]\n    ]"


def _yaml_ports(ports: Sequence[int]) -> str:
    if not ports:
        return "\n  - []\n"
    inner = "\n    - ".join(map(str, ports))
    return f"\n  - - {inner}\n"


def _texts(
    cells: Iterable[Cell], head: str, mid: str, tail: Callable[[Sequence[int]], str]
) -> Iterator[list[str]]:
    """Each cell as ``head + from + mid + to + tail(ports)``, :data:`CHUNK` cells a list; the
    text of a port list is made once."""
    ends: dict[tuple[int, ...], str] = {}
    it = iter(cells)
    while chunk := list(islice(it, CHUNK)):
        out: list[str] = []
        for i, j, ports in chunk:
            key = tuple(ports)
            end = ends.get(key)
            if end is None:
                end = ends[key] = tail(key)
            out.append(f"{head}{i}{mid}{j}{end}")
        yield out


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
        for texts in _texts(value, "    [\n      ", ",\n      ", _json_ports):
            yield (head + "[\n" if not started else ",\n") + ",\n".join(texts)
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
        for texts in _texts(value, "- - ", "\n  - ", _yaml_ports):
            if not started:
                yield head[: -len(" []\n")] + "\n"
                started = True
            yield "".join(texts)
        if not started:
            yield head
