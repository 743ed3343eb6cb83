"""``podpath snapshot``: one deterministic multi-document YAML that ``-f`` reads back."""

from __future__ import annotations

import json
import random
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from fake_apiserver import FakeApiServer, fake_apiserver, load_manifests
from podpath.model.core import SourceRef
from podpath.sources.manifests import RawDoc
from podpath.sources.snapshot import REDACTED_KEY, snapshot_objects, without_noise
from test_live import BASIC, file_args, run

__all__ = ["fake_apiserver"]  # the fixture, imported for pytest

NOISY_POD: dict[str, Any] = {
    "apiVersion": "v1",
    "kind": "Pod",
    "metadata": {
        "name": "a",
        "namespace": "x",
        "uid": "123",
        "resourceVersion": "42",
        "generation": 3,
        "creationTimestamp": "2024-01-01T00:00:00Z",
        "selfLink": "/api/v1/namespaces/x/pods/a",
        "managedFields": [{"manager": "kubelet"}],
        "labels": {"app": "a"},
        "annotations": {"kubectl.kubernetes.io/last-applied-configuration": "{...}"},
        "ownerReferences": [{"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": "a-1"}],
    },
    "spec": {"containers": [{"name": "c", "image": "nginx"}]},
    "status": {"podIP": "10.244.0.5"},
}


@pytest.mark.parametrize(
    ("obj", "expected"),
    [
        pytest.param(
            NOISY_POD,
            {
                "apiVersion": "v1",
                "kind": "Pod",
                "metadata": {
                    "name": "a",
                    "namespace": "x",
                    "labels": {"app": "a"},
                    "ownerReferences": [
                        {"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": "a-1"}
                    ],
                },
                "spec": {"containers": [{"name": "c", "image": "nginx"}]},
                "status": {"podIP": "10.244.0.5"},
            },
            id="bookkeeping-dropped-status-and-owners-kept",
        ),
        pytest.param(
            {
                "kind": "Service",
                "metadata": {
                    "name": "s",
                    "annotations": {
                        "kubectl.kubernetes.io/last-applied-configuration": "{}",
                        "service.kubernetes.io/topology-mode": "Auto",
                    },
                },
            },
            {
                "kind": "Service",
                "metadata": {
                    "name": "s",
                    "annotations": {"service.kubernetes.io/topology-mode": "Auto"},
                },
            },
            id="other-annotations-kept",
        ),
        pytest.param(
            {
                "kind": "Node",
                "metadata": {"name": "n"},
                "status": {"images": [{"names": ["nginx"]}], "addresses": []},
            },
            {"kind": "Node", "metadata": {"name": "n"}, "status": {"addresses": []}},
            id="node-image-list-dropped",
        ),
        pytest.param(
            {
                "kind": "Secret",
                "metadata": {"name": "t"},
                "type": "kubernetes.io/tls",
                "data": {"tls.crt": "Y2VydA==", "tls.key": "a2V5"},
            },
            {
                "apiVersion": "v1",
                "kind": "Secret",
                "metadata": {"name": "t"},
                "type": "kubernetes.io/tls",
                "data": {"tls.crt": "Y2VydA==", "tls.key": REDACTED_KEY},
            },
            id="tls-private-key-redacted",
        ),
    ],
)
def test_without_noise(obj: dict[str, Any], expected: dict[str, Any]) -> None:
    assert without_noise(obj) == expected
    assert "managedFields" in NOISY_POD["metadata"]  # the input is not modified


def test_objects_sorted_by_kind_namespace_name() -> None:
    def doc(kind: str, ns: str, name: str) -> RawDoc:
        meta = {"name": name, **({"namespace": ns} if ns else {})}
        return RawDoc({"kind": kind, "metadata": meta}, SourceRef("-"))

    docs = [
        doc("Service", "b", "x"),
        doc("Namespace", "", "b"),
        doc("Service", "a", "y"),
        doc("Pod", "a", "z"),
        doc("Service", "a", "x"),
    ]
    keys = [
        (o["kind"], o["metadata"].get("namespace", ""), o["metadata"]["name"])
        for o in snapshot_objects(docs)
    ]
    assert keys == sorted(keys)
    assert keys[0] == ("Namespace", "", "b")


