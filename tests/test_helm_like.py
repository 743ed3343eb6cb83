"""A realistic ``helm template`` output (ingress-nginx-like chart: RBAC, ConfigMap, hook Jobs,
ValidatingWebhookConfiguration, PDB, HPA, a CRD and a custom resource, a test-hook Pod) fed
through standard input, as ``helm template ... | podpath services -f -`` would: no crash,
kinds podpath does not model are skipped with a note under --verbose, and the answers hold."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

CHART = Path(__file__).resolve().parent / "scenarios" / "helm-like" / "ingress-nginx.yaml"
CONTROLLER = "ingress-nginx/ingress-nginx-controller"
SKIPPED = (
    "ServiceAccount",
    "ClusterRole",
    "ClusterRoleBinding",
    "Role",
    "RoleBinding",
    "PodDisruptionBudget",
    "ValidatingWebhookConfiguration",
    "CustomResourceDefinition",
    "Widget",
)


def podpath(*args: str) -> subprocess.CompletedProcess[str]:
    """Run the installed CLI with the chart on standard input (``cat chart | podpath ... -f -``)."""
    code = "import sys; from podpath.cli import main; sys.argv[0] = 'podpath'; main()"
    return subprocess.run(
        [sys.executable, "-c", code, *args, "-f", "-"],
        input=CHART.read_text(),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def as_json(*args: str) -> Any:
    result = podpath(*args, "--format", "json")
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_services_from_stdin() -> None:
    services = {s["service"]: s for s in as_json("services")["services"]}
    assert set(services) == {
        "default/kubernetes",
        CONTROLLER,
        f"{CONTROLLER}-admission",
        f"{CONTROLLER}-metrics",
    }
    lb = services[CONTROLLER]
    assert lb["type"] == "LoadBalancer"
    assert lb["external_traffic_policy"] == "Local"
    # named targetPorts resolve on both controller replicas
    for port in lb["ports"]:
        assert len(port["ready"]) == 2
    webhook = services[f"{CONTROLLER}-admission"]["ports"][0]
    assert webhook["port"] == 443 and all(r.endswith(":8443") for r in webhook["ready"])


def test_pods_follow_the_workloads() -> None:
    result = podpath("pods", "--format", "json")
    assert result.returncode == 0, result.stderr
    pods = json.loads(result.stdout)["pods"]
    owners = sorted(str(p.get("owner")) for p in pods)
    assert owners.count("ingress-nginx/Deployment/ingress-nginx-controller") == 2  # replicas: 2
    assert len(pods) == 5  # 2 controllers, 2 hook Jobs, the test Pod


def test_unknown_kinds_are_skipped_with_a_note_under_verbose() -> None:
    quiet = podpath("pods")
    assert quiet.returncode == 0
    assert "skipped" not in quiet.stderr
    verbose = podpath("pods", "-v")
    assert verbose.returncode == 0, verbose.stderr
    for kind in SKIPPED:
        assert f"{kind}/" in verbose.stderr and "not modelled" in verbose.stderr, kind


def test_matrix_follows_the_controller_policy() -> None:
    matrix = as_json("matrix", "--dense")
    pods = matrix["pods"]
    controllers = [i for i, p in enumerate(pods) if p.startswith(f"{CONTROLLER}-")]
    assert len(controllers) == 2
    allowed = matrix["allowed"]
    # rule 0 admits anyone on 80, 443 and 8443; the metrics port only from namespace monitoring
    for port in ("80/TCP", "443/TCP", "8443/TCP"):
        assert all(all(row) for row in allowed[port])
    metrics = allowed["10254/TCP"]
    for row in metrics:
        for j, cell in enumerate(row):
            assert cell is (j not in controllers)


def test_doctor_flags_only_the_missing_monitoring_namespace() -> None:
    result = podpath("doctor", "--format", "json")
    assert result.returncode == 0, result.stderr
    findings = json.loads(result.stdout)["findings"]
    assert [f["code"] for f in findings] == ["policy-namespace-selector-matches-nothing"]


def test_report_and_trace() -> None:
    report = podpath("report")
    assert report.returncode == 0, report.stderr
    assert "4 services, 1 network policies" in report.stdout
    trace = podpath(
        "trace",
        "--from",
        "ingress-nginx/ingress-nginx-test-connection",
        "--to",
        "ingress-nginx-controller",
        "--port",
        "80",
        "--expect",
        "allowed",
    )
    assert trace.returncode == 0, trace.stdout + trace.stderr


@pytest.mark.parametrize("command", ["services", "pods", "doctor", "matrix", "report", "routes"])
def test_no_crash_in_table_form(command: str) -> None:
    result = podpath(command)
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr


def test_bitnami_like_statefulset_with_empty_documents() -> None:
    """A chart whose disabled templates render to comment-only documents (``# Source:`` only)."""
    chart = CHART.with_name("postgresql.yaml").read_text()
    code = "import sys; from podpath.cli import main; sys.argv[0] = 'podpath'; main()"

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-c", code, *args, "-f", "-"],
            input=chart,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )

    doctor = run("doctor", "--format", "json")
    assert doctor.returncode == 0, doctor.stderr
    assert json.loads(doctor.stdout)["findings"] == []
    dns = run("dns", "my-pg-postgresql-0.my-pg-postgresql-hl", "--format", "json")
    assert dns.returncode == 0, dns.stderr
    assert "10.244." in dns.stdout and "Pod/default/my-pg-postgresql-0" in dns.stdout


def test_report_summary_lists_findings_most_severe_first() -> None:
    """The report's first line orders severities as doctor's summary does (was alphabetical)."""
    shop = Path(__file__).resolve().parents[1] / "examples" / "shop"
    code = "import sys; from podpath.cli import main; sys.argv[0] = 'podpath'; main()"
    result = subprocess.run(
        [sys.executable, "-c", code, "report", "-f", str(shop)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[0].endswith("findings: 5 error, 1 warning, 3 info")


def test_helm_hooks_are_named_under_verbose() -> None:
    """Hook Jobs and the test Pod are modelled as running; --verbose says they are hooks."""
    result = podpath("pods", "-v")
    assert result.returncode == 0, result.stderr
    hooks = [line for line in result.stderr.splitlines() if "Helm hook" in line]
    assert len(hooks) == 3, result.stderr
    assert any(
        "Pod/ingress-nginx/ingress-nginx-test-connection" in h and "test" in h for h in hooks
    )
    assert any("Job/ingress-nginx/ingress-nginx-admission-create" in h for h in hooks)
    quiet = podpath("pods")
    assert "Helm hook" not in quiet.stderr


def test_verbose_notes_point_at_file_and_line() -> None:
    """Notes say where as doctor does (FILE:LINE, an editor's jump target), not FILE#INDEX."""
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            "from podpath.cli import main; main()",
            "pods",
            "-v",
            "-f",
            str(CHART),
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    line = next(x for x in result.stderr.splitlines() if "CustomResourceDefinition/" in x)
    text = CHART.read_text().splitlines()
    where = line.rsplit("(", 1)[1].rstrip(")")
    path, number = where.rsplit(":", 1)
    assert path == str(CHART)
    assert text[int(number) - 1].startswith(("apiVersion", "#", "---"))
    assert "CustomResourceDefinition" in "\n".join(text[int(number) - 1 : int(number) + 3])
