"""Loading builds millions of small objects and no reference cycles worth collecting: the
cyclic garbage collector, run every 700 allocations, would walk the growing heap again and
again (half of the loading time of a 100,000-pod cluster). Loading steps pause it."""

from __future__ import annotations

import functools
import gc
from collections.abc import Callable
from typing import ParamSpec, TypeVar

P = ParamSpec("P")
R = TypeVar("R")


def gc_paused(func: Callable[P, R]) -> Callable[P, R]:
    """Run ``func`` with the cyclic garbage collector paused (re-enabled after, when it was
    enabled before; nested calls leave it to the outermost). Reference counting still frees
    everything that is not in a cycle."""

    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        if not gc.isenabled():
            return func(*args, **kwargs)
        gc.disable()
        try:
            return func(*args, **kwargs)
        finally:
            gc.enable()

    return wrapper
