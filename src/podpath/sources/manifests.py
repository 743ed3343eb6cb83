"""Manifests: files, folders and standard input -> raw documents with their locations.

Accepts multi-document YAML, JSON, ``kind: List`` and the ``*List`` kinds that
``kubectl get -o yaml`` writes. YAML is read as Kubernetes reads it
(:mod:`podpath.sources.yaml_values`); hostile input is refused in bounded time and memory
(a size limit per file here, nesting and alias limits in :mod:`podpath.sources.yaml_safety`).

A path is a regular file, a folder (its .yaml/.yml/.json files, recursively, hidden folders
skipped; a folder that cannot be read is an error, as ``kubectl apply -R`` makes it), or a
pipe (``-f <(helm template ...)``; one that nothing writes to is an error, not a wait).
Devices and sockets are refused: ``/dev/zero`` would never end.
"""

from __future__ import annotations

import json
import os
import select
import stat
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from podpath.errors import (
    MSG_JSON,
    MSG_NO_SUCH_PATH,
    MSG_NOT_A_MAPPING,
    MSG_TOO_DEEP,
    MSG_TOO_LARGE,
    InputError,
)
from podpath.gcpause import gc_paused
from podpath.model.core import SourceRef
from podpath.sources.json_stream import k8s_json_float
from podpath.sources.yaml_safety import MAX_DEPTH, MAX_EXPANDED_NODES
from podpath.sources.yaml_stream import Modelled, parse_yaml

__all__ = [
    "MANIFEST_SUFFIXES",
    "MAX_BYTES",
    "MAX_DEPTH",
    "MAX_EXPANDED_NODES",
    "RawDoc",
    "load_paths",
    "manifest_files",
    "parse_text",
]

MAX_BYTES = int(os.environ.get("PODPATH_MAX_BYTES", str(256 * 1024 * 1024)))
MANIFEST_SUFFIXES = (".yaml", ".yml", ".json")

MSG_NOT_A_FILE = "not a file or folder but {what}: -f reads files, folders, pipes and - (stdin)"
MSG_UNREADABLE_FOLDER = "cannot read this folder: {reason}"
MSG_SILENT_PIPE = "a pipe that nothing writes to (no writer has it open)"
_FILE_TYPES = (
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISSOCK, "a socket"),
)


@dataclass(frozen=True, slots=True)
class RawDoc:
    """One Kubernetes object as parsed, with where it came from."""

    data: dict[str, Any]
    source: SourceRef


def manifest_files(path: str) -> list[Path]:
    """The manifest files under ``path``: the file (or pipe) itself, or a folder's
    .yaml/.yml/.json files read recursively in sorted order (hidden folders skipped)."""
    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        raise InputError(MSG_NO_SUCH_PATH, path=path) from None
    except OSError as exc:
        raise InputError(exc.strerror or str(exc), path=path) from None
    if stat.S_ISREG(mode) or stat.S_ISFIFO(mode):
        return [Path(path)]
    if stat.S_ISDIR(mode):
        return sorted(_folder_files(path))
    raise InputError(MSG_NOT_A_FILE.format(what=_file_type(mode)), path=path)


def _file_type(mode: int) -> str:
    return next((what for test, what in _FILE_TYPES if test(mode)), "a special file")


def _folder_files(top: str) -> Iterator[Path]:
    def refuse(exc: OSError) -> None:
        reason = exc.strerror or str(exc)
        raise InputError(MSG_UNREADABLE_FOLDER.format(reason=reason), path=exc.filename or top)

    for folder, subfolders, names in os.walk(top, onerror=refuse):
        subfolders[:] = [d for d in subfolders if not d.startswith(".")]
        for file in names:
            full = os.path.join(folder, file)
            if os.path.splitext(file)[1].lower() in MANIFEST_SUFFIXES and os.path.isfile(full):
                yield Path(full)


