"""Bad and hostile input: exit status 2 and one line naming the file, the document and the
field — never a traceback; alias bombs, deep nesting and huge files refused quickly."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from podpath.cli import main
from podpath.errors import (
    MSG_ALIAS_BOMB,
    MSG_BAD_CIDR,
    MSG_BAD_IP,
    MSG_BAD_OPERATOR,
    MSG_BAD_PORT,
    MSG_BAD_PROTOCOL,
    MSG_MISSING,
    MSG_NO_SUCH_PATH,
    MSG_NOT_A_LIST,
    MSG_NOT_A_MAPPING,
    MSG_NOT_AN_INT,
    MSG_TOO_DEEP,
    MSG_TOO_LARGE,
)
from podpath.sources import manifests
from podpath.sources.manifests import MAX_DEPTH, MAX_EXPANDED_NODES, manifest_files
from podpath.sources.yaml_safety import text_depth_bound

GOOD = "apiVersion: v1\nkind: Service\nmetadata: {name: ok}\nspec: {ports: [{port: 80}]}\n"


def run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    capsys.readouterr()
    try:
        main(args)
        code = 0
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 1
    out, err = capsys.readouterr()
    return code, out, err


def one_line_error(
    tmp_path: Path, text: str, capsys: pytest.CaptureFixture[str], name: str = "bad.yaml"
) -> str:
    path = tmp_path / name
    path.write_text(text)
    code, out, err = run(["services", "-f", str(path)], capsys)
    assert code == 2
    assert out == ""
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith(f"podpath: error: {path}")
    assert "Traceback" not in err
    return lines[0]


BAD_INPUTS = [
    pytest.param(
        "apiVersion: v1\nkind: Service\nmetadata: {name: x\nspec: {}\n",
        ["invalid YAML", "line 4, column 5"],
        id="malformed-yaml",
    ),
    pytest.param(
        '{"kind": "Service", "metadata": {"name": "x"},,}',
        ["invalid JSON", "line 1, column 47"],
        id="malformed-json",
    ),
    pytest.param(
        GOOD + "---\napiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\n"
        "spec: {replicas: three, template: {spec: {containers: []}}}\n",
        [
            "document 1",
            "Deployment web",
            "field spec.replicas",
            MSG_NOT_AN_INT.format(got="'three'"),
        ],
        id="replicas-three",
    ),
    pytest.param(
        "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: p}\n"
        "spec:\n  podSelector:\n    matchExpressions: [{key: app, operator: Equals, "
        "values: [a]}]\n",
        [
            "document 0",
            "field spec.podSelector.matchExpressions[0].operator",
            MSG_BAD_OPERATOR.format(got="Equals"),
        ],
        id="selector-operator",
    ),
    pytest.param(
        "apiVersion: v1\nkind: Service\nmetadata: {name: s}\n"
        "spec: {clusterIP: 10.96.0.300, ports: [{port: 80}]}\n",
        ["field spec.clusterIPs[0]", MSG_BAD_IP.format(got="10.96.0.300")],
        id="invalid-ip",
    ),
    pytest.param(
        "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: p}\n"
        "spec: {podSelector: {}, ingress: [{from: [{ipBlock: {cidr: 10.0.0.0/33}}]}]}\n",
        ["field spec.ingress[0].from[0].ipBlock.cidr", MSG_BAD_CIDR.format(got="10.0.0.0/33")],
        id="invalid-cidr",
    ),
    pytest.param(
        "apiVersion: v1\nkind: Node\nmetadata: {name: n1}\nspec: {podCIDR: not-a-cidr}\n",
        ["field spec.podCIDR", MSG_BAD_CIDR.format(got="not-a-cidr")],
        id="invalid-node-cidr",
    ),
    pytest.param(
        "apiVersion: v1\nkind: Service\nmetadata: {name: s}\nspec: {ports: [{port: 70000}]}\n",
        ["field spec.ports[0].port", MSG_BAD_PORT.format(got=70000)],
        id="port-out-of-range",
    ),
    pytest.param(
        "apiVersion: v1\nkind: Service\nmetadata: {name: s}\n"
        "spec: {ports: [{port: 80, protocol: HTTP}]}\n",
        ["field spec.ports[0].protocol", MSG_BAD_PROTOCOL.format(got="HTTP")],
        id="protocol",
    ),
    pytest.param(
        "apiVersion: v1\nkind: Service\nmetadata: {name: s}\nspec: {ports: '80'}\n",
        ["field spec.ports", MSG_NOT_A_LIST.format(got="'80'")],
        id="not-a-list",
    ),
    pytest.param(
        "apiVersion: v1\nkind: Service\nmetadata: {namespace: x}\nspec: {}\n",
        ["field metadata.name", MSG_MISSING],
        id="missing-name",
    ),
    pytest.param(
        "- just\n- a list\n",
        ["document 0", MSG_NOT_A_MAPPING.format(got="list")],
        id="not-a-mapping",
    ),
    pytest.param("metadata: {name: x}\n", ["field kind", MSG_MISSING], id="missing-kind"),
]


@pytest.mark.parametrize(("text", "expected"), BAD_INPUTS)
def test_bad_input_is_one_located_line_and_exit_2(
    text: str, expected: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    name = "bad.json" if "JSON" in expected[0] else "bad.yaml"
    line = one_line_error(tmp_path, text, capsys, name)
    for part in expected:
        assert part in line, line


def test_missing_path(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(["pods", "-f", "/nonexistent/podpath/manifests"], capsys)
    assert code == 2
    assert err.strip() == f"podpath: error: /nonexistent/podpath/manifests: {MSG_NO_SUCH_PATH}"


def test_no_input_at_all_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(["pods"], capsys)
    assert code == 2 and len(err.strip().splitlines()) == 1


def test_duplicates_are_reported_on_stderr(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "a.yaml").write_text(GOOD)
    (tmp_path / "b.yaml").write_text(GOOD)
    code, _, err = run(["services", "-f", str(tmp_path)], capsys)
    assert code == 0
    assert f"duplicate object Service/default/ok (first defined in {tmp_path / 'a.yaml'}#0)" in err


def test_folders_are_read_recursively_in_sorted_order_skipping_hidden(tmp_path: Path) -> None:
    for rel in ("b/x.yaml", "a/y.yml", "c.json", ".git/z.yaml", "d/.hidden/w.yaml", "e.txt"):
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text("{}")
    files = [str(p.relative_to(tmp_path)) for p in manifest_files(str(tmp_path))]
    assert files == ["a/y.yml", "b/x.yaml", "c.json"]


# -- hostile input: refused quickly, one line, exit 2 (run as a real process) ------------------

ALIAS_BOMB = "\n".join(
    ["a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    + [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 9)}]" for i in range(1, 10)]
    + ["kind: Pod", "metadata: {name: bomb}"]
)


def run_process(args: list[str], env: dict[str, str] | None = None) -> tuple[int, str, float]:
    start = time.monotonic()
    proc = subprocess.run(
        [sys.executable, "-c", "from podpath.cli import main; main()", *args],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, **(env or {})},
    )
    return proc.returncode, proc.stderr, time.monotonic() - start


def assert_refused(args: list[str], message: str, env: dict[str, str] | None = None) -> None:
    code, err, elapsed = run_process(args, env)
    assert code == 2, err
    assert len(err.strip().splitlines()) == 1, err
    assert "Traceback" not in err
    assert message in err
    assert elapsed < 15, f"took {elapsed:.1f}s"


def test_alias_bomb_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "bomb.yaml"
    path.write_text(ALIAS_BOMB)
    assert_refused(["pods", "-f", str(path)], MSG_ALIAS_BOMB.format(limit=MAX_EXPANDED_NODES))


@pytest.mark.parametrize(
    ("name", "text"),
    [
        ("flow.yaml", "a: " + "[" * 100_000 + "]" * 100_000 + "\n"),
        ("mapping.yaml", "a: " + "{a: " * 100_000 + "1" + "}" * 100_000 + "\n"),
        ("deep.json", "[" * 100_000 + "]" * 100_000),
        ("block.yaml", "- " * 100_000 + "x\n"),
        ("indent.yaml", "\n".join(" " * i + "a:" for i in range(3000)) + "\n" + " " * 3000 + "b"),
    ],
    ids=["yaml-flow-sequences", "yaml-flow-mappings", "json", "yaml-block", "yaml-indentation"],
)
def test_100k_deep_nesting_is_refused(tmp_path: Path, name: str, text: str) -> None:
    path = tmp_path / name
    path.write_text(text)
    assert_refused(["pods", "-f", str(path)], MSG_TOO_DEEP.format(limit=MAX_DEPTH))


def test_deep_nesting_on_stdin_is_refused() -> None:
    start = time.monotonic()
    proc = subprocess.run(
        [sys.executable, "-c", "from podpath.cli import main; main()", "pods", "-f", "-"],
        input="a: " + "[" * 100_000 + "]" * 100_000,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert MSG_TOO_DEEP.format(limit=MAX_DEPTH) in proc.stderr
    assert time.monotonic() - start < 15


def test_huge_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "huge.yaml"
    with open(path, "w") as fh:
        for i in range(40_000):
            fh.write(f"---\napiVersion: v1\nkind: ConfigMap\nmetadata: {{name: c{i}}}\n")
    assert path.stat().st_size > 1_000_000
    assert_refused(
        ["pods", "-f", str(path)],
        MSG_TOO_LARGE.format(limit=1_000_000),
        env={"PODPATH_MAX_BYTES": "1000000"},
    )


def test_nesting_hidden_behind_quoted_brackets_is_refused(tmp_path: Path) -> None:
    """Closing brackets inside quoted strings defeat the text pre-check's estimate; libyaml
    (PyYAML >= 6.0.4) still refuses the nesting while parsing, so the process never recurses
    into it (it used to crash with a segmentation fault)."""
    path = tmp_path / "hidden.yaml"
    path.write_text(
        "a:\n" + '- "]"\n' * 700 + "b: " + "[" * 200_000 + "]" * 200_000 + "\n",
        encoding="utf-8",
    )
    proc = subprocess.run(
        [sys.executable, "-c", "from podpath.cli import main; main()", "pods", "-f", str(path)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 2, proc.stderr
    assert "nesting" in proc.stderr and "Traceback" not in proc.stderr


def _depth(value: object) -> int:
    if isinstance(value, dict):
        return 1 + max((_depth(v) for v in value.values()), default=0)
    if isinstance(value, list):
        return 1 + max((_depth(v) for v in value), default=0)
    return 0


NESTED = st.recursive(
    st.one_of(st.integers(), st.text(alphabet="ab-:? ", max_size=4)),
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.dictionaries(st.text(alphabet="ab", min_size=1, max_size=2), inner, max_size=3)
    ),
    max_leaves=40,
)


@settings(max_examples=300)
@given(NESTED, st.integers(2, 9), st.sampled_from([False, None]), st.booleans())
def test_text_depth_bound_is_an_upper_bound(
    value: object, indent: int, flow: bool | None, compact: bool
) -> None:
    """The nesting bound computed from the text (see yaml_safety.text_depth_bound) is never
    below the real nesting, in block, flow and mixed styles, compact or indented sequences."""
    text = yaml.dump(value, default_flow_style=flow, indent=indent, width=20)
    if compact:
        text = text.replace("-\n" + " " * indent + "- ", "- - ")
    try:
        loaded = yaml.safe_load(text)
    except yaml.YAMLError:
        return
    assert text_depth_bound(text) >= _depth(loaded)


# -- paths that are not files: pipes, devices, folders that cannot be read (issue 10) --------


def test_a_5000_digit_integer_is_refused_in_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """go-yaml reads it as a string (no float64 holds it); an integer field refuses it."""
    digits = "1" * 5000
    text = (
        "apiVersion: v1\nkind: Service\nmetadata: {name: s}\n"
        f"spec: {{ports: [{{port: {digits}}}]}}\n"
    )
    line = one_line_error(tmp_path, text, capsys)
    assert "field spec.ports[0].port" in line and "expected an integer" in line
    assert len(line) < 400
    line = one_line_error(tmp_path, text.replace("{name: s}", '{"name": "s"}'), capsys, "b.yaml")
    assert "expected an integer" in line


def test_a_5000_digit_integer_in_json_is_refused_in_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text = '{"apiVersion": "v1", "kind": "Service", "spec": {"ports": [{"port": ' + "1" * 5000
    line = one_line_error(tmp_path, text + "}]}}", capsys, "big.json")
    assert "a number with more digits than any number can hold" in line and len(line) < 400


def test_dev_zero_is_refused_at_once_not_read(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(["pods", "-f", "/dev/zero"], capsys)
    assert code == 2
    assert err.strip() == (
        "podpath: error: /dev/zero: " + manifests.MSG_NOT_A_FILE.format(what="a character device")
    )


def test_a_fifo_nothing_writes_to_is_refused_not_waited_for(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    fifo = tmp_path / "pipe.yaml"
    os.mkfifo(fifo)
    start = time.monotonic()
    code, _, err = run(["pods", "-f", str(fifo)], capsys)
    assert code == 2 and time.monotonic() - start < 15
    assert err.strip() == f"podpath: error: {fifo}: {manifests.MSG_SILENT_PIPE}"


def test_a_fifo_with_a_writer_is_read_like_standard_input(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """``-f <(helm template ...)`` is a pipe with its writer attached: read until it closes
    (the writer here opens the pipe, waits, then writes in two pieces)."""
    fifo = tmp_path / "pipe.yaml"
    os.mkfifo(fifo)
    opened = threading.Event()

    def write() -> None:
        fd = os.open(fifo, os.O_RDWR)  # holds the pipe open without waiting for a reader
        opened.set()
        time.sleep(0.3)
        os.write(fd, GOOD[:20].encode())
        time.sleep(0.1)
        os.write(fd, GOOD[20:].encode())
        os.close(fd)

    writer = threading.Thread(target=write)
    writer.start()
    opened.wait(10)
    try:
        code, out, err = run(["services", "-f", str(fifo)], capsys)
    finally:
        writer.join(10)
    assert code == 0, err
    assert "default/ok" in out


def test_a_folder_that_cannot_be_read_is_an_error_not_a_warning(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The tests run as root, who reads any folder: the refusal is simulated where os.walk
    lists the folder (os.scandir)."""
    (tmp_path / "ok.yaml").write_text(GOOD)
    locked = tmp_path / "locked"
    locked.mkdir()
    real = os.scandir

    def scandir(path: Any) -> Any:
        if os.fspath(path) == str(locked):
            raise PermissionError(13, "Permission denied", str(locked))
        return real(path)

    monkeypatch.setattr(os, "scandir", scandir)
    code, out, err = run(["services", "-f", str(tmp_path)], capsys)
    assert code == 2 and out == ""
    assert err.strip() == (
        f"podpath: error: {locked}: "
        + manifests.MSG_UNREADABLE_FOLDER.format(reason="Permission denied")
    )


def test_a_recursive_anchor_is_refused_at_once(tmp_path: Path) -> None:
    path = tmp_path / "rec.yaml"
    path.write_text("kind: Pod\nmetadata: {name: x}\na: &a [*a]\n")
    assert_refused(["pods", "-f", str(path)], "recursive anchor")
