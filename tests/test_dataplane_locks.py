"""The data plane's locks (podpath.dataplane.statedir): the state folder's, and the namespace
prefix's, so that neither a second command on one folder nor a command on another folder with
the same ``PODPATH_PREFIX`` removes the namespaces of an ``up`` that is running or up.

A command that must meet another holding a lock never relies on timing: the holder is stopped
(SIGSTOP) while the test sees it hold the lock, so it holds it for as long as the test needs
(a stopped process keeps its locks); it goes on (SIGCONT) afterwards.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from podpath.dataplane.plan import PREFIX
from podpath.dataplane.statedir import (
    LOCK_DIR,
    MSG_PREFIX_OWNED,
    STATE_FILE,
    lock_holder,
    locked,
    open_prefix_lock,
)
from podpath.errors import StateDirError

SMALL = """
apiVersion: v1
kind: Pod
metadata: {name: web-1, namespace: shop, labels: {app: web}}
spec:
  containers: [{name: c, ports: [{containerPort: 8080}]}]
---
apiVersion: v1
kind: Service
metadata: {name: web, namespace: shop}
spec:
  selector: {app: web}
  ports: [{port: 80, targetPort: 8080}]
"""

IS_ROOT = hasattr(os, "geteuid") and os.geteuid() == 0
CAN_RUN = (
    sys.platform.startswith("linux")
    and IS_ROOT
    and shutil.which("ip") is not None
    and shutil.which("nft") is not None
)
needs_root = pytest.mark.skipif(not CAN_RUN, reason="needs root, Linux, ip and nft")
root_only = pytest.mark.skipif(not IS_ROOT, reason="the prefix lock is root's")
TEST_PREFIX = "pplockt-"  # no namespace is ever made with it


@pytest.fixture
def small(tmp_path: Path) -> Path:
    path = tmp_path / "small.yaml"
    path.write_text(SMALL)
    return path


def _podpath(*args: str, state: Path, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, PODPATH_STATE_DIR=str(state))
    return subprocess.run(
        [sys.executable, "-m", "podpath.cli", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=env,
        check=False,
    )


def _up_in_background(small: Path, state: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "podpath.cli", "up", "-f", str(small)],
        env=dict(os.environ, PODPATH_STATE_DIR=str(state)),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def _until(condition: Callable[[], bool], seconds: float = 120) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.005)
    return False


def _held_by(path: Path, pid: int) -> bool:
    """Whether process ``pid`` holds a flock on the folder or file at ``path``."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return False
    try:
        holder = lock_holder(fd)
    finally:
        os.close(fd)
    return holder is not None and holder[0] == pid


def _stopped(pid: int) -> bool:
    text = Path(f"/proc/{pid}/stat").read_text()
    return text.rpartition(")")[2].split()[0] in ("T", "t")


@contextlib.contextmanager
def holding(proc: subprocess.Popen[bytes], lock: Path) -> Iterator[None]:
    """``proc`` stopped while it holds the flock on ``lock`` (module docstring), continued
    after the block."""
    assert _until(lambda: _held_by(lock, proc.pid) or proc.poll() is not None)
    os.kill(proc.pid, signal.SIGSTOP)
    try:
        assert _until(lambda: _stopped(proc.pid) or proc.poll() is not None)
        assert proc.poll() is None and _held_by(lock, proc.pid), "up finished before it stopped"
        yield
    finally:
        os.kill(proc.pid, signal.SIGCONT)


def _leftovers() -> list[str]:
    from podpath.dataplane.netns import our_links, our_netns, our_tables

    return our_netns() + our_links() + our_tables()


def _prefix_lock() -> Path:
    return LOCK_DIR / f"{PREFIX}.lock"


@pytest.mark.dataplane
@needs_root
def test_a_second_up_exits_2_while_the_first_holds_the_state(small: Path, tmp_path: Path) -> None:
    state = tmp_path / "state"
    first = _up_in_background(small, state)
    try:
        with holding(first, state):
            second = _podpath("up", "-f", str(small), state=state)
        assert second.returncode == 2
        assert second.stderr.strip().splitlines() == [
            f"podpath: error: another podpath up holds {state} (pid {first.pid}); "
            "pass --wait to wait for it"
        ]
        assert first.wait(timeout=120) == 0  # the second did not tear the first down
        probe = _podpath("probe", "--format", "json", "--timeout", "0.5", state=state)
        assert probe.returncode == 0, probe.stdout + probe.stderr
    finally:
        if first.poll() is None:
            first.kill()
            first.wait(timeout=30)
        down = _podpath("down", state=state)
    assert down.returncode == 0, down.stderr
    assert _leftovers() == []


