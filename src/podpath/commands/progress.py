"""Progress on a terminal: a transient status line on standard error (rich) that appears only
when a step takes longer than :data:`DELAY` seconds, and says what has been done so far
(objects read, classes computed, checks run). Nothing at all when standard error is not a
terminal (piped, redirected, CI). ``PODPATH_PROGRESS_DELAY`` sets the delay in seconds (the
tests use 0)."""

from __future__ import annotations

import os
import sys
import threading
from typing import Any

DELAY = 2.0


def _delay() -> float:
    try:
        return max(0.0, float(os.environ.get("PODPATH_PROGRESS_DELAY", DELAY)))
    except ValueError:
        return DELAY


class progress:
    """``with progress("loading") as status: ... status.update("1200 objects read")``."""

    def __init__(self, what: str) -> None:
        self.what = what
        self._text = f"{what}..."
        self._status: Any = None
        self._spinner: Any = None
        self._timer: threading.Timer | None = None
        self._lock = threading.Lock()
        self._done = False

    def __enter__(self) -> progress:
        if sys.stderr.isatty():
            delay = _delay()
            if delay == 0:
                self._show()
            else:
                self._timer = threading.Timer(delay, self._show)
                self._timer.daemon = True
                self._timer.start()
        return self

    def _show(self) -> None:
        # not Console.status: its Live redirects sys.stdout to the console (stderr), and the
        # command's data must stay on standard output
        from rich.console import Console
        from rich.live import Live
        from rich.spinner import Spinner

        with self._lock:
            if self._done:
                return
            self._spinner = Spinner("dots", self._text, style="status.spinner")
            self._status = Live(
                self._spinner,
                console=Console(stderr=True),
                transient=True,
                redirect_stdout=False,
                redirect_stderr=False,
                refresh_per_second=12.5,
            )
            self._status.__enter__()

    def update(self, text: str) -> None:
        with self._lock:
            self._text = f"{self.what}: {text}"
            if self._status is not None:
                self._spinner.update(text=self._text)

    def __exit__(self, *exc: object) -> None:
        if self._timer is not None:
            self._timer.cancel()
        with self._lock:
            self._done = True
            if self._status is not None:
                self._status.__exit__(None, None, None)
                self._status = None
