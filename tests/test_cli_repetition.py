"""Repetition: check groups violations by root cause; doctor says a per-pod finding once per
workload (with the pod count); format names are the same everywhere (table, not text)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from podpath.cli import COMMANDS, main
from podpath.render.check import check_table, violation_groups, workload_reason

ROOT = Path(__file__).resolve().parents[1]
SHOP = str(ROOT / "examples" / "shop")


def run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    capsys.readouterr()
    try:
        main(args)
        code = 0
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 1
    return code, capsys.readouterr().out


def test_check_groups_pairs_with_one_cause(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Every pod of shop to every pod of data on 5432: dozens of denied pairs, few causes."""
    path = tmp_path / "expect.yaml"
    path.write_text(
        "expectations:\n  - name: shop reaches the databases\n    from: shop/*\n"
        "    to: data/*\n    ports: [5432]\n    expect: allowed\n"
    )
    code, table = run(["check", str(path), "-f", SHOP], capsys)
    _, raw = run(["check", str(path), "-f", SHOP, "-o", "json"], capsys)
    result = json.loads(raw)["results"][0]
    assert code == 1 and result["violation_count"] >= 20
    groups = [line for line in table.splitlines() if " pair(s) denied on " in line]
    assert 1 <= len(groups) < len(result["violations"]) / 3
    counted = sum(int(line.split()[0]) for line in groups)
    assert counted == len(result["violations"])  # every listed pair is in one group
    reasons = [line for line in table.splitlines() if line.strip().startswith("<- ")]
    assert len(set(reasons)) == len(reasons)  # each cause said once


def test_groups_key_on_the_reason_with_workload_names() -> None:
    workloads = {"a/w-1": "a/Deployment/w", "a/w-2": "a/Deployment/w", "b/db-0": "b/StatefulSet/db"}
    violations = [
        {"from": "a/w-1", "to": "b/db-0", "port": "80/TCP", "got": "denied",
         "reasons": ["denied by ingress isolation of b/db-0 (NetworkPolicy/b/x)"]},
        {"from": "a/w-2", "to": "b/db-0", "port": "80/TCP", "got": "denied",
         "reasons": ["denied by ingress isolation of b/db-0 (NetworkPolicy/b/x)"]},
        {"from": "a/w-2", "to": "b/db-0", "port": "81/TCP", "got": "denied", "reasons": ["other"]},
        {"from": "a/w-1", "to": "b/db-0", "port": "80/TCP", "got": "denied"},  # not explained
    ]  # fmt: skip
    groups = violation_groups(violations, workloads)
    assert [(g["port"], g["pairs"]) for g in groups] == [
        ("80/TCP", 2),
        ("81/TCP", 1),
        ("80/TCP", 1),
    ]
    assert groups[0]["reason"] == (
        "denied by ingress isolation of b/StatefulSet/db (NetworkPolicy/b/x)"
    )
    assert workload_reason(["NetworkPolicy/b/x allows"], workloads) == "NetworkPolicy/b/x allows"
    data = {"checked": 1, "failed": 1, "results": [{
        "name": "n", "expect": "allowed", "ok": False, "empty": False, "pairs": 9,
        "violations": violations, "violation_count": 6}]}  # fmt: skip
    text = check_table(data, workloads)
    assert "2 pair(s) denied on 80/TCP: a/Deployment/w (2 pod(s)) -> b/StatefulSet/db" in text
    assert "podpath trace --from a/w-1 --to b/db-0 --port 80" in text
    assert "... and 2 more pair(s)" in text


def test_format_names_are_the_same_everywhere() -> None:
    """No command offers `text`: the human format is `table` (and `text` is read as it)."""
    import importlib

    for name, ref in COMMANDS.items():
        module, attr = ref.split(":")
        command = getattr(importlib.import_module(module), attr)
        for param in command.params:
            if param.name == "fmt":
                choices = list(getattr(param.type, "choices", []))
                assert "text" not in choices, name
                assert param.opts[:2] == ["-o", "--output"] and "--format" in param.opts, name


def _pending_replicas(n: int) -> str:
    """A Deployment with a Service and ``n`` Pending replicas (as a live cluster lists them)."""
    docs = [
        "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web, namespace: wl}\n"
        f"spec:\n  replicas: {n}\n  selector: {{matchLabels: {{app: web}}}}\n"
        "  template:\n    metadata: {labels: {app: web}}\n"
        "    spec: {containers: [{name: app, image: nginx, ports: [{containerPort: 80}]}]}\n",
        "apiVersion: v1\nkind: Service\nmetadata: {name: web, namespace: wl}\n"
        "spec: {selector: {app: web}, ports: [{port: 80}]}\n",
        "apiVersion: v1\nkind: Pod\nmetadata: {name: lonely, namespace: wl}\n"
        "spec: {containers: [{name: app, image: nginx}]}\nstatus: {phase: Pending}\n",
    ]
    for i in range(n):
        docs.append(
            f"apiVersion: v1\nkind: Pod\nmetadata:\n  name: web-6d4cf56db6-{i:05d}\n"
            "  namespace: wl\n  labels: {app: web, pod-template-hash: 6d4cf56db6}\n"
            "  ownerReferences:\n    - {apiVersion: apps/v1, kind: ReplicaSet, "
            "name: web-6d4cf56db6, controller: true, uid: u1}\n"
            "spec: {containers: [{name: app, image: nginx, ports: [{containerPort: 80}]}]}\n"
            "status: {phase: Pending}\n"
        )
    return "---\n".join(docs)


def test_doctor_says_a_replicas_problem_once_per_workload(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "pending.yaml"
    path.write_text(_pending_replicas(500))
    code, raw = run(["doctor", "-f", str(path), "-o", "json", "--step", "pods"], capsys)
    findings = json.loads(raw)["findings"]
    running = [f for f in findings if f["code"] == "pod-not-running"]
    assert code == 1
    assert [f["object"] for f in running] == ["Deployment/wl/web", "Pod/wl/lonely"]
    grouped = running[0]
    assert grouped["message"].startswith(
        "500 pods (wl/web-6d4cf56db6-00000, wl/web-6d4cf56db6-00001, wl/web-6d4cf56db6-00002,"
        " ...): pod is Pending; it backs Service/wl/web"
    )
    _, table = run(["doctor", "-f", str(path), "--step", "pods"], capsys)
    assert table.count("hint:") == 2  # one hint per workload, not 500


def test_symptom_mode_still_finds_a_grouped_pods_finding(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from podpath.analyze.doctor import diagnose
    from podpath.api import load_cluster

    path = tmp_path / "pending.yaml"
    path.write_text(_pending_replicas(3))
    (finding,) = [f for f in diagnose(load_cluster([str(path)])) if f.object == "Deployment/wl/web"]
    assert "Pod/wl/web-6d4cf56db6-00002" in finding.related
    assert finding.impact > 0
