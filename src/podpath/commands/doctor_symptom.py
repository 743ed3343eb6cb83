"""``podpath doctor --from SRC --to DST``: symptom mode (the trace plus findings on its path)."""

from __future__ import annotations

from collections.abc import Sequence

from podpath.analyze.doctor.findings import Finding
from podpath.cluster import Cluster
from podpath.errors import UnsupportedError


def symptom_output(
    cluster: Cluster,
    findings: Sequence[Finding],
    src: str,
    dst: str,
    port: str | None,
    *,
    fix: bool,
    fmt: str,
) -> tuple[str, bool]:
    """(rendered text, whether the traffic fails)."""
    raise UnsupportedError("symptom mode needs the trace analysis, which is not available yet")
