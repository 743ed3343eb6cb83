"""``podpath snapshot -o FILE``: save what was read as one multi-document YAML.

Usually from a live cluster (``--kubeconfig PATH [--context NAME]``), so that a problem seen on
a cluster can be analysed and shared offline: ``podpath <command> -f FILE`` reads the file back
and gives the same answers. The output is deterministic — objects sorted by kind, namespace and
name, no timestamps — and carries no API-server bookkeeping (managedFields, resourceVersion,
uid, ...) and of Secrets only what podpath reads: ``kubernetes.io/tls`` Secrets' ``tls.crt``
and whether there is a key (checked here, whatever the server's field selector did; every
other Secret, key, label and annotation is dropped). Kinds the credentials
could not list are named in the file's header, so whoever reads it knows what it lacks.
"""

from __future__ import annotations

import os
import sys
import tempfile
from collections.abc import Sequence
from typing import Any

import click
import yaml

from podpath.commands.common import input_options, progress, split_inputs
from podpath.errors import InputError
from podpath.model.core import Note
from podpath.render.escape import terminal_safe
from podpath.sources.manifests import RawDoc
from podpath.sources.snapshot import snapshot_objects

_Dumper: Any = getattr(yaml, "CSafeDumper", yaml.SafeDumper)


def snapshot_yaml(objects: Sequence[dict[str, Any]], header: Sequence[str] = ()) -> str:
    """The objects as one YAML stream (``---`` between documents), after comment lines."""
    lines = "".join(f"# {line}\n" for line in header)
    if not objects:
        return lines
    body = yaml.dump_all(
        objects,
        Dumper=_Dumper,
        sort_keys=False,
        default_flow_style=False,
        allow_unicode=True,
        explicit_start=True,
        width=120,
    )
    return lines + str(body)


def snapshot_header(
    objects: Sequence[dict[str, Any]], notes: Sequence[Note], origin: str
) -> list[str]:
    kinds = sorted({str(o.get("kind")) for o in objects})
    header = [
        f"podpath snapshot of {origin}: {len(objects)} objects of {len(kinds)} kinds.",
        "Read it back with: podpath <command> -f THIS_FILE",
        "Left out: managedFields, resourceVersion, uid, creationTimestamp; of Secrets all but"
        " TLS certificates (a private key's presence is kept, not the key).",
    ]
    forbidden = [n.message for n in notes if n.code == "live-forbidden"]
    header.extend(f"INCOMPLETE: {m}" for m in forbidden)
    return header


def _read(opts: dict[str, Any], notes: list[Note]) -> tuple[list[RawDoc], str]:
    files = tuple(opts.get("files") or ())
    kubeconfig, context = opts.get("kubeconfig"), opts.get("context")
    if files and kubeconfig:
        raise InputError("use either -f/--file or --kubeconfig, not both")
    if not files and not kubeconfig and not context:
        raise InputError("no input: pass --kubeconfig PATH (or -f PATH)")
    with progress("reading") as status:
        if kubeconfig is not None or context is not None:
            from podpath.sources.cluster import read_live_cluster

            read = read_live_cluster(
                kubeconfig, context, on_progress=status.update, timeout=opts.get("timeout")
            )
            notes.extend(read.notes)
            origin = f"a live cluster (context {read.context})" if read.context else "a cluster"
            return list(read.docs), origin
        from podpath.sources.manifests import load_paths

        return load_paths(files), "manifests " + ", ".join(files)


def write_atomically(path: str, text: str) -> None:
    """Write ``text`` to ``path`` (``-`` = standard output) via a temporary file and rename."""
    if path == "-":
        sys.stdout.write(text)
        return
    folder = os.path.dirname(os.path.abspath(path))
    try:
        fd, tmp = tempfile.mkstemp(prefix=".podpath-snapshot-", dir=folder)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.replace(tmp, path)
    except OSError as exc:
        raise InputError(exc.strerror or str(exc), path=path) from None


@click.command()
@click.option(
    "-o", "--output", required=True, metavar="FILE", help="Where to write the YAML (- = stdout)."
)
@input_options
def snapshot(output: str, **kwargs: Any) -> None:
    """Save what was read (usually --kubeconfig) as one YAML file that -f reads back."""
    opts = split_inputs(kwargs)
    notes: list[Note] = []
    docs, origin = _read(opts, notes)
    for note in notes:
        if note.severity != "info" or opts.get("verbose"):
            where = f"{note.object}: " if note.object else ""
            line = f"podpath: {note.severity}: {where}{note.message}"
            click.echo(terminal_safe(line), err=True)
    warnings = [n for n in notes if n.severity in ("warning", "error")]
    if opts.get("strict") and warnings:
        raise InputError(f"--strict: {len(warnings)} warning(s), first: {warnings[0].message}")
    objects = snapshot_objects(docs)
    write_atomically(output, snapshot_yaml(objects, snapshot_header(objects, notes, origin)))
    if output != "-":
        click.echo(f"podpath: wrote {len(objects)} objects to {output}", err=True)
