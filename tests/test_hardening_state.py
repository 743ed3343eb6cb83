"""The data plane's state folder under attack (issue 10): another user's folder, a folder
anyone can write, planted symlinks, a planted pickle, two commands at once, a bad prefix.
Ownership tests need root (``os.chown``); every subprocess is bounded in time."""

from __future__ import annotations

import os
import pickle
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from podpath.dataplane.lifecycle import load_model, load_state, resolv_conf_text
from podpath.dataplane.netns import DataplaneError
from podpath.dataplane.recorded import INPUT_FILE, rebuild, record_input
from podpath.dataplane.statedir import locked, open_state_dir
from podpath.errors import StateDirError
from podpath.sources.manifests import parse_text

ROOT = hasattr(os, "geteuid") and os.geteuid() == 0
needs_root = pytest.mark.skipif(not ROOT, reason="chown needs root")
CAN_CLI = ROOT and sys.platform.startswith("linux") and shutil.which("ip") is not None
NOBODY = 65534
SRC = Path(__file__).resolve().parent.parent / "src"
POD = b"""
apiVersion: v1
kind: Pod
metadata: {name: web, namespace: shop}
spec: {containers: [{name: c, ports: [{containerPort: 80}]}]}
"""


def _env(state: Path, **extra: str) -> dict[str, str]:
    env = dict(os.environ, PODPATH_STATE_DIR=str(state), PYTHONPATH=str(SRC))
    env.setdefault("PODPATH_PREFIX", "pphd-")
    env.update(extra)
    return env


def _podpath(
    *args: str, state: Path, timeout: float = 60, **extra: str
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "podpath.cli", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=_env(state, **extra),
        check=False,
    )


def _folder(tmp_path: Path, mode: int = 0o700) -> Path:
    folder = tmp_path / "state"
    folder.mkdir()
    folder.chmod(mode)
    return folder


# -- who owns the folder and its files ------------------------------------------------------


@needs_root
def test_a_folder_owned_by_another_user_is_refused(tmp_path: Path) -> None:
    folder = _folder(tmp_path)
    os.chown(folder, NOBODY, NOBODY)
    with pytest.raises(StateDirError, match=f"state folder {folder}: is owned by uid {NOBODY}"):
        open_state_dir(folder, create=True)


def test_a_folder_anyone_can_write_is_refused_not_chmodded(tmp_path: Path) -> None:
    folder = _folder(tmp_path, 0o777)
    with pytest.raises(StateDirError, match=r"writable by group or others \(mode 0777\)"):
        open_state_dir(folder, create=True)
    assert folder.stat().st_mode & 0o777 == 0o777  # checked, not silently repaired


def test_a_folder_above_it_others_can_write_is_refused(tmp_path: Path) -> None:
    above = tmp_path / "shared"
    above.mkdir()
    above.chmod(0o777)  # no sticky bit: anyone could rename the state folder away
    (above / "state").mkdir(mode=0o700)
    with pytest.raises(StateDirError, match=f"the folder above it, {above}, is writable"):
        open_state_dir(above / "state", create=True)
    above.chmod(0o1777)  # sticky, as /tmp: only the owner may rename its entries
    sd = open_state_dir(above / "state", create=True)
    assert sd is not None
    sd.close()


def test_a_symlinked_folder_is_refused(tmp_path: Path) -> None:
    real = _folder(tmp_path)
    link = tmp_path / "link"
    link.symlink_to(real)
    with pytest.raises(StateDirError, match="is a symbolic link"):
        open_state_dir(link, create=True)


def test_a_new_folder_is_0700_and_files_0600_whatever_the_umask(tmp_path: Path) -> None:
    old = os.umask(0)
    try:
        sd = open_state_dir(tmp_path / "a" / "state", create=True)
        assert sd is not None
        sd.write_json("state.json", {"x": 1})
        sd.close()
    finally:
        os.umask(old)
    assert (tmp_path / "a" / "state").stat().st_mode & 0o777 == 0o700
    assert (tmp_path / "a").stat().st_mode & 0o777 == 0o700
    assert (tmp_path / "a" / "state" / "state.json").stat().st_mode & 0o777 == 0o600


