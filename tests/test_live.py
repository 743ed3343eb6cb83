"""Live mode against the fake API server: the official client over HTTP, read-only.

The parity table (STYLE.md 8 and 10): every scenario loaded through ``KubeClientReader`` from
the fake API server seeded with its manifests must give the same output as ``-f`` on the same
manifests. Add a row to ``SCENARIOS`` to cover another scenario or command.
"""

from __future__ import annotations

import json
import socket
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from fake_apiserver import FakeApiServer, fake_apiserver, load_manifests
from podpath.cli import main
from podpath.errors import ClusterAccessError
from podpath.sources.api_errors import MSG_UNAUTHORIZED
from podpath.sources.cluster import (
    RESOURCES,
    DocsReader,
    KubeClientReader,
    read_cluster,
    read_live,
    read_live_cluster,
)
from podpath.sources.kubeconfig import api_client_from
from podpath.sources.manifests import RawDoc
from podpath.sources.snapshot import REDACTED_KEY

__all__ = ["fake_apiserver"]  # the fixture, imported for pytest

ROOT = Path(__file__).resolve().parents[1]
SCENARIO_DIR = ROOT / "tests" / "scenarios"


@dataclass(frozen=True)
class LiveScenario:
    """A scenario whose answers must not depend on the source: each command (full arguments)
    gives the same output from ``-f`` and from the fake API server seeded with the same files.
    Locations (``file``/``line`` keys: a file vs ``live:<resource>``) are not compared."""

    name: str
    paths: tuple[Path, ...]
    commands: tuple[tuple[str, ...], ...] = (
        ("services", "--format", "json"),
        ("pods", "--format", "json"),
        ("doctor", "--format", "json"),
    )

    @property
    def available(self) -> bool:
        return all(p.exists() for p in self.paths)


SCENARIOS = [
    LiveScenario(
        "live-basic",
        (SCENARIO_DIR / "live-basic",),
        commands=(
            *LiveScenario.commands,
            ("dns", "frontend.web", "--format", "json"),
            ("dns", "_pg._tcp.db.data", "--type", "SRV", "--format", "json"),
            ("route", "http://shop.example.com/cart", "--format", "json"),
            ("graph",),
        ),
    ),
    LiveScenario(
        "shop",
        (ROOT / "examples" / "shop",),
        commands=(
            ("services", "--format", "json"),
            ("pods", "--format", "json"),
            # the doctor's config is not a cluster object: name it, for both sources
            ("doctor", "--format", "json", "--config", str(ROOT / "examples/shop/podpath.yaml")),
            ("dns", "cart.shop", "--format", "json"),
            ("graph",),
        ),
    ),
]
PARITY_CASES = [
    pytest.param(s, cmd, id=f"{s.name}-{'-'.join(c for c in cmd[:2] if not c.startswith('-'))}")
    for s in SCENARIOS
    for cmd in s.commands
]
LOCATION_KEYS = ("file", "line")


def without_locations(text: str) -> Any:
    """JSON output with the keys that name where an object came from removed; other text as is."""
    try:
        data = json.loads(text)
    except ValueError:
        return text

    def strip(value: Any) -> Any:
        if isinstance(value, dict):
            return {k: strip(v) for k, v in value.items() if k not in LOCATION_KEYS}
        if isinstance(value, list):
            return [strip(v) for v in value]
        return value

    return strip(data)


BASIC = SCENARIOS[0]


def run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    """Run the CLI in-process; returns (exit status, stdout, stderr)."""
    capsys.readouterr()
    try:
        main(args)
        code = 0
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 1
    out, err = capsys.readouterr()
    return code, out, err


def file_args(scenario: LiveScenario) -> list[str]:
    return [arg for p in scenario.paths for arg in ("-f", str(p))]


@pytest.fixture
def basic_server(fake_apiserver: type[FakeApiServer]) -> FakeApiServer:
    return fake_apiserver(load_manifests(BASIC.paths))


# -- parity: live == manifests -----------------------------------------------------------------


