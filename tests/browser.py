"""Open a podpath HTML page in a real headless Chromium (Debian's ``chromium``).

No driver library. Two ways in:

- :func:`dump_dom` / :func:`screenshot`: Chromium's own ``--dump-dom`` (the DOM after the
  page's scripts ran) and ``--screenshot``.
- :class:`Browser`: the DevTools protocol over a pipe (``--remote-debugging-pipe``: commands
  on fd 3, answers on fd 4, JSON messages ended by NUL), to wait for the page, run
  JavaScript in it (read node boxes, click) and take screenshots.

Chromium runs sandboxed to a throwaway profile with networking features off, and every wait
is bounded (TIMEOUT). The page's test hooks: ``#select=<node id>`` clicks that node once the
graph is drawn; ``body[data-ready]`` marks the end of drawing (``data-ready-ms``: when, from
navigation start); script errors, console errors and blocked requests go to
``#podpath-errors``.
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import select
import shutil
import subprocess
import tempfile
import time
from pathlib import Path
from types import TracebackType
from typing import Any

TIMEOUT = 60
READY = "document.body.hasAttribute('data-ready')"
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
    "--hide-scrollbars",
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
            [exe, *FLAGS, "--virtual-time-budget=5000", f"--user-data-dir={profile}", *extra, url],
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


class BrowserError(RuntimeError):
    pass


class Browser:
    """One headless Chromium driven over the DevTools protocol; use as a context manager."""

    def __init__(self, timeout: float = TIMEOUT) -> None:
        exe = chromium()
        if exe is None:
            raise BrowserError("chromium is not installed")
        self.timeout = timeout
        self._profile = tempfile.TemporaryDirectory(prefix="podpath-cdp-")
        to_child, self._write = os.pipe()
        self._read, from_child = os.pipe()

        def fds() -> None:  # in the child: commands on fd 3, answers on fd 4
            commands, answers = os.dup(to_child), os.dup(from_child)  # above 4: no clash
            os.dup2(commands, 3)  # dup2 makes 3 and 4 inheritable: they survive exec
            os.dup2(answers, 4)

        self._proc = subprocess.Popen(
            [exe, *FLAGS, "--remote-debugging-pipe", f"--user-data-dir={self._profile.name}"],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            preexec_fn=fds,
            close_fds=False,  # our other descriptors are non-inheritable (PEP 446)
        )
        os.close(to_child)
        os.close(from_child)
        self._buffer = b""
        self._next = 0
        self.session = ""

    # -- the protocol --
    def call(self, method: str, params: dict[str, Any] | None = None, **kw: Any) -> Any:
        """Send one command (to the page's session once a page is open) and wait for its
        answer; events in between are dropped."""
        self._next += 1
        message: dict[str, Any] = {"id": self._next, "method": method, "params": params or {}}
        session = kw.get("session", self.session)
        if session:
            message["sessionId"] = session
        os.write(self._write, json.dumps(message).encode() + b"\0")
        deadline = time.monotonic() + self.timeout
        while True:
            answer = self._message(deadline)
            if answer.get("id") == self._next:
                if "error" in answer:
                    raise BrowserError(f"{method}: {answer['error']}")
                return answer.get("result", {})

    def _message(self, deadline: float) -> dict[str, Any]:
        while b"\0" not in self._buffer:
            left = deadline - time.monotonic()
            if left <= 0:
                raise BrowserError("chromium did not answer in time")
            ready, _, _ = select.select([self._read], [], [], left)
            if ready:
                chunk = os.read(self._read, 1 << 20)
                if not chunk:
                    raise BrowserError("chromium closed the pipe")
                self._buffer += chunk
        raw, _, self._buffer = self._buffer.partition(b"\0")
        found: dict[str, Any] = json.loads(raw)
        return found

    # -- pages --
    def open(self, page: Path, fragment: str = "", size: tuple[int, int] = (1400, 900)) -> float:
        """Open ``page`` in a fresh tab of ``size`` and wait until its script is done;
        returns the wall-clock seconds from navigation to ``body[data-ready]``."""
        target = self.call("Target.createTarget", {"url": "about:blank"}, session="")
        attached = self.call(
            "Target.attachToTarget", {"targetId": target["targetId"], "flatten": True}, session=""
        )
        self.session = attached["sessionId"]
        width, height = size
        self.call(
            "Emulation.setDeviceMetricsOverride",
            {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": False},
        )
        self.call("Performance.enable", {"timeDomain": "threadTicks"})
        start = time.monotonic()
        self.call("Page.navigate", {"url": page.resolve().as_uri() + fragment})
        self.wait("document.readyState === 'complete' && !!document.body")
        self.wait(READY)
        return time.monotonic() - start

    def metrics(self) -> dict[str, float]:
        """The open page's performance counters (``TaskDuration``: seconds of main-thread
        work, ``ScriptDuration``, ``LayoutDuration``...), steadier than the wall clock on a
        busy machine."""
        found = self.call("Performance.getMetrics")["metrics"]
        return {m["name"]: float(m["value"]) for m in found}

    def evaluate(self, expression: str) -> Any:
        """The value of a JavaScript expression in the page (JSON-serialisable)."""
        done = self.call(
            "Runtime.evaluate",
            {"expression": expression, "returnByValue": True, "awaitPromise": True},
        )
        if "exceptionDetails" in done:
            raise BrowserError(f"{expression[:80]}: {done['exceptionDetails']}")
        return done["result"].get("value")

    def wait(self, condition: str, timeout: float | None = None) -> None:
        deadline = time.monotonic() + (timeout or self.timeout)
        while not self.evaluate(f"!!({condition})"):
            if time.monotonic() > deadline:
                raise BrowserError(f"timed out waiting for {condition}")
            time.sleep(0.05)

    def screenshot(self, out: Path) -> Path:
        shot = self.call("Page.captureScreenshot", {"format": "png"})
        out.write_bytes(base64.b64decode(shot["data"]))
        return out

    # -- lifetime --
    def close(self) -> None:
        with contextlib.suppress(BrowserError, OSError):
            self.call("Browser.close", session="")
        try:
            self._proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self._proc.kill()
            self._proc.wait(timeout=10)
        for fd in (self._read, self._write):
            with contextlib.suppress(OSError):
                os.close(fd)
        self._profile.cleanup()

    def __enter__(self) -> Browser:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