@needs_root
def test_a_state_file_of_another_user_is_refused(tmp_path: Path) -> None:
    folder = _folder(tmp_path)
    (folder / "state.json").write_text("{}")
    os.chown(folder / "state.json", NOBODY, NOBODY)
    sd = open_state_dir(folder, create=False)
    assert sd is not None
    with pytest.raises(StateDirError, match=f"state file {folder}/state.json: is owned by uid"):
        load_state(sd)
    sd.close()


def test_a_state_file_others_can_write_is_refused(tmp_path: Path) -> None:
    folder = _folder(tmp_path)
    (folder / "state.json").write_text("{}")
    (folder / "state.json").chmod(0o666)
    sd = open_state_dir(folder, create=False)
    assert sd is not None
    with pytest.raises(StateDirError, match="writable by group or others"):
        load_state(sd)
    sd.close()


def test_a_state_file_naming_foreign_namespaces_is_refused(tmp_path: Path) -> None:
    folder = _folder(tmp_path)
    sd = open_state_dir(folder, create=False)
    assert sd is not None
    sd.write_json("state.json", {"internet": {"netns": "../../proc/1/ns/net"}, "pods": []})
    with pytest.raises(StateDirError, match="names namespace '../../proc/1/ns/net'"):
        load_state(sd)
    sd.close()


@pytest.mark.skipif(not CAN_CLI, reason="needs root, Linux and ip")
def test_probe_on_another_users_folder_is_one_line_exit_2(tmp_path: Path) -> None:
    folder = _folder(tmp_path)
    os.chown(folder, NOBODY, NOBODY)
    done = _podpath("probe", state=folder)
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and str(folder) in lines[0] and f"uid {NOBODY}" in lines[0]


# -- planted symlinks -------------------------------------------------------------------------


def test_a_planted_tmp_symlink_is_not_followed(tmp_path: Path) -> None:
    folder = _folder(tmp_path)
    victim = tmp_path / "victim"
    victim.write_text("root's file\n")
    (folder / "state.json.tmp").symlink_to(victim)
    (folder / ".state.json.tmp").symlink_to(victim)
    sd = open_state_dir(folder, create=False)
    assert sd is not None
    sd.write_json("state.json", {"pods": []})
    sd.close()
    assert victim.read_text() == "root's file\n"
    assert not (folder / "state.json").is_symlink()


def test_a_planted_state_symlink_is_replaced_not_followed_and_never_read(tmp_path: Path) -> None:
    folder = _folder(tmp_path)
    victim = tmp_path / "victim"
    victim.write_text('{"pods": []}')
    (folder / "state.json").symlink_to(victim)
    sd = open_state_dir(folder, create=False)
    assert sd is not None
    with pytest.raises(StateDirError, match="state.json: is a symbolic link"):
        load_state(sd)
    sd.write_json("state.json", {"pods": []})
    sd.close()
    assert victim.read_text() == '{"pods": []}'
    assert not (folder / "state.json").is_symlink()


# -- no pickle ---------------------------------------------------------------------------------


class _Payload:
    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple[object, tuple[str]]:
        return (Path.touch, (str(self.marker),))  # type: ignore[return-value]


def test_a_planted_pickle_never_runs(tmp_path: Path) -> None:
    folder = _folder(tmp_path)
    marker = tmp_path / "ran"
    (folder / "cluster.pickle").write_bytes(pickle.dumps(_Payload(marker)))
    sd = open_state_dir(folder, create=False)
    assert sd is not None
    with pytest.raises(StateDirError, match="no recorded input"):
        load_model(sd)
    sd.close()
    assert not marker.exists()


def test_no_pickle_in_the_package() -> None:
    sources = [p.read_text() for p in (SRC / "podpath").rglob("*.py")]
    assert not [s for s in sources if "import pickle" in s or "pickle.load" in s]


