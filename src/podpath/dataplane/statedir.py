"""The data plane's state folder: whom podpath trusts with it, how files in it are written, and
the lock that keeps two commands out of each other's way.

The data plane runs as root and reads the folder back (``probe``, ``exec``, ``down`` and the
servers' agent), so the folder is trusted only when nobody else could have written it:

- the folder (``PODPATH_STATE_DIR``, default ``/run/podpath``) is not a symbolic link, is
  owned by the current user and is not writable by group or others; a missing one is created
  with mode 0700, an existing one is checked and never silently ``chmod``-ed;
- every folder above it is owned by root or the current user, and not writable by group or
  others unless it has the sticky bit (as ``/tmp``), where nobody else can rename it away;
- each file is opened with ``O_NOFOLLOW`` relative to the folder's descriptor, must be a
  regular file owned by the current user and not writable by group or others;
- each file is written to a new name made with ``O_CREAT | O_EXCL | O_NOFOLLOW`` and mode 0600
  (mkstemp's semantics), then renamed over the old one: a planted symlink is never followed;
- the content is JSON data, never pickled objects.

``up``, ``down``, ``probe`` and ``exec`` hold an exclusive ``flock`` on the folder while they
use it; a second one exits 2 naming the holder (or waits for it, with ``--wait``).
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import json
import os
import secrets
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from podpath.errors import StateDirError

FOLDER_MODE = 0o700
FILE_MODE = 0o600
COMMANDS = ("up", "down", "probe", "exec")
MSG_SYMLINK = "is a symbolic link"
MSG_NOT_FOLDER = "is not a folder"
MSG_NOT_FILE = "is not a regular file"
MSG_OWNER = "is owned by uid {uid}, not by this user (uid {me})"
MSG_ANCESTOR_OWNER = "is owned by uid {uid}, neither root nor this user (uid {me})"
MSG_WRITABLE = "is writable by group or others (mode {mode:04o})"
MSG_LOCKED = "another podpath {cmd} holds {path} (pid {pid}); pass --wait to wait for it"
MSG_BAD_JSON = "is not the JSON podpath writes"


def _refuse(what: str, path: Path | str, problem: str) -> StateDirError:
    return StateDirError(f"{what} {path}: {problem}; refusing to use it")


def check_owned(what: str, path: Path | str, st: os.stat_result) -> None:
    """A state folder or file must be the current user's and writable by nobody else."""
    me = os.geteuid()
    if st.st_uid != me:
        raise _refuse(what, path, MSG_OWNER.format(uid=st.st_uid, me=me))
    if st.st_mode & 0o022:
        raise _refuse(what, path, MSG_WRITABLE.format(mode=stat.S_IMODE(st.st_mode)))


def _check_ancestor(folder: Path, ancestor: Path) -> None:
    try:
        st = os.lstat(ancestor)
    except FileNotFoundError:
        return  # created next, with mode 0700
    me = os.geteuid()
    if st.st_uid not in (0, me):
        problem = MSG_ANCESTOR_OWNER.format(uid=st.st_uid, me=me)
        raise _refuse("state folder", folder, f"the folder above it, {ancestor}, {problem}")
    if stat.S_ISLNK(st.st_mode):
        return  # a symlink's own mode is always 0777; its target is checked by realpath
    if st.st_mode & 0o022 and not st.st_mode & stat.S_ISVTX:
        problem = MSG_WRITABLE.format(mode=stat.S_IMODE(st.st_mode))
        raise _refuse("state folder", folder, f"the folder above it, {ancestor}, {problem}")


def check_ancestors(folder: Path) -> None:
    """Every folder above ``folder`` (as written and as resolved) is root's or this user's and
    not writable by others (unless sticky): nobody else can swap the folder for another."""
    written = Path(os.path.abspath(folder))
    seen: set[Path] = set()
    for chain in (written.parent, Path(os.path.realpath(written.parent))):
        for ancestor in (chain, *chain.parents):
            if ancestor not in seen:
                seen.add(ancestor)
                _check_ancestor(folder, ancestor)


def _make_folder(path: Path) -> None:
    """Create ``path`` (and missing folders above it) with mode 0700."""
    missing = []
    current = Path(os.path.abspath(path))
    while not os.path.lexists(current):
        missing.append(current)
        current = current.parent
    for folder in reversed(missing):
        with contextlib.suppress(FileExistsError):
            os.mkdir(folder, FOLDER_MODE)


