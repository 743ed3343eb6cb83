"""SARIF 2.1.0 output of doctor findings, for GitHub code scanning and other SARIF viewers.

https://docs.oasis-open.org/sarif/sarif/v2.1.0/sarif-v2.1.0.html — one run; the rules
(``tool.driver.rules``) are the finding codes; each result points at the manifest file
(``artifactLocation.uri``, relative as given on the command line) and the line where the
object's document starts (``region.startLine``), plus the object as a logical location.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from importlib import metadata
from pathlib import PurePath
from typing import Any

from podpath.analyze.doctor.findings import Finding, Rule

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
SARIF_VERSION = "2.1.0"
INFORMATION_URI = "https://github.com/podpath/podpath"
LEVELS = {"error": "error", "warning": "warning", "info": "note"}


def _version() -> str:
    try:
        return metadata.version("podpath")
    except metadata.PackageNotFoundError:  # pragma: no cover - running from a source tree
        return "0.0.0"


def artifact_uri(path: str) -> str:
    """A file path as a SARIF URI: relative paths as given (forward slashes), absolute ones
    as ``file://`` URIs."""
    pure = PurePath(path)
    if pure.is_absolute():
        return pure.as_uri()
    return pure.as_posix()


def _rule(r: Rule) -> dict[str, Any]:
    return {
        "id": r.code,
        "name": "".join(part.capitalize() for part in r.code.split("-")),
        "shortDescription": {"text": r.summary},
        "fullDescription": {"text": f"{r.summary} (checklist step {r.step})"},
        "defaultConfiguration": {"level": LEVELS[r.severity.value]},
        "properties": {"step": r.step},
    }


def _location(f: Finding) -> dict[str, Any]:
    location: dict[str, Any] = {}
    src = f.source
    if src is not None and src.path not in ("-", "live") and not src.path.startswith("<"):
        location["physicalLocation"] = {
            "artifactLocation": {"uri": artifact_uri(src.path)},
            "region": {"startLine": max(1, src.line)},
        }
    location["logicalLocations"] = [{"fullyQualifiedName": f.object, "kind": "resource"}]
    return location


def render_sarif(findings: Sequence[Finding], rules: Sequence[Rule]) -> str:
    catalogue = sorted({r.code: r for r in rules}.values(), key=lambda r: r.code)
    known = {r.code for r in catalogue}
    index = {r.code: i for i, r in enumerate(catalogue)}
    results = []
    for f in findings:
        result: dict[str, Any] = {
            "ruleId": f.code,
            "level": LEVELS[f.severity.value],
            "message": {"text": f"{f.object}: {f.message}. Hint: {f.hint}"},
            "locations": [_location(f)],
            "partialFingerprints": {"podpathFinding/v1": f"{f.code}:{f.object}"},
            "properties": {"object": f.object, "hint": f.hint, "impact": f.impact},
        }
        if f.code in known:
            result["ruleIndex"] = index[f.code]
        results.append(result)
    doc = {
        "$schema": SARIF_SCHEMA,
        "version": SARIF_VERSION,
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "podpath",
                        "version": _version(),
                        "informationUri": INFORMATION_URI,
                        "rules": [_rule(r) for r in catalogue],
                    }
                },
                "results": results,
            }
        ],
    }
    return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"
