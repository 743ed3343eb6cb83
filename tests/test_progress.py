"""Progress on a terminal, silence when piped: ``podpath matrix`` run under a pseudo-terminal
(its standard error a pty) shows what it has done (objects read, classes computed) through
rich's status line; with standard error a pipe it writes nothing there. The delay is set to 0
(``PODPATH_PROGRESS_DELAY``) so that no timing enters the test."""

from __future__ import annotations

import os
import pty
import subprocess
import sys
import threading

import pytest

ARGS = [sys.executable, "-m", "podpath", "matrix", "-f", "examples/shop", "-o", "csv"]


def _env() -> dict[str, str]:
    return dict(os.environ, PODPATH_PROGRESS_DELAY="0", TERM="xterm-256color", COLUMNS="120")


@pytest.mark.skipif(sys.platform == "win32", reason="pty is POSIX")
def test_a_terminal_shows_progress_on_stderr() -> None:
    master, slave = pty.openpty()
    proc = subprocess.Popen(ARGS, stdout=subprocess.PIPE, stderr=slave, env=_env())
    os.close(slave)
    box: list[bytes] = []
    reader = threading.Thread(target=lambda: box.append(proc.stdout.read()))  # type: ignore[union-attr]
    reader.start()
    chunks = []
    while True:
        try:
            data = os.read(master, 65536)
        except OSError:  # EIO: the child closed its end
            break
        if not data:
            break
        chunks.append(data)
    reader.join()
    proc.wait()
    proc.stdout.close()  # type: ignore[union-attr]
    os.close(master)
    out = box[0]
    err = b"".join(chunks).decode("utf-8", "replace")
    assert proc.returncode == 0
    assert "loading" in err and "objects read" in err
    assert "classes computed" in err
    assert out.startswith(b"from,to,ports\n")  # the data stays on stdout, whole
    assert b"from,to,ports" not in err.encode() and out == _piped().stdout


def _piped() -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(ARGS, capture_output=True, env=_env())


def test_a_pipe_gets_no_progress() -> None:
    proc = _piped()
    assert proc.returncode == 0
    assert proc.stderr == b""
    assert proc.stdout.startswith(b"from,to,ports\n")
