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

The namespaces are named by the prefix (``PODPATH_PREFIX``), not by the folder, and ``up`` and
``down`` remove every namespace of the prefix: two state folders with one prefix would remove
each other's. So the four commands also lock the prefix (:func:`locked`, after the folder: one
order, no deadlock): an exclusive ``flock`` on ``/run/podpath-locks/PREFIX.lock``, the folder
checked as the state folder is (mode 0700, this user's, nobody else's to write, nor the folders
above it) and the file as a state file is. The lock file records the state folder whose
environment is up under the prefix (``up`` writes it, ``down`` clears it): another folder's
command is refused while that folder still has its state, and takes over (stopping the old
folder's agents) once it has none. Only root makes namespaces, so a process that is not root
takes no prefix lock.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import json
import os
import re
import secrets
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from podpath.errors import StateDirError

FOLDER_MODE = 0o700
STATE_FILE = "state.json"
LOCK_DIR = Path("/run/podpath-locks")
LOCK_NAME = re.compile(r"pp[a-z0-9]{0,6}-")
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
MSG_PREFIX = "the prefix {prefix} ({path})"
MSG_PREFIX_OWNED = (
    "namespace prefix {prefix} is in use by the environment of state folder {owner}: run "
    "`podpath down` with PODPATH_STATE_DIR={owner} first, or use another PODPATH_PREFIX"
)


def _refuse(what: str, path: Path | str, problem: str) -> StateDirError:
    return StateDirError(f"{what} {path}: {problem}; refusing to use it")


def check_owned(what: str, path: Path | str, st: os.stat_result) -> None:
    """A state folder or file must be the current user's and writable by nobody else."""
    me = os.geteuid()
    if st.st_uid != me:
        raise _refuse(what, path, MSG_OWNER.format(uid=st.st_uid, me=me))
    if st.st_mode & 0o022:
        raise _refuse(what, path, MSG_WRITABLE.format(mode=stat.S_IMODE(st.st_mode)))


def _check_ancestor(folder: Path, ancestor: Path, what: str = "state folder") -> None:
    try:
        st = os.lstat(ancestor)
    except FileNotFoundError:
        return  # created next, with mode 0700
    me = os.geteuid()
    if st.st_uid not in (0, me):
        problem = MSG_ANCESTOR_OWNER.format(uid=st.st_uid, me=me)
        raise _refuse(what, folder, f"the folder above it, {ancestor}, {problem}")
    if stat.S_ISLNK(st.st_mode):
        return  # a symlink's own mode is always 0777; its target is checked by realpath
    if st.st_mode & 0o022 and not st.st_mode & stat.S_ISVTX:
        problem = MSG_WRITABLE.format(mode=stat.S_IMODE(st.st_mode))
        raise _refuse(what, folder, f"the folder above it, {ancestor}, {problem}")


def check_ancestors(folder: Path, what: str = "state folder") -> None:
    """Every folder above ``folder`` (as written and as resolved) is root's or this user's and
    not writable by others (unless sticky): nobody else can swap the folder for another."""
    written = Path(os.path.abspath(folder))
    seen: set[Path] = set()
    for chain in (written.parent, Path(os.path.realpath(written.parent))):
        for ancestor in (chain, *chain.parents):
            if ancestor not in seen:
                seen.add(ancestor)
                _check_ancestor(folder, ancestor, what)


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
        self.prefix_lock: PrefixLock | None = None  # set by :func:`locked`
        self.stale_owner: str | None = None  # a folder that owned the prefix, now without state

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


def open_state_dir(path: Path, *, create: bool, what: str = "state folder") -> StateDir | None:
    """The checked state folder at ``path`` (created with mode 0700 when ``create``), or None
    when it does not exist and ``create`` is false. ``what`` names it in errors."""
    if create and not os.path.lexists(path):
        check_ancestors(path, what)
        _make_folder(path)
    flags = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC
    try:
        fd = os.open(path, flags)
    except FileNotFoundError:
        if create:
            raise _refuse(what, path, "disappeared while being created") from None
        return None
    except OSError as exc:
        if os.path.islink(path):
            raise _refuse(what, path, MSG_SYMLINK) from None
        problem = MSG_NOT_FOLDER if exc.errno == errno.ENOTDIR else str(exc.strerror)
        raise _refuse(what, path, problem) from None
    try:
        check_owned(what, path, os.fstat(fd))
        check_ancestors(path, what)
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


class PrefixLock:
    """The open lock file of one namespace prefix, and the state folder it records as owning
    the environment that is up under the prefix (module docstring)."""

    def __init__(self, prefix: str, path: Path, fd: int) -> None:
        self.prefix = prefix
        self.path = path
        self.fd = fd

    def owner(self) -> str | None:
        """The state folder recorded by the last ``up`` (None: none, or cleared by ``down``)."""
        data = os.pread(self.fd, 65536, 0)
        try:
            value = json.loads(data) if data.strip() else None
        except ValueError:
            raise _refuse("lock file", self.path, MSG_BAD_JSON) from None
        folder = value.get("state_dir") if isinstance(value, dict) else None
        return folder if isinstance(folder, str) else None

    def record(self, folder: str | None) -> None:
        """Record ``folder`` as the owner (None: clear it)."""
        body = json.dumps({"state_dir": folder}).encode() + b"\n" if folder else b""
        os.ftruncate(self.fd, 0)
        os.pwrite(self.fd, body, 0)
        os.fsync(self.fd)

    def close(self) -> None:
        if self.fd >= 0:
            os.close(self.fd)
            self.fd = -1


def open_prefix_lock(prefix: str, lock_dir: Path = LOCK_DIR) -> PrefixLock:
    """The lock file of ``prefix`` in ``lock_dir`` (created: folder 0700, file 0600), checked
    as the state folder and its files are (module docstring)."""
    if not LOCK_NAME.fullmatch(prefix):
        raise StateDirError(f"namespace prefix {prefix!r} cannot name a lock file")
    folder = open_state_dir(lock_dir, create=True, what="lock folder")
    assert folder is not None  # created
    name = f"{prefix}.lock"
    flags = os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC | os.O_NONBLOCK
    try:
        fd = os.open(name, flags, FILE_MODE, dir_fd=folder.fd)
    except OSError as exc:
        problem = MSG_SYMLINK if exc.errno == errno.ELOOP else str(exc.strerror)
        raise _refuse("lock file", lock_dir / name, problem) from None
    finally:
        folder.close()
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise _refuse("lock file", lock_dir / name, MSG_NOT_FILE)
        check_owned("lock file", lock_dir / name, st)
    except BaseException:
        os.close(fd)
        raise
    return PrefixLock(prefix, lock_dir / name, fd)


def _flock(fd: int, shown: str, wait: bool) -> None:
    """An exclusive ``flock`` on ``fd``; held by another: :class:`StateDirError` naming the
    holder and ``shown``, or, with ``wait``, wait until it is released."""
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        if not wait:
            pid, cmd = lock_holder(fd) or (0, "command")
            raise StateDirError(
                MSG_LOCKED.format(cmd=cmd, path=shown, pid=pid or "unknown")
            ) from None
        fcntl.flock(fd, fcntl.LOCK_EX)


def has_state(folder: str) -> bool:
    """Whether the state folder ``folder`` still holds an environment's state (an unsafe one
    counts as holding it: it is never taken over)."""
    try:
        sd = open_state_dir(Path(folder), create=False)
    except StateDirError:
        return True
    if sd is None:
        return False
    try:
        return sd.exists(STATE_FILE)
    finally:
        sd.close()


def _check_owner(plock: PrefixLock, sd: StateDir) -> None:
    """Refuse a folder that does not own the prefix while its owner has state; mark an owner
    without state as stale (module docstring)."""
    owner = plock.owner()
    if owner is None or owner == os.path.abspath(sd.path):
        return
    if has_state(owner):
        raise StateDirError(MSG_PREFIX_OWNED.format(prefix=plock.prefix, owner=owner))
    sd.stale_owner = owner


def takes_prefix_lock() -> bool:
    """Only root makes network namespaces, so only root locks a prefix (module docstring)."""
    return os.geteuid() == 0


def _current_prefix() -> str:
    from podpath.dataplane.plan import PREFIX

    return PREFIX


@contextlib.contextmanager
def locked(
    path: Path,
    *,
    create: bool,
    wait: bool = False,
    prefix: str | None = None,
    lock_dir: Path = LOCK_DIR,
) -> Iterator[StateDir | None]:
    """The checked state folder, exclusively locked for the block (None when it does not exist
    and ``create`` is false), and, for root, the lock of the namespace prefix (``prefix``, else
    ``PODPATH_PREFIX``'s) after it (module docstring). Held by another process:
    :class:`StateDirError` naming it, or, with ``wait``, wait until it is released."""
    sd = open_state_dir(path, create=create)
    if sd is None:
        yield None
        return
    plock: PrefixLock | None = None
    try:
        _flock(sd.fd, str(path), wait)
        if takes_prefix_lock():
            plock = open_prefix_lock(prefix or _current_prefix(), lock_dir)
            _flock(plock.fd, MSG_PREFIX.format(prefix=plock.prefix, path=plock.path), wait)
            _check_owner(plock, sd)
            sd.prefix_lock = plock
        yield sd
    finally:
        sd.close()
        if plock is not None:
            plock.close()