@pytest.mark.parametrize(("scenario", "command"), PARITY_CASES)
def test_live_output_equals_manifest_output(
    scenario: LiveScenario,
    command: tuple[str, ...],
    fake_apiserver: type[FakeApiServer],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    if not scenario.available:
        pytest.skip(f"{scenario.name}: {scenario.paths} not there yet")
    server = fake_apiserver(load_manifests(scenario.paths))
    kubeconfig = server.write_kubeconfig(tmp_path / "kubeconfig")
    code_files, from_files, err = run([*command, *file_args(scenario)], capsys)
    assert code_files in (0, 1), err
    code, from_live, err = run([*command, "--kubeconfig", str(kubeconfig)], capsys)
    assert code == code_files, err
    assert without_locations(from_live) == without_locations(from_files)


@pytest.mark.parametrize(("scenario", "command"), PARITY_CASES)
def test_snapshot_output_equals_manifest_output(
    scenario: LiveScenario,
    command: tuple[str, ...],
    fake_apiserver: type[FakeApiServer],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    if not scenario.available:
        pytest.skip(f"{scenario.name}: {scenario.paths} not there yet")
    server = fake_apiserver(load_manifests(scenario.paths))
    kubeconfig = server.write_kubeconfig(tmp_path / "kubeconfig")
    snap = tmp_path / "snap.yaml"
    code, _, err = run(
        ["snapshot", "--kubeconfig", str(kubeconfig), "--output-file", str(snap)], capsys
    )
    assert code == 0, err
    code_files, from_files, _ = run([*command, *file_args(scenario)], capsys)
    code, from_snapshot, err = run([*command, "-f", str(snap)], capsys)
    assert code == code_files, err
    assert without_locations(from_snapshot) == without_locations(from_files)


# -- what the reader reads -------------------------------------------------------------------


def test_items_carry_apiversion_and_kind(basic_server: FakeApiServer, tmp_path: Path) -> None:
    """The API server leaves apiVersion/kind out of built-in list items; the reader sets them."""
    docs = read_live(str(basic_server.write_kubeconfig(tmp_path / "kc")))
    kinds = {(d.data["apiVersion"], d.data["kind"]) for d in docs}
    assert ("v1", "Pod") in kinds
    assert ("apps/v1", "StatefulSet") in kinds
    assert ("gateway.networking.k8s.io/v1", "HTTPRoute") in kinds
    assert all(d.source.path.startswith("live:") for d in docs)
    pods = [d for d in docs if d.data["kind"] == "Pod"]
    assert [d.source.doc_index for d in pods] == list(range(len(pods)))


def test_only_tls_secrets_are_read_and_private_keys_redacted(
    basic_server: FakeApiServer, tmp_path: Path
) -> None:
    basic_server.add(
        {
            "apiVersion": "v1",
            "kind": "Secret",
            "type": "Opaque",
            "metadata": {"name": "db-password", "namespace": "data"},
            "data": {"password": "eA=="},
        }
    )
    basic_server.add(
        {
            "apiVersion": "v1",
            "kind": "Secret",
            "type": "kubernetes.io/tls",
            "metadata": {"name": "api-tls", "namespace": "web"},
            "data": {"tls.crt": "Y2VydA==", "tls.key": "c2VjcmV0IGtleQ=="},
        }
    )
    docs = read_live(str(basic_server.write_kubeconfig(tmp_path / "kc")))
    secrets = {d.data["metadata"]["name"]: d.data for d in docs if d.data["kind"] == "Secret"}
    assert sorted(secrets) == ["api-tls", "shop-tls"]
    assert secrets["api-tls"]["data"] == {"tls.crt": "Y2VydA==", "tls.key": REDACTED_KEY}
    assert secrets["shop-tls"]["data"] == {"tls.crt": "", "tls.key": ""}  # empty stays empty
    assert any(
        "fieldSelector=type%3Dkubernetes.io%2Ftls" in p
        or "fieldSelector=type%3Dkubernetes.io/tls" in p
        for p in basic_server.list_paths()
    )


def test_every_request_is_a_get_and_no_watch(basic_server: FakeApiServer, tmp_path: Path) -> None:
    read_live(str(basic_server.write_kubeconfig(tmp_path / "kc")))
    assert {m for (m, _p, _q) in basic_server.requests} == {"GET"}
    assert not any("watch" in q for (_m, _p, q) in basic_server.requests)


def test_fake_server_refuses_writes(basic_server: FakeApiServer) -> None:
    """The fixture's own guard: a write is refused and recorded (then forgiven here)."""
    request = urllib.request.Request(
        f"{basic_server.url}/api/v1/namespaces", data=b"{}", method="POST"
    )
    with pytest.raises(urllib.error.HTTPError) as info:
        urllib.request.urlopen(request, timeout=5)
    assert info.value.code == 405
    info.value.close()
    assert basic_server.violations == ["POST /api/v1/namespaces"]
    basic_server.violations.clear()


def test_progress_reports_each_resource(basic_server: FakeApiServer, tmp_path: Path) -> None:
    seen: list[str] = []
    read_live(str(basic_server.write_kubeconfig(tmp_path / "kc")), on_progress=seen.append)
    assert len(seen) == len(RESOURCES)
    assert seen[0].startswith("listing namespaces")


# -- CRDs not installed, versions, permissions -------------------------------------------------


def test_missing_crds_are_skipped_with_an_info_note(
    fake_apiserver: type[FakeApiServer], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    server = fake_apiserver(load_manifests(BASIC.paths), crd_groups=())
    kubeconfig = str(server.write_kubeconfig(tmp_path / "kc"))
    read = read_live_cluster(kubeconfig)
    assert not any(d.data["kind"] in ("Gateway", "HTTPRoute") for d in read.docs)
    missing = {n.object: n for n in read.notes if n.code == "live-not-installed"}
    assert set(missing) == {"gateway.networking.k8s.io", "policy.networking.k8s.io"}
    assert all(n.severity == "info" for n in missing.values())
    assert not any("/apis/gateway.networking.k8s.io" in p for p in server.list_paths())
    code, out, err = run(["services", "--format", "json", "--kubeconfig", kubeconfig], capsys)
    assert code == 0
    assert err == ""  # info notes only with --verbose
    _, from_files, _ = run(["services", "--format", "json", *file_args(BASIC)], capsys)
    assert out == from_files


def test_older_served_version_is_used(fake_apiserver: type[FakeApiServer], tmp_path: Path) -> None:
    """ReferenceGrant served as v1beta1 only: v1 answers 404, the reader falls back."""
    grant = {
        "apiVersion": "gateway.networking.k8s.io/v1beta1",
        "kind": "ReferenceGrant",
        "metadata": {"name": "allow-web", "namespace": "data"},
        "spec": {
            "from": [
                {"group": "gateway.networking.k8s.io", "kind": "HTTPRoute", "namespace": "web"}
            ],
            "to": [{"group": "", "kind": "Service"}],
        },
    }
    server = fake_apiserver([*load_manifests(BASIC.paths), grant])
    docs = read_live(str(server.write_kubeconfig(tmp_path / "kc")))
    grants = [d.data for d in docs if d.data["kind"] == "ReferenceGrant"]
    assert [g["apiVersion"] for g in grants] == ["gateway.networking.k8s.io/v1beta1"]
    paths = server.list_paths()
    assert any(p.startswith("/apis/gateway.networking.k8s.io/v1/referencegrants") for p in paths)


def test_forbidden_resource_is_a_warning_not_a_failure(
    fake_apiserver: type[FakeApiServer], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    server = fake_apiserver(load_manifests(BASIC.paths), forbidden=["networkpolicies"])
    kubeconfig = str(server.write_kubeconfig(tmp_path / "kc"))
    code, out, err = run(["services", "--format", "json", "--kubeconfig", kubeconfig], capsys)
    assert code == 0
    assert json.loads(out)["services"]
    warnings = [line for line in err.splitlines() if "HTTP 403" in line]
    assert len(warnings) == 1
    assert "networkpolicies.networking.k8s.io" in warnings[0]
    code, out, err = run(["services", "--kubeconfig", kubeconfig, "--strict"], capsys)
    assert code == 2
    assert err.strip().splitlines()[-1].startswith("podpath: error: --strict")


def test_forbidden_resource_is_named_in_the_snapshot(
    fake_apiserver: type[FakeApiServer], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    server = fake_apiserver(load_manifests(BASIC.paths), forbidden=["pods"])
    kubeconfig = str(server.write_kubeconfig(tmp_path / "kc"))
    snap = tmp_path / "snap.yaml"
    code, _, err = run(["snapshot", "--kubeconfig", kubeconfig, "--output-file", str(snap)], capsys)
    assert code == 0
    assert "HTTP 403" in err
    assert "# INCOMPLETE: no permission to list pods (HTTP 403)" in snap.read_text()


# -- paging ------------------------------------------------------------------------------------


def test_paging_reads_every_object(basic_server: FakeApiServer, tmp_path: Path) -> None:
    for i in range(7):
        basic_server.add({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": f"ns-{i}"}})
    api_client, _ = api_client_from(str(basic_server.write_kubeconfig(tmp_path / "kc")), None)
    unpaged = read_cluster(KubeClientReader(api_client)).docs
    before = len(basic_server.list_paths())
    paged = read_cluster(KubeClientReader(api_client, page_limit=2)).docs
    api_client.close()
    assert [d.data for d in paged] == [d.data for d in unpaged]
    namespace_requests = [
        p for p in basic_server.list_paths()[before:] if p.startswith("/api/v1/namespaces?")
    ]
    assert len(namespace_requests) == 5  # 9 namespaces, 2 per page
    assert sum("continue=" in p for p in namespace_requests) == 4


def test_expired_continue_token_restarts_the_list(
    basic_server: FakeApiServer, tmp_path: Path
) -> None:
    api_client, _ = api_client_from(str(basic_server.write_kubeconfig(tmp_path / "kc")), None)
    expected = read_cluster(KubeClientReader(api_client)).docs
    basic_server.expire_next_continue = True
    paged = read_cluster(KubeClientReader(api_client, page_limit=1)).docs
    api_client.close()
    assert [d.data for d in paged] == [d.data for d in expected]
    assert not basic_server.expire_next_continue


# -- the reader protocol without HTTP --------------------------------------------------------


def test_docs_reader_serves_the_same_documents() -> None:
    docs = [RawDoc(d, d_source) for d, d_source in _raw_with_sources(BASIC.paths)]
    reader = DocsReader(
        docs, installed={"", "apps", "discovery.k8s.io", "networking.k8s.io", "batch"}
    )
    read = read_cluster(reader)
    assert {d.data["kind"] for d in read.docs} >= {"Pod", "Service", "StatefulSet"}
    assert [n.object for n in read.notes] == [
        "gateway.networking.k8s.io",
        "policy.networking.k8s.io",
    ]
    assert [p["metadata"]["name"] for p in reader.list_pods()] == ["canary"]
    assert reader.list_namespaces() and reader.list_services()
    assert reader.list_endpointslices() and reader.list_network_policies()


def _raw_with_sources(paths: tuple[Path, ...]) -> list[tuple[dict[str, Any], Any]]:
    from podpath.sources.manifests import load_paths

    return [(d.data, d.source) for d in load_paths([str(p) for p in paths])]


# -- access errors: one line, exit status 2 -----------------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _kubeconfig_errors(tmp_path: Path, server: FakeApiServer) -> list[tuple[list[str], str]]:
    garbage = tmp_path / "garbage"
    garbage.write_text("just: [a, list\n")
    not_config = tmp_path / "not-config"
    not_config.write_text("hello\n")
    good = server.write_kubeconfig(tmp_path / "good")
    refused = tmp_path / "refused"
    refused.write_text(good.read_text().replace(server.url, f"http://127.0.0.1:{_free_port()}"))
    wrong_token = server.write_kubeconfig(tmp_path / "wrong-token", token="nope")
    return [
        (["--kubeconfig", str(tmp_path / "missing")], "no such file"),
        (["--kubeconfig", str(garbage)], "kubeconfig"),
        (["--kubeconfig", str(not_config)], "kubeconfig"),
        (["--kubeconfig", str(good), "--context", "prod"], "no context 'prod' (contexts: fake)"),
        (["--kubeconfig", str(refused)], "connection refused"),
        (["--kubeconfig", str(wrong_token)], MSG_UNAUTHORIZED),
        (["--kubeconfig", "in-cluster"], "in-cluster configuration"),
    ]


@pytest.mark.parametrize("command", [["services"], ["snapshot", "--output-file", "-"]])
def test_access_errors_exit_2_with_one_line(
    command: list[str],
    basic_server: FakeApiServer,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("KUBERNETES_SERVICE_HOST", raising=False)
    for args, expected in _kubeconfig_errors(tmp_path, basic_server):
        code, out, err = run([*command, *args], capsys)
        assert code == 2, (args, err)
        assert out == ""
        lines = err.strip().splitlines()
        assert len(lines) == 1, (args, err)
        assert lines[0].startswith("podpath: error: cannot read the cluster"), lines[0]
        assert expected in lines[0], (args, lines[0])


def test_access_error_is_a_cluster_access_error(tmp_path: Path) -> None:
    with pytest.raises(ClusterAccessError, match="no such file"):
        read_live(str(tmp_path / "missing"))


def test_documented_cluster_role_covers_exactly_what_is_read() -> None:
    """docs/live.md's ClusterRole grants get/list/watch on every resource read, and no more."""
    text = (ROOT / "docs" / "live.md").read_text()
    block = text.split("kind: ClusterRole", 1)[1].split("```", 1)[0]
    role = yaml.safe_load("kind: ClusterRole" + block)
    granted = set()
    for rule in role["rules"]:
        assert rule["verbs"] == ["get", "list", "watch"]
        granted |= {(g, r) for g in rule["apiGroups"] for r in rule["resources"]}
    assert granted == {(r.group, r.plural) for r in RESOURCES}
