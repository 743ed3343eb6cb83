"""Running podpath's commands on tests/real (the JSON each command prints)."""

from __future__ import annotations

import contextlib
import io
import json
from pathlib import Path
from typing import Any

from podpath.cli import main

REAL = Path(__file__).resolve().parent / "real"


def run_json(*args: str) -> Any:
    """The JSON a command prints (its exit status is not asserted here)."""
    out = io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.suppress(SystemExit):
        main([*args, "--format", "json"])
    return json.loads(out.getvalue())


def files(app: str, *names: str) -> list[str]:
    """``-f`` options for an app's folder, or for some of its files."""
    paths = [REAL / app / n for n in names] if names else [REAL / app]
    return [arg for p in paths for arg in ("-f", str(p))]


def services(app: str) -> dict[str, Any]:
    return {s["service"]: s for s in run_json("services", *files(app))["services"]}


def trace(app: str, src: str, dst: str, port: int | None = None, *more: str) -> Any:
    extra = ["--port", str(port)] if port is not None else []
    return run_json("trace", *files(app), "--from", src, "--to", dst, *extra, *more)


def workloads(pods: list[str]) -> list[str]:
    """Pod names without the generated suffixes (``reviews-v1-abc12-xyz34`` -> ``reviews-v1``)."""
    return sorted(p.rsplit("/", 1)[-1].rsplit("-", 2)[0] for p in pods)


def doctor(app: str, *names: str) -> list[dict[str, Any]]:
    findings: list[dict[str, Any]] = run_json("doctor", *files(app, *names))["findings"]
    return findings


def alarms(findings: list[dict[str, Any]]) -> list[tuple[str, str]]:
    """The errors and warnings (an alarm), as (code, object)."""
    return [(f["code"], f["object"]) for f in findings if f["severity"] in ("error", "warning")]