class StateDir:
    """An open, checked state folder; files are read and written relative to its descriptor."""

    def __init__(self, path: Path, fd: int) -> None:
        self.path = path
        self.fd = fd

    def close(self) -> None:
        if self.fd >= 0:
            os.close(self.fd)
            self.fd = -1

    def exists(self, name: str) -> bool:
        try:
            os.stat(name, dir_fd=self.fd, follow_symlinks=False)
        except FileNotFoundError:
            return False
        return True

    def read_json(self, name: str) -> Any:
        """The JSON in ``name``, or None when there is no such file; anything unsafe or not
        JSON raises :class:`StateDirError`."""
        flags = os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC | os.O_NONBLOCK
        try:
            fd = os.open(name, flags, dir_fd=self.fd)
        except FileNotFoundError:
            return None
        except OSError as exc:
            problem = MSG_SYMLINK if exc.errno == errno.ELOOP else exc.strerror
            raise _refuse("state file", self.path / name, str(problem)) from None
        with os.fdopen(fd, "rb") as fh:
            st = os.fstat(fh.fileno())
            if not stat.S_ISREG(st.st_mode):
                raise _refuse("state file", self.path / name, MSG_NOT_FILE)
            check_owned("state file", self.path / name, st)
            data = fh.read()
        try:
            return json.loads(data)
        except ValueError:
            raise _refuse("state file", self.path / name, MSG_BAD_JSON) from None

    def write_json(self, name: str, data: Any) -> None:
        """Write ``data`` as JSON to ``name``: a new file (O_EXCL, O_NOFOLLOW, mode 0600)
        renamed over the old one, so nothing planted at any name is followed."""
        body = json.dumps(data, indent=1, ensure_ascii=False).encode()
        tmp = f".{name}.{secrets.token_hex(8)}.tmp"
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC
        fd = os.open(tmp, flags, FILE_MODE, dir_fd=self.fd)
        try:
            os.fchmod(fd, FILE_MODE)  # exactly 0600, whatever the umask
            view = memoryview(body)
            while view:
                view = view[os.write(fd, view) :]
            os.fsync(fd)
        except BaseException:
            os.close(fd)
            os.unlink(tmp, dir_fd=self.fd)
            raise
        os.close(fd)
        os.replace(tmp, name, src_dir_fd=self.fd, dst_dir_fd=self.fd)

    def remove(self, name: str) -> None:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(name, dir_fd=self.fd)


def open_state_dir(path: Path, *, create: bool) -> StateDir | None:
    """The checked state folder at ``path`` (created with mode 0700 when ``create``), or None
    when it does not exist and ``create`` is false."""
    if create and not os.path.lexists(path):
        check_ancestors(path)
        _make_folder(path)
    flags = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC
    try:
        fd = os.open(path, flags)
    except FileNotFoundError:
        if create:
            raise _refuse("state folder", path, "disappeared while being created") from None
        return None
    except OSError as exc:
        if os.path.islink(path):
            raise _refuse("state folder", path, MSG_SYMLINK) from None
        problem = MSG_NOT_FOLDER if exc.errno == errno.ENOTDIR else str(exc.strerror)
        raise _refuse("state folder", path, problem) from None
    try:
        check_owned("state folder", path, os.fstat(fd))
        check_ancestors(path)
    except BaseException:
        os.close(fd)
        raise
    return StateDir(path, fd)


def lock_holder(fd: int) -> tuple[int, str] | None:
    """The process holding a ``flock`` on the file behind ``fd`` and its podpath command, from
    ``/proc/locks`` (lines ``N: FLOCK ADVISORY WRITE PID MAJ:MIN:INODE 0 EOF``)."""
    st = os.fstat(fd)
    where = f"{os.major(st.st_dev):02x}:{os.minor(st.st_dev):02x}:{st.st_ino}"
    try:
        lines = Path("/proc/locks").read_text().splitlines()
    except OSError:
        return None
    for line in lines:
        fields = line.split()
        if "->" in fields or len(fields) < 6 or fields[1] != "FLOCK" or fields[5] != where:
            continue
        pid = int(fields[4]) if fields[4].isdigit() else 0
        return pid, _podpath_command(pid)
    return None


def _podpath_command(pid: int) -> str:
    try:
        args = Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace").split("\0")
    except OSError:
        return "command"
    return next((a for a in args if a in COMMANDS), "command")


@contextlib.contextmanager
def locked(path: Path, *, create: bool, wait: bool = False) -> Iterator[StateDir | None]:
    """The checked state folder, exclusively locked for the block (None when it does not exist
    and ``create`` is false). Held by another process: :class:`StateDirError` naming it, or,
    with ``wait``, wait until it is released."""
    sd = open_state_dir(path, create=create)
    if sd is None:
        yield None
        return
    try:
        try:
            fcntl.flock(sd.fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            if not wait:
                pid, cmd = lock_holder(sd.fd) or (0, "command")
                raise StateDirError(
                    MSG_LOCKED.format(cmd=cmd, path=path, pid=pid or "unknown")
                ) from None
            fcntl.flock(sd.fd, fcntl.LOCK_EX)
        yield sd
    finally:
        sd.close()
