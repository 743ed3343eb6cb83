"""The input ``up`` was given, recorded as JSON data in the state folder (``input.json``).

``probe`` and the servers' agent rebuild the model from it -- loading the documents through the
same ``normalize`` and ``resolve`` as any input, validation included -- instead of unpickling
objects (a pickle runs code when loaded). ``up`` itself builds from the rebuilt model too, so
every part of the data plane works from one and the same model.
"""

from __future__ import annotations

import base64
import datetime
import json
from collections.abc import Sequence
from dataclasses import fields
from typing import Any

from podpath.cluster import Cluster, Settings, resolve
from podpath.errors import InputError, StateDirError
from podpath.model.core import SourceRef
from podpath.normalize import normalize
from podpath.sources.manifests import RawDoc

INPUT_FILE = "input.json"
VERSION = 1
MSG_RECORD = "state file {name}: {problem}; run `podpath up -f ...` again"


def _jsonable(value: Any) -> Any:
    """YAML values JSON has no type for: timestamps as ISO 8601 text, binary as base64 (the
    API's own JSON forms)."""
    if isinstance(value, datetime.date | datetime.time):
        return value.isoformat()
    if isinstance(value, bytes):
        return base64.b64encode(value).decode()
    if isinstance(value, set | frozenset | tuple):
        return list(value)
    raise TypeError(f"{type(value).__name__} has no JSON form")


def record_input(
    docs: Sequence[RawDoc],
    settings: Settings,
    node_count: int | None,
    max_pods: int | None = None,
) -> dict[str, Any]:
    """The JSON record of ``up``'s input (already round-tripped through JSON)."""
    record = {
        "version": VERSION,
        "settings": {f.name: getattr(settings, f.name) for f in fields(Settings)},
        "node_count": node_count,
        "max_pods": max_pods,
        "documents": [
            {
                "path": d.source.path,
                "doc_index": d.source.doc_index,
                "line": d.source.line,
                "data": d.data,
            }
            for d in docs
        ],
    }
    try:
        text = json.dumps(record, default=_jsonable, allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise InputError(f"the input has no JSON form, which `up` records: {exc}") from None
    loaded: dict[str, Any] = json.loads(text)
    return loaded


def _bad(problem: str) -> StateDirError:
    return StateDirError(MSG_RECORD.format(name=INPUT_FILE, problem=problem))


def _settings(raw: Any) -> Settings:
    if not isinstance(raw, dict):
        raise _bad("settings is not a mapping")
    values: dict[str, Any] = {}
    default = Settings()
    for f in fields(Settings):
        want = getattr(default, f.name)
        value = raw.get(f.name, want)
        if isinstance(want, tuple):
            value = tuple(value) if isinstance(value, list) else value
            ok = isinstance(value, tuple) and all(type(v) is int for v in value)
        else:
            ok = type(value) is type(want)
        if not ok:
            raise _bad(f"settings.{f.name} is not a {type(want).__name__}")
        values[f.name] = value
    return Settings(**values)


def _documents(raw: Any) -> list[RawDoc]:
    if not isinstance(raw, list):
        raise _bad("documents is not a list")
    docs = []
    for i, doc in enumerate(raw):
        if not (
            isinstance(doc, dict)
            and isinstance(doc.get("data"), dict)
            and isinstance(doc.get("path"), str)
            and type(doc.get("doc_index")) is int
            and type(doc.get("line")) is int
        ):
            raise _bad(f"documents[{i}] is not a recorded document")
        docs.append(RawDoc(doc["data"], SourceRef(doc["path"], doc["doc_index"], doc["line"])))
    return docs


def rebuild(record: Any) -> Cluster:
    """The model ``up`` built, from its recorded input (loaded and validated as any input)."""
    if not isinstance(record, dict) or record.get("version") != VERSION:
        raise _bad(f"not a version {VERSION} record")
    counts = {key: record.get(key) for key in ("node_count", "max_pods")}
    for key, value in counts.items():
        if value is not None and type(value) is not int:
            raise _bad(f"{key} is not an integer")
    settings = _settings(record.get("settings"))
    docs = _documents(record.get("documents"))
    inventory = normalize(docs, node_count=counts["node_count"], max_pods=counts["max_pods"])
    return resolve(inventory, settings)
