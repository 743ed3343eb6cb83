"""Live reads against a faulty or hostile API server (issue 10): each fault is one line and
exit status 2, never an empty answer with exit 0, and server text never reaches the terminal
raw. Runs the CLI in-process against tests/fake_apiserver.py."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from fake_apiserver import FakeApiServer, fake_apiserver, load_manifests
from podpath.sources.api_errors import MSG_CONTINUE_REPEATED, MSG_UNAUTHORIZED
from test_live import BASIC, run

__all__ = ["fake_apiserver"]  # the fixture, imported for pytest


def _status(code: int, message: str) -> dict[str, Any]:
    return {"kind": "Status", "apiVersion": "v1", "status": "Failure", "message": message,
            "code": code}  # fmt: skip


@pytest.fixture
def server(fake_apiserver: type[FakeApiServer], monkeypatch: pytest.MonkeyPatch) -> FakeApiServer:
    monkeypatch.delenv("KUBERNETES_SERVICE_HOST", raising=False)
    return fake_apiserver(load_manifests(BASIC.paths))


def _one_line_error(
    server: FakeApiServer, tmp_path: Path, capsys: pytest.CaptureFixture[str], *extra: str
) -> str:
    kubeconfig = str(server.write_kubeconfig(tmp_path / "kc"))
    code, out, err = run(["services", "--kubeconfig", kubeconfig, *extra], capsys)
    assert (code, out) == (2, ""), err
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("podpath: error: cannot read the cluster")
    return lines[0]


def test_a_404_on_a_builtin_kind_is_an_error_not_a_missing_crd(
    server: FakeApiServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    server.faults["pods"] = (404, _status(404, "the server could not find it"), {})
    line = _one_line_error(server, tmp_path, capsys)
    assert "does not serve pods (v1)" in line and "HTTP 404" in line


def test_a_list_whose_items_is_not_a_list_is_an_error(
    server: FakeApiServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    body = {"kind": "ServiceList", "apiVersion": "v1", "metadata": {}, "items": {"a": 1}}
    server.faults["services"] = (200, body, {})
    line = _one_line_error(server, tmp_path, capsys)
    assert "items is dict, not a list" in line and "(services)" in line


def test_an_item_that_is_not_an_object_is_an_error(
    server: FakeApiServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    body = {"kind": "ServiceList", "apiVersion": "v1", "metadata": {}, "items": [{}, "x"]}
    server.faults["services"] = (200, body, {})
    assert "item 1 of the list response is str" in _one_line_error(server, tmp_path, capsys)


def test_a_repeated_continue_token_is_caught_at_once(
    server: FakeApiServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    body = {"kind": "PodList", "apiVersion": "v1", "metadata": {"continue": "again"}, "items": []}
    server.faults["pods"] = (200, body, {})
    assert MSG_CONTINUE_REPEATED in _one_line_error(server, tmp_path, capsys)
    assert sum("/pods" in p for p in server.list_paths()) == 2  # the first repeat stops it


def test_a_redirect_is_not_followed_and_names_where_it_pointed(
    server: FakeApiServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    moved = _status(307, "moved")
    server.faults["pods"] = (307, moved, {"Location": "https://evil.example:6443/api/v1/pods"})
    line = _one_line_error(server, tmp_path, capsys)
    assert f"API server at {server.url} redirected the request to evil.example:6443" in line
    assert "HTTP 307" in line


def test_the_whole_read_has_a_deadline(
    server: FakeApiServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    server.delay = 0.4  # every answer: the read needs far longer than 1 s in all
    line = _one_line_error(server, tmp_path, capsys, "--timeout", "1")
    assert "did not finish within --timeout 1 s" in line


def test_server_text_reaches_the_terminal_escaped(
    server: FakeApiServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    server.faults["pods"] = (500, _status(500, "\x1b]0;pwned\x07\x1b[2Jboom\x9b"), {})
    line = _one_line_error(server, tmp_path, capsys)
    assert "\x1b" not in line and "\x07" not in line and "\x9b" not in line
    assert "\\x1b]0;pwned\\x07\\x1b[2Jboom\\u009b" in line


def test_a_missing_exec_plugin_says_so(
    server: FakeApiServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = yaml.safe_load(server.write_kubeconfig(tmp_path / "kc").read_text())
    plugin = {"apiVersion": "client.authentication.k8s.io/v1", "command": "podpath-no-plugin"}
    config["users"][0]["user"] = {"exec": plugin}
    kubeconfig = tmp_path / "exec-kc"
    kubeconfig.write_text(yaml.safe_dump(config))
    code, _, err = run(["services", "--kubeconfig", str(kubeconfig)], capsys)
    assert code == 2
    assert "exec credential plugin 'podpath-no-plugin', which is not installed" in err
    assert MSG_UNAUTHORIZED not in err
    relative = dict(plugin, command="./bin/plugin")
    config["users"][0]["user"] = {"exec": relative}
    kubeconfig.write_text(yaml.safe_dump(config))
    code, _, err = run(["services", "--kubeconfig", str(kubeconfig)], capsys)
    assert code == 2 and "'./bin/plugin', which is not installed (not found)" in err
