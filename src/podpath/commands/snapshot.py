"""``podpath snapshot [--output-file FILE]``: save what was read as one multi-document YAML.

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

from podpath.commands.common import input_options, progress, split_inputs, validate_inputs
from podpath.commands.help import command
from podpath.commands.output import output_option
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
    inputs = validate_inputs(opts, command="snapshot")
    files, kubeconfig, context = inputs.files, inputs.kubeconfig, inputs.context
    for warning in inputs.warnings:
        click.echo(f"podpath: warning: {warning}", err=True)
    if not inputs.scope.is_everything:
        click.echo("podpath: warning: -n/-l are ignored by snapshot (it saves all)", err=True)
    with progress("reading") as status:
        if inputs.live:
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


@command()
@click.option(
    "--output-file",
    "output",
    default="-",
    show_default=True,
    metavar="FILE",
    help="Where to write the YAML (- = standard output).",
)
@output_option(("yaml",), default="yaml", derive=False)
@input_options
def snapshot(output: str, fmt: str, **kwargs: Any) -> None:
    """Usually from a live cluster: `podpath COMMAND -f FILE` then gives the same
    answers offline, and the file can be shared."""
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
