"""Linux plumbing: entering network namespaces, running ``ip``/``nft`` in batches, preflight.

Everything here acts only on namespaces named with the ``pp-`` prefix.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import shutil
import socket
import subprocess
import sys
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor

from podpath.dataplane.plan import PREFIX

CLONE_NEWNET = 0x40000000
NETNS_DIR = "/run/netns"
COMMAND_TIMEOUT = 60.0
MSG_NOT_LINUX = "podpath {cmd}: needs Linux network namespaces (this is {system})"
MSG_NOT_ROOT = "podpath {cmd}: needs root (network namespaces and nftables); run it with sudo"
MSG_NO_TOOL = "podpath {cmd}: needs the `{tool}` command (Debian: apt-get install {package})"

_libc = ctypes.CDLL(None, use_errno=True)


class DataplaneError(RuntimeError):
    """A step of building or probing the data plane failed (the message names the step)."""


def preflight(
    cmd: str, tools: Sequence[tuple[str, str]] = (("ip", "iproute2"), ("nft", "nftables"))
) -> str | None:
    """Why this machine cannot run the data plane (one line), or None when it can."""
    if not sys.platform.startswith("linux"):
        return MSG_NOT_LINUX.format(cmd=cmd, system=sys.platform)
    if os.geteuid() != 0:
        return MSG_NOT_ROOT.format(cmd=cmd)
    for tool, package in tools:
        if shutil.which(tool) is None:
            return MSG_NO_TOOL.format(cmd=cmd, tool=tool, package=package)
    return None


def sctp_supported() -> bool:
    """Whether the kernel can open SCTP sockets."""
    try:
        socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_SCTP).close()
    except OSError:
        return False
    return True


def ipv6_supported(proc: str = "/proc/sys/net/ipv6") -> bool:
    """Whether the kernel allows IPv6 here: ``/proc/sys/net/ipv6`` exists (not booted with
    ``ipv6.disable=1``) and IPv6 is not switched off (``conf/all|default/disable_ipv6``)."""
    for name in ("all", "default"):
        try:
            with open(os.path.join(proc, "conf", name, "disable_ipv6")) as fh:
                if fh.read().strip() != "0":
                    return False
        except OSError:
            return False
    return True


def setns(fd: int) -> None:
    if _libc.setns(fd, CLONE_NEWNET) != 0:
        err = ctypes.get_errno()
        raise OSError(err, os.strerror(err))


@contextlib.contextmanager
def entered(netns: str) -> Iterator[None]:
    """Run the block with this thread in ``netns`` (sockets made there stay there)."""
    home = os.open("/proc/thread-self/ns/net", os.O_RDONLY)
    target = os.open(os.path.join(NETNS_DIR, netns), os.O_RDONLY)
    try:
        setns(target)
        try:
            yield
        finally:
            setns(home)
    finally:
        os.close(target)
        os.close(home)


def open_netns(netns: str) -> int:
    return os.open(os.path.join(NETNS_DIR, netns), os.O_RDONLY)


def socket_in(fd: int, home: int, family: int, kind: int, proto: int = 0) -> socket.socket:
    """A socket created in the namespace ``fd`` (then back to ``home``)."""
    setns(fd)
    try:
        return socket.socket(family, kind, proto)
    finally:
        setns(home)


def run(args: Sequence[str], *, stdin: str | None = None, what: str = "") -> str:
    """Run a command; a failure raises :class:`DataplaneError` naming the step."""
    try:
        done = subprocess.run(
            list(args),
            input=stdin,
            capture_output=True,
            text=True,
            timeout=COMMAND_TIMEOUT,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise DataplaneError(f"{what or args[0]}: {exc}") from None
    if done.returncode != 0:
        detail = (done.stderr or done.stdout).strip().splitlines()
        errors = [line for line in detail if "rror" in line] or detail[-1:]
        raise DataplaneError(
            f"{what or ' '.join(args[:3])}: {errors[0] if errors else done.returncode}"
        )
    return done.stdout


def ip_batch(netns: str | None, lines: Sequence[str], what: str) -> None:
    """``ip -batch`` in a namespace (or the initial one for ``netns add/del`` only)."""
    if not lines:
        return
    args = ["ip", "-force"] + (["-n", netns] if netns else []) + ["-batch", "-"]
    run(args, stdin="\n".join(lines) + "\n", what=what)


def parallel(jobs: Sequence[tuple[str | None, Sequence[str], str]], workers: int = 8) -> None:
    """Several ``ip`` batches at once (each in its own namespace)."""
    with ThreadPoolExecutor(max_workers=workers) as pool:
        for future in [pool.submit(ip_batch, *job) for job in jobs]:
            future.result()


def nft_load(netns: str, ruleset: str) -> None:
    run(["ip", "netns", "exec", netns, "nft", "-f", "-"], stdin=ruleset, what=f"nft in {netns}")


def sysctl(netns: str, key: str, value: str) -> None:
    with entered(netns), open("/proc/sys/" + key.replace(".", "/"), "w") as fh:
        fh.write(value)


def our_netns() -> list[str]:
    """The ``pp-`` namespaces that exist now."""
    try:
        names = os.listdir(NETNS_DIR)
    except FileNotFoundError:
        return []
    return sorted(n for n in names if n.startswith(PREFIX))


def our_tables() -> list[str]:
    """``pp-`` nftables tables of the initial namespace (there should never be any)."""
    if shutil.which("nft") is None:
        return []
    out = run(["nft", "list", "tables"], what="nft list tables")
    return [
        line
        for line in out.splitlines()
        if line.split()[-1:] and line.split()[-1].startswith(PREFIX)
    ]


def our_links() -> list[str]:
    """``pp-`` links of the initial namespace (there should never be any)."""
    out = run(["ip", "-o", "link", "show"], what="ip link")
    names = [line.split(":")[1].strip().split("@")[0] for line in out.splitlines() if ":" in line]
    return [n for n in names if n.startswith(PREFIX)]