@pytest.mark.dataplane
@needs_root
def test_two_state_folders_with_one_prefix_keep_out_of_each_other(
    small: Path, tmp_path: Path
) -> None:
    a, b = tmp_path / "a", tmp_path / "b"
    first = _up_in_background(small, a)
    try:
        # while a's up runs: b's up waits for nothing, it exits 2 naming the prefix's holder
        with holding(first, _prefix_lock()):
            second = _podpath("up", "-f", str(small), state=b)
        assert second.returncode == 2
        assert second.stderr.strip().splitlines() == [
            f"podpath: error: another podpath up holds the prefix {PREFIX} ({_prefix_lock()}) "
            f"(pid {first.pid}); pass --wait to wait for it"
        ]
        assert first.wait(timeout=120) == 0
        # a's environment is up: b may neither replace it nor take it down
        owned = MSG_PREFIX_OWNED.format(prefix=PREFIX, owner=a)
        for args in (("up", "-f", str(small)), ("down",)):
            refused = _podpath(*args, state=b)
            assert refused.returncode == 2, refused.stderr
            assert refused.stderr.strip().splitlines() == [f"podpath: error: {owned}"]
        probe = _podpath("probe", "--format", "json", "--timeout", "0.5", state=a)
        assert probe.returncode == 0, probe.stdout + probe.stderr
        # once a is down, b may come up
        assert _podpath("down", state=a).returncode == 0
        assert json.loads(_prefix_lock().read_text() or "null") is None
        up_b = _podpath("up", "-f", str(small), state=b)
        assert up_b.returncode == 0, up_b.stderr
    finally:
        if first.poll() is None:
            first.kill()
            first.wait(timeout=30)
        _podpath("down", state=a)
        down = _podpath("down", state=b)
    assert down.returncode == 0, down.stderr
    assert _leftovers() == []


def test_the_lock_folder_and_file_are_made_private(tmp_path: Path) -> None:
    locks = tmp_path / "locks"
    plock = open_prefix_lock(TEST_PREFIX, locks)
    try:
        assert (os.stat(locks).st_mode & 0o777, os.stat(plock.path).st_mode & 0o777) == (
            0o700,
            0o600,
        )
        assert plock.path == locks / f"{TEST_PREFIX}.lock" and plock.owner() is None
        plock.record("/some/state")
        assert plock.owner() == "/some/state"
        plock.record(None)
        assert plock.owner() is None
    finally:
        plock.close()


def test_an_unsafe_lock_folder_or_file_is_refused(tmp_path: Path) -> None:
    locks = tmp_path / "locks"
    locks.mkdir(mode=0o700)
    os.chmod(locks, 0o777)
    with pytest.raises(StateDirError, match=r"^lock folder .*writable by group or others"):
        open_prefix_lock(TEST_PREFIX, locks)
    os.chmod(locks, 0o700)
    (locks / f"{TEST_PREFIX}.lock").symlink_to(tmp_path / "elsewhere")
    with pytest.raises(StateDirError, match=r"^lock file .*is a symbolic link"):
        open_prefix_lock(TEST_PREFIX, locks)
    with pytest.raises(StateDirError, match="cannot name a lock file"):
        open_prefix_lock("../x-", locks)


@root_only
def test_a_lock_file_of_another_user_is_refused(tmp_path: Path) -> None:
    locks = tmp_path / "locks"
    locks.mkdir(mode=0o700)
    (locks / f"{TEST_PREFIX}.lock").write_text("")
    os.chown(locks / f"{TEST_PREFIX}.lock", 1000, 1000)
    with pytest.raises(StateDirError, match=r"^lock file .*is owned by uid 1000"):
        open_prefix_lock(TEST_PREFIX, locks)


@root_only
def test_one_prefix_one_holder(tmp_path: Path) -> None:
    locks = tmp_path / "locks"
    with locked(tmp_path / "a", create=True, prefix=TEST_PREFIX, lock_dir=locks) as sd:
        assert sd is not None and sd.prefix_lock is not None
        with (
            pytest.raises(StateDirError, match=f"holds the prefix {TEST_PREFIX} "),
            locked(tmp_path / "b", create=True, prefix=TEST_PREFIX, lock_dir=locks),
        ):
            pass
        # another prefix is another lock
        with locked(tmp_path / "b", create=True, prefix="pplockx-", lock_dir=locks) as other:
            assert other is not None


@root_only
def test_the_folder_that_is_up_owns_the_prefix_until_it_has_no_state(tmp_path: Path) -> None:
    locks, a, b = tmp_path / "locks", tmp_path / "a", tmp_path / "b"
    with locked(a, create=True, prefix=TEST_PREFIX, lock_dir=locks) as sd:
        assert sd is not None and sd.prefix_lock is not None
        sd.prefix_lock.record(str(a))  # as up does
        sd.write_json(STATE_FILE, {"version": 2})
    owned = MSG_PREFIX_OWNED.format(prefix=TEST_PREFIX, owner=a)
    with (
        pytest.raises(StateDirError, match=f"^{owned}$".replace("(", r"\(").replace(")", r"\)")),
        locked(b, create=True, prefix=TEST_PREFIX, lock_dir=locks),
    ):
        pass
    with locked(a, create=True, prefix=TEST_PREFIX, lock_dir=locks) as again:
        assert again is not None and again.stale_owner is None  # its own
    (a / STATE_FILE).unlink()  # a is down (or its folder was cleaned away): b takes over
    with locked(b, create=True, prefix=TEST_PREFIX, lock_dir=locks) as sd:
        assert sd is not None and sd.stale_owner == str(a)


def test_without_root_no_prefix_lock_is_taken(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import podpath.dataplane.statedir as statedir

    monkeypatch.setattr(statedir, "takes_prefix_lock", lambda: False)
    locks = tmp_path / "locks"
    with locked(tmp_path / "a", create=True, prefix=TEST_PREFIX, lock_dir=locks) as sd:
        assert sd is not None and sd.prefix_lock is None
    assert not locks.exists()