def test_the_recorded_input_rebuilds_the_same_model(tmp_path: Path) -> None:
    from podpath.cluster import Settings, resolve
    from podpath.normalize import normalize

    docs = parse_text(POD, "pod.yaml")
    settings = Settings(pod_cidr="10.50.0.0/16")
    record = record_input(docs, settings, 2)
    sd = open_state_dir(_folder(tmp_path), create=False)
    assert sd is not None
    sd.write_json(INPUT_FILE, record)
    rebuilt = load_model(sd)
    sd.close()
    assert rebuilt == resolve(normalize(docs, node_count=2), settings)
    assert rebuilt.pods[0].ips[0].startswith("10.50.")


@pytest.mark.parametrize(
    "record",
    [[], {"version": 9}, {"version": 1, "settings": [], "documents": []}],
    ids=["list", "version", "settings"],
)
def test_a_malformed_record_is_refused(record: object) -> None:
    with pytest.raises(StateDirError, match="input.json"):
        rebuild(record)


# -- the lock ----------------------------------------------------------------------------------

HOLD = """
import sys, time
from pathlib import Path
from podpath.dataplane.statedir import locked
with locked(Path(sys.argv[1]), create=True):
    print("held", flush=True)
    sys.stdin.readline()
"""


@pytest.mark.skipif(not CAN_CLI, reason="needs root, Linux and ip")
def test_a_second_command_exits_2_naming_the_holder_or_waits(tmp_path: Path) -> None:
    folder = tmp_path / "state"
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD, str(folder), "up"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        env=_env(folder),
    )
    waiting = None
    try:
        assert holder.stdout is not None and holder.stdout.readline() == "held\n"
        done = _podpath("probe", state=folder)
        assert done.returncode == 2
        assert done.stderr.strip().splitlines() == [
            f"podpath: error: another podpath up holds {folder} (pid {holder.pid}); "
            "pass --wait to wait for it"
        ]
        waiting = subprocess.Popen(
            [sys.executable, "-m", "podpath.cli", "probe", "--wait"],
            stderr=subprocess.PIPE,
            text=True,
            env=_env(folder),
        )
        time.sleep(1.0)
        assert waiting.poll() is None  # still waiting for the holder
        holder.communicate("\n", timeout=30)
        _, err = waiting.communicate(timeout=60)
        assert waiting.returncode == 2 and "no data plane is up" in err
    finally:
        for proc in (holder, waiting):
            if proc is not None and proc.poll() is None:
                proc.kill()
                proc.wait(timeout=10)


@pytest.mark.skipif(not CAN_CLI, reason="needs root, Linux and ip")
def test_an_invalid_prefix_is_an_error_not_pp(tmp_path: Path) -> None:
    done = _podpath("probe", state=tmp_path / "state", PODPATH_PREFIX="pp_x-")
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "PODPATH_PREFIX='pp_x-'" in lines[0]


# -- what `up` writes into files ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("servers", "searches", "options", "bad"),
    [
        (["10.96.0.10\nnameserver 6.6.6.6"], [], [], "nameserver"),
        (["10.96.0.10"], ["shop.svc.cluster.local\nnameserver 6.6.6.6"], [], "search"),
        (["10.96.0.10"], ["a b"], [], "search"),
        (["10.96.0.10"], [], ["ndots:5\nnameserver 6.6.6.6"], "option"),
    ],
    ids=["nameserver", "search-newline", "search-space", "option-newline"],
)
def test_resolv_conf_refuses_text_that_adds_a_line(
    servers: list[str], searches: list[str], options: list[str], bad: str
) -> None:
    with pytest.raises(DataplaneError, match=f"resolv.conf: {bad}"):
        resolv_conf_text(servers, searches, options)


def test_resolv_conf_of_valid_names() -> None:
    text = resolv_conf_text(
        ["10.96.0.10"], ["shop.svc.cluster.local", "corp_x.example."], ["ndots:5"]
    )
    assert text == (
        "nameserver 10.96.0.10\nsearch shop.svc.cluster.local corp_x.example.\noptions ndots:5\n"
    )


def test_a_second_lock_in_the_same_process_is_refused_too(tmp_path: Path) -> None:
    with locked(tmp_path / "state", create=True) as sd:
        assert sd is not None
        with (
            pytest.raises(StateDirError, match="another podpath command holds"),
            locked(tmp_path / "state", create=True),
        ):
            pass
    with locked(tmp_path / "state", create=True) as again:
        assert again is not None
