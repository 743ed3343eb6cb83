"""Loading builds millions of small objects and no reference cycles worth collecting: the
cyclic garbage collector, run every 700 allocations, would walk the growing heap again and
again (half of the loading time of a 100,000-pod cluster). Loading steps pause it.

What a large load leaves behind (the documents, the model, the resolved cluster) lives as
long as the command does, and holds no cycles (a full collection after loading a
100,000-pod cluster finds no unreachable object), so it is frozen: later collections (while
the matrix is computed, say) do not walk it again. Reference counting still frees it."""

from __future__ import annotations

import functools
import gc
from collections.abc import Callable
from typing import ParamSpec, TypeVar

P = ParamSpec("P")
R = TypeVar("R")

FREEZE_AFTER = 100_000  # objects the paused step left tracked: a large load


def gc_paused(func: Callable[P, R]) -> Callable[P, R]:
    """Run ``func`` with the cyclic garbage collector paused (re-enabled after, when it was
    enabled before; nested calls leave it to the outermost), then freeze what a large step
    left (see the module docstring)."""

    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        if not gc.isenabled():
            return func(*args, **kwargs)
        gc.disable()
        try:
            return func(*args, **kwargs)
        finally:
            if gc.get_count()[0] >= FREEZE_AFTER:
                gc.freeze()
            gc.enable()

    return wrapper