def test_snapshot_is_deterministic(
    fake_apiserver: type[FakeApiServer], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The same cluster, whatever order its objects were created in, gives the same bytes."""
    objects = load_manifests(BASIC.paths)
    texts = []
    for seed in (1, 2):
        shuffled = list(objects)
        random.Random(seed).shuffle(shuffled)
        server = fake_apiserver(shuffled)
        kubeconfig = str(server.write_kubeconfig(tmp_path / f"kc{seed}"))
        out = tmp_path / f"snap{seed}.yaml"
        code, _, err = run(
            ["snapshot", "--kubeconfig", kubeconfig, "--output-file", str(out)], capsys
        )
        assert code == 0, err
        assert err.strip().endswith(f"objects to {out}")
        texts.append(out.read_text())
    assert texts[0] == texts[1]
    docs = [d for d in yaml.safe_load_all(texts[0]) if d is not None]
    assert docs and all("apiVersion" in d and "kind" in d for d in docs)
    for d in docs:
        assert not {"managedFields", "resourceVersion", "uid", "creationTimestamp"} & set(
            d["metadata"]
        )
    keys = [(d["kind"], d["metadata"].get("namespace", ""), d["metadata"]["name"]) for d in docs]
    assert keys == sorted(keys)
    assert texts[0].startswith("# podpath snapshot of a live cluster (context fake):")


def test_snapshot_to_stdout(
    basic_server: FakeApiServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    kubeconfig = str(basic_server.write_kubeconfig(tmp_path / "kc"))
    code, out, err = run(["snapshot", "--kubeconfig", kubeconfig, "--output-file", "-"], capsys)
    assert code == 0
    assert err == ""
    assert "kind: StatefulSet" in out


def test_snapshot_of_manifests_reads_back(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    snap = tmp_path / "snap.yaml"
    code, _, err = run(["snapshot", *file_args(BASIC), "--output-file", str(snap)], capsys)
    assert code == 0, err
    assert "# podpath snapshot of manifests" in snap.read_text()
    _, original, _ = run(["services", "--format", "json", *file_args(BASIC)], capsys)
    _, again, _ = run(["services", "--format", "json", "-f", str(snap)], capsys)
    assert again == original


def test_empty_cluster_snapshot_reads_back(
    fake_apiserver: type[FakeApiServer], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    server = fake_apiserver([])
    snap = tmp_path / "empty.yaml"
    kubeconfig = str(server.write_kubeconfig(tmp_path / "kc"))
    code, _, _ = run(["snapshot", "--kubeconfig", kubeconfig, "--output-file", str(snap)], capsys)
    assert code == 0
    assert "0 objects" in snap.read_text()
    code, out, _ = run(["services", "-f", str(snap), "--format", "json"], capsys)
    assert code == 0
    assert [s["service"] for s in json.loads(out)["services"]] == ["default/kubernetes"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--output-file", "{tmp}/s.yaml"], "no input"),
        (
            ["--output-file", "{tmp}/s.yaml", "-f", "{basic}", "--kubeconfig", "{tmp}/kc"],
            "either -f",
        ),
        (
            ["--output-file", "{tmp}/no/such/dir/s.yaml", "-f", "{basic}"],
            "No such file or directory",
        ),
    ],
    ids=["no-input", "both-inputs", "unwritable-output"],
)
def test_snapshot_usage_errors(
    args: list[str], message: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    filled = [a.format(tmp=tmp_path, basic=BASIC.paths[0]) for a in args]
    code, out, err = run(["snapshot", *filled], capsys)
    assert code == 2
    assert len(err.strip().splitlines()) == 1
    assert message in err


def test_console_script_live_error_is_one_line(tmp_path: Path) -> None:
    """The installed entry point, as a user runs it: no traceback, exit status 2."""
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "podpath.cli",
            "snapshot",
            "--output-file",
            "-",
            "--kubeconfig",
            str(tmp_path / "missing"),
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1
    assert "no such file" in result.stderr


@pytest.fixture
def basic_server(fake_apiserver: type[FakeApiServer]) -> FakeApiServer:
    return fake_apiserver(load_manifests(BASIC.paths))


HOSTILE_SECRETS: list[dict[str, Any]] = [
    {
        "apiVersion": "v1",
        "kind": "Secret",
        "type": "Opaque",
        "metadata": {"name": "db-password", "namespace": "data"},
        "data": {"password": "aHVudGVyMg=="},
    },
    {
        "apiVersion": "v1",
        "kind": "Secret",
        "type": "kubernetes.io/tls",
        "metadata": {
            "name": "api-tls",
            "namespace": "web",
            "labels": {"team": "payments"},
            "annotations": {"cert-manager.io/issuer-name": "corp-ca", "note": "pw=hunter2"},
        },
        "data": {
            "tls.crt": "Y2VydA==",
            "tls.key": "c2VjcmV0IGtleQ==",
            "keystore.p12": "UEtDUzEyIHNlY3JldA==",
            "ca.key": "Y2Ega2V5",
        },
    },
]


def test_snapshot_keeps_only_tls_certificates_when_the_server_ignores_the_selector(
    fake_apiserver: type[FakeApiServer], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    server = fake_apiserver(HOSTILE_SECRETS, ignore_field_selector=True)
    kubeconfig = str(server.write_kubeconfig(tmp_path / "kc"))
    out = tmp_path / "snap.yaml"
    code, _, err = run(
        ["snapshot", "--kubeconfig", kubeconfig, "--output-file", str(out), "-v"], capsys
    )
    assert code == 0, err
    assert "dropped 1 Secret(s) not of type kubernetes.io/tls" in err
    text = out.read_text()
    for leaked in ("db-password", "aHVudGVyMg==", "keystore", "UEtDUzEy", "ca.key", "hunter2"):
        assert leaked not in text
    (secret,) = [d for d in yaml.safe_load_all(text) if d and d["kind"] == "Secret"]
    assert secret == {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {"name": "api-tls", "namespace": "web"},
        "type": "kubernetes.io/tls",
        "data": {"tls.crt": "Y2VydA==", "tls.key": REDACTED_KEY},
    }


def test_snapshot_of_manifests_keeps_only_tls_certificates(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "secrets.yaml"
    plain = dict(HOSTILE_SECRETS[1], data=None, stringData={"tls.crt": "cert", "tls.key": "k"})
    path.write_text(yaml.safe_dump_all([*HOSTILE_SECRETS, dict(plain, metadata={"name": "s"})]))
    out = tmp_path / "snap.yaml"
    code, _, err = run(["snapshot", "-f", str(path), "--output-file", str(out)], capsys)
    assert code == 0, err
    secrets = {
        d["metadata"]["name"]: d
        for d in yaml.safe_load_all(out.read_text())
        if d and d["kind"] == "Secret"
    }
    assert sorted(secrets) == ["api-tls", "s"]
    assert secrets["s"]["data"] == {"tls.crt": "Y2VydA==", "tls.key": REDACTED_KEY}
    assert "stringData" not in secrets["s"]
