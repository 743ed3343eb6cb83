"""Findings: what ``podpath doctor`` reports, the check registry and the ranking.

A finding names one object, says what is wrong, and gives a hint that names the exact field
to change. ``impact`` estimates how much traffic the problem breaks (pods or connections
that cannot be served), so that findings rank by severity first, then by impact.

A finding's ``verdict`` is ``problem`` (the input shows something wrong), or ``unknown``: the
answer depends on what the input does not hold (e.g. pods an operator creates from a kind
podpath skips), so podpath cannot decide; such a finding is ``info``, names what would decide
it, and never asks to change an object that may well be right.

Checks are plain functions ``(DoctorContext) -> Iterable[Finding]`` registered with
:func:`check` under the checklist step they automate; each declares the rule codes it may
emit (the SARIF ``tool.driver.rules``).
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from podpath.model.core import SourceRef

if TYPE_CHECKING:
    from podpath.analyze.doctor.context import DoctorContext


class Severity(enum.Enum):
    """How bad a finding is; ``rank`` orders them (errors first)."""

    ERROR = "error"
    WARNING = "warning"
    INFO = "info"

    @property
    def rank(self) -> int:
        return _RANK[self]

    def __str__(self) -> str:
        return self.value


_RANK = {Severity.ERROR: 0, Severity.WARNING: 1, Severity.INFO: 2}

PROBLEM = "problem"
UNKNOWN = "unknown"
VERDICTS = (PROBLEM, UNKNOWN)


@dataclass(frozen=True, slots=True)
class Finding:
    """One problem found by a check.

    ``object`` is the canonical ``KIND/NS/NAME``; ``hint`` names the field to change;
    ``source`` is where the object was read (file, document, line); ``impact`` the number
    of pods (or pod/port pairs) whose traffic the problem breaks; ``related`` the other
    objects involved (used to match findings to a traced path).
    """

    code: str
    severity: Severity
    object: str
    message: str
    hint: str
    source: SourceRef | None = field(default=None, compare=False)
    impact: int = 0
    step: str = ""
    related: tuple[str, ...] = ()
    verdict: str = PROBLEM

    @property
    def sort_key(self) -> tuple[int, int, str, str, str]:
        return (self.severity.rank, -self.impact, self.code, self.object, self.message)


@dataclass(frozen=True, slots=True)
class Rule:
    """A finding code: its default severity, checklist step and one-line description."""

    code: str
    severity: Severity
    step: str
    summary: str


CheckFn = Callable[["DoctorContext"], Iterable[Finding]]


@dataclass(frozen=True, slots=True)
class Check:
    name: str
    step: str
    rules: tuple[Rule, ...]
    run: CheckFn


CHECKS: list[Check] = []
RULES: dict[str, Rule] = {}


def rule(code: str, severity: Severity, step: str, summary: str) -> Rule:
    """Declare a finding code (once); re-declaring with other values is a programming error."""
    declared = Rule(code, severity, step, summary)
    existing = RULES.setdefault(code, declared)
    if existing != declared:
        raise ValueError(f"finding code {code!r} declared twice differently")
    return declared


def check(step: str, *rules: Rule) -> Callable[[CheckFn], CheckFn]:
    """Register a check function under a checklist step, with the codes it emits."""

    def register(fn: CheckFn) -> CheckFn:
        CHECKS.append(Check(fn.__name__, step, rules, fn))
        return fn

    return register


def make(
    r: Rule,
    obj: str,
    message: str,
    hint: str,
    *,
    source: SourceRef | None = None,
    impact: int = 0,
    severity: Severity | None = None,
    related: Iterable[str] = (),
) -> Finding:
    """A finding of rule ``r`` (its severity unless overridden)."""
    return Finding(
        code=r.code,
        severity=severity or r.severity,
        object=obj,
        message=message,
        hint=hint,
        source=source,
        impact=impact,
        step=r.step,
        related=tuple(sorted(set(related))),
    )


def undecided(
    r: Rule,
    obj: str,
    message: str,
    creators: Iterable[str],
    *,
    source: SourceRef | None = None,
    related: Iterable[str] = (),
) -> Finding:
    """A finding of rule ``r`` that the input cannot decide: verdict ``unknown``, severity
    ``info``. ``message`` says what was not found; the finding names the skipped objects
    (``creators``) that likely create the pods it depends on, and the hint how to decide it --
    never a change to the object."""
    names = sorted(set(creators))
    shown = ", ".join(names[:5]) + (f" and {len(names) - 5} more" if len(names) > 5 else "")
    return Finding(
        code=r.code,
        severity=Severity.INFO,
        object=obj,
        message=f"unknown: {message}; pods that {shown} (a kind podpath does not model) "
        "likely create are not in the input",
        hint="nothing to change if those objects create the pods; to decide, give podpath the "
        "pods (a live cluster, or kubectl get pods -o yaml)",
        source=source,
        impact=0,
        step=r.step,
        related=tuple(sorted(set(related) | set(names))),
        verdict=UNKNOWN,
    )


def rank(findings: Iterable[Finding]) -> tuple[Finding, ...]:
    """Findings ordered by severity, then by impact (most traffic broken first), then code
    and object; exact duplicates (same code, object and message) are dropped."""
    seen: set[tuple[str, str, str]] = set()
    out = []
    for f in sorted(findings, key=lambda f: f.sort_key):
        key = (f.code, f.object, f.message)
        if key not in seen:
            seen.add(key)
            out.append(f)
    return tuple(out)


FAIL_ON = ("error", "warning", "never")


def fails(findings: Iterable[Finding], fail_on: str) -> bool:
    """``--fail-on``: whether any finding is at or above the threshold (never: no)."""
    if fail_on == "never":
        return False
    threshold = Severity(fail_on).rank
    return any(f.severity.rank <= threshold for f in findings)
