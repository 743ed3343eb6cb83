"""Open a podpath HTML page in a real headless Chromium (Debian's ``chromium``).

No driver library: Chromium runs with ``--dump-dom`` (the DOM after the page's scripts ran)
or ``--screenshot``, sandboxed to a throwaway profile, with networking features off, and
bounded by a timeout. The page's test hook: ``#select=<node id>`` clicks that node once the
graph is drawn; ``body[data-ready]`` marks the end of drawing; script errors, console errors
and blocked requests are written into ``#podpath-errors``.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

TIMEOUT = 60
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
    "--virtual-time-budget=5000",
)


def chromium() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    return None


def _run(page: Path, fragment: str, extra: list[str]) -> subprocess.CompletedProcess[str]:
    exe = chromium()
    assert exe is not None
    url = page.resolve().as_uri() + fragment
    with tempfile.TemporaryDirectory(prefix="podpath-chromium-") as profile:
        return subprocess.run(
            [exe, *FLAGS, f"--user-data-dir={profile}", *extra, url],
            capture_output=True,
            text=True,
            timeout=TIMEOUT,
            check=False,
        )


def dump_dom(page: Path, fragment: str = "") -> str:
    """The page's DOM after its scripts ran (``fragment`` e.g. ``#select=ns/Kind/name``)."""
    done = _run(page, fragment, ["--dump-dom"])
    if done.returncode != 0 or "</html>" not in done.stdout:
        raise RuntimeError(f"chromium failed ({done.returncode}): {done.stderr[-2000:]}")
    return done.stdout


def screenshot(page: Path, out: Path, fragment: str = "", size: str = "1400,900") -> Path:
    done = _run(page, fragment, [f"--screenshot={out}", f"--window-size={size}"])
    if not out.is_file():
        raise RuntimeError(
            f"chromium wrote no screenshot ({done.returncode}): {done.stderr[-2000:]}"
        )
    return out
