"""Near misses: "did you mean app=cart?" by edit distance against labels in use (doctor's
hints, and :mod:`podpath.engine.pod_creators`' typo test)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

MAX_SUGGEST_DISTANCE = 3


def edit_distance(a: str, b: str) -> int:
    """Levenshtein distance (insertions, deletions, substitutions), O(len(a) * len(b))."""
    if len(a) < len(b):
        a, b = b, a
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i]
        for j, cb in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb)))
        previous = current
    return previous[-1]


def _close_enough(wanted: str, candidate: str, distance: int) -> bool:
    return distance <= min(MAX_SUGGEST_DISTANCE, max(1, len(wanted) // 3))


def closest_labels(
    wanted: Mapping[str, str], label_sets: Iterable[Mapping[str, str]]
) -> dict[str, str] | None:
    """The label set (restricted to the wanted keys' closest counterparts) nearest to
    ``wanted`` where each differing pair is a near miss, or ``None``.

    For each candidate label set, every wanted ``k=v`` is matched with the candidate's
    closest ``k'=v'``; the candidate qualifies if every pair is exact or close (edit
    distance within a third of its length, at most 3) and at least one pair is exact or the
    candidate differs in one pair only. The nearest qualifying candidate wins (ties: sorted).
    """
    best: tuple[int, str, dict[str, str]] | None = None
    for labels in label_sets:
        total, corrected, ok, differing = 0, {}, True, 0
        for key, value in sorted(wanted.items()):
            text = f"{key}={value}"
            options = [(edit_distance(text, f"{k}={v}"), k, v) for k, v in sorted(labels.items())]
            if not options:
                ok = False
                break
            distance, k, v = min(options)
            if distance and not _close_enough(text, f"{k}={v}", distance):
                ok = False
                break
            differing += distance > 0
            total += distance
            corrected[k] = v
        if not ok or total == 0 or (differing > 1 and differing == len(wanted)):
            continue
        text = ",".join(f"{k}={v}" for k, v in sorted(corrected.items()))
        if best is None or (total, text) < best[:2]:
            best = (total, text, corrected)
    return best[2] if best else None


def format_labels(labels: Mapping[str, str]) -> str:
    return ",".join(f"{k}={v}" for k, v in sorted(labels.items()))