@gc_paused
def load_paths(
    paths: Iterable[str], stdin: IO[bytes] | None = None, *, modelled: Modelled | None = None
) -> list[RawDoc]:
    """Read every path (``-`` is standard input) into raw documents, in a stable order.

    With ``modelled`` (which kinds the caller models), documents of other kinds keep only
    apiVersion, kind and metadata, and are read without building the rest."""
    docs: list[RawDoc] = []
    for path in paths:
        if path == "-":
            stream = stdin if stdin is not None else sys.stdin.buffer
            docs.extend(parse_text(_read_limited(stream, "-"), "-", modelled))
            continue
        for file in manifest_files(path):
            docs.extend(parse_text(read_file(str(file)), str(file), modelled))
    return docs


def read_file(name: str) -> bytes:
    """A file's bytes (at most MAX_BYTES); a pipe read until its writer closes it."""
    try:
        fd = os.open(name, os.O_RDONLY | os.O_NONBLOCK)  # a FIFO without writer: no wait
    except OSError as exc:
        raise InputError(exc.strerror or str(exc), path=name) from None
    try:
        mode = os.fstat(fd).st_mode
        if stat.S_ISFIFO(mode):
            return _read_pipe(fd, name)
        if not stat.S_ISREG(mode):
            raise InputError(MSG_NOT_A_FILE.format(what=_file_type(mode)), path=name)
        with os.fdopen(fd, "rb", closefd=False) as fh:
            return _read_limited(fh, name)
    except OSError as exc:
        raise InputError(exc.strerror or str(exc), path=name) from None
    finally:
        os.close(fd)


def _read_pipe(fd: int, name: str) -> bytes:
    chunks: list[bytes] = []
    total, waited = 0, False
    while True:
        try:
            chunk = os.read(fd, 1 << 20)
        except BlockingIOError:  # a writer has it open: wait for data or its close
            waited = True
            select.select([fd], [], [])
            continue
        if not chunk:
            break
        total += len(chunk)
        if total > MAX_BYTES:
            raise InputError(MSG_TOO_LARGE.format(limit=MAX_BYTES), path=name)
        chunks.append(chunk)
    if not chunks and not waited:
        raise InputError(MSG_SILENT_PIPE, path=name)
    return b"".join(chunks)


def _read_limited(stream: IO[bytes], name: str) -> bytes:
    data = stream.read(MAX_BYTES + 1)
    if len(data) > MAX_BYTES:
        raise InputError(MSG_TOO_LARGE.format(limit=MAX_BYTES), path=name)
    return data


@gc_paused
def parse_text(data: bytes, name: str, modelled: Modelled | None = None) -> list[RawDoc]:
    """Parse one file's bytes (YAML stream or JSON) into raw documents, lists flattened."""
    text = data.decode("utf-8", errors="replace")
    stripped = text.lstrip()
    if name.lower().endswith(".json") or (stripped.startswith("{") and name == "-"):
        parsed = [_parse_json(text, name)]
    else:
        parsed = list(parse_yaml(text, name, modelled))
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
            if item_kind and "kind" not in item:
                item = {**item, "kind": item_kind}
            yield from _flatten(item, source, name)
        return
    yield RawDoc(value, source)


MSG_JSON_NUMBER = "invalid JSON: a number with more digits than any number can hold"
_JSON_FILE = json.JSONDecoder(parse_float=k8s_json_float)


def _parse_json(text: str, name: str) -> tuple[Any, int]:
    """A JSON file, read as kubectl reads one: with a JSON decoder, so a key given twice keeps
    its last value (Go's encoding/json); fractions and exponents as the API server stores
    them (see json_stream.k8s_json_float)."""
    try:
        return _JSON_FILE.decode(text), 1
    except json.JSONDecodeError as exc:
        raise InputError(
            MSG_JSON.format(problem=exc.msg, line=exc.lineno, column=exc.colno), path=name
        ) from None
    except ValueError:  # int() of more than 4300 digits (Python's limit): no float64 either
        raise InputError(MSG_JSON_NUMBER, path=name) from None
    except RecursionError:
        raise InputError(MSG_TOO_DEEP.format(limit=MAX_DEPTH), path=name) from None
