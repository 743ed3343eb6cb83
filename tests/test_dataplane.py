"""Data plane: bring clusters up for real (root, Linux, ip + nft) and require the probe to agree
with the model; nothing ``pp-`` may be left behind. Pure planning tests run everywhere."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from podpath.api import load_cluster
from podpath.dataplane.generate import random_cluster
from podpath.dataplane.nft import policy_ruleset, service_ruleset
from podpath.dataplane.plan import build_plan
from podpath.dataplane.policy import allows_for

SMALL = """
apiVersion: v1
kind: Pod
metadata: {name: web-1, namespace: shop, labels: {app: web}}
spec:
  containers:
  - {name: c, ports: [{containerPort: 8080, name: http}, {containerPort: 53, protocol: UDP}]}
---
apiVersion: v1
kind: Pod
metadata: {name: web-2, namespace: shop, labels: {app: web}}
spec:
  containers: [{name: c, ports: [{containerPort: 8080, name: http}]}]
---
apiVersion: v1
kind: Pod
metadata: {name: client, namespace: shop, labels: {app: client}}
spec:
  containers: [{name: c, ports: [{containerPort: 9000}]}]
---
apiVersion: v1
kind: Service
metadata: {name: web, namespace: shop}
spec:
  type: LoadBalancer
  selector: {app: web}
  ports: [{port: 80, targetPort: http}]
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: web-from-client, namespace: shop}
spec:
  podSelector: {matchLabels: {app: web}}
  ingress:
  - from: [{podSelector: {matchLabels: {app: client}}}]
    ports: [{port: http}]
"""

CAN_RUN = (
    sys.platform.startswith("linux")
    and hasattr(os, "geteuid")
    and os.geteuid() == 0
    and shutil.which("ip") is not None
    and shutil.which("nft") is not None
)
needs_root = pytest.mark.skipif(not CAN_RUN, reason="needs root, Linux, ip and nft")
EXAMPLES_SHOP = Path(__file__).resolve().parent.parent / "examples" / "shop"


def _podpath(*args: str, state: Path, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, PODPATH_STATE_DIR=str(state))
    return subprocess.run(
        [sys.executable, "-m", "podpath.cli", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=env,
        check=False,
    )


def _leftovers() -> list[str]:
    from podpath.dataplane.netns import our_links, our_netns, our_tables

    return our_netns() + our_links() + our_tables()


@pytest.fixture
def small(tmp_path: Path) -> Path:
    path = tmp_path / "small.yaml"
    path.write_text(SMALL)
    return path


def test_plan_names_everything_pp(small: Path) -> None:
    cluster = load_cluster([str(small)])
    plan = build_plan(cluster)
    assert all(name.startswith("pp-") for name in plan.netns_names)
    assert all(p.veth.startswith("pp-") and len(p.veth) <= 15 for p in plan.pods)
    node = plan.nodes[0]
    rules = service_ruleset(cluster, plan, node) + policy_ruleset(
        plan, node, allows_for(cluster, plan)
    )
    assert "table ip pp-svc" in rules and "table ip pp-pol" in rules
    assert "numgen random mod 2" in rules  # two ready endpoints behind shop/web


def test_policy_allows_follow_the_engine(small: Path) -> None:
    cluster = load_cluster([str(small)])
    plan = build_plan(cluster)
    allows = allows_for(cluster, plan)
    web1 = plan.pod("shop/web-1")
    client = plan.pod("shop/client")
    assert web1 is not None and client is not None
    to_web = {(a.source, a.protocol, a.port) for a in allows if a.destination == web1.ip}
    assert (client.ip, "TCP", 8080) in to_web
    assert ("0.0.0.0/0", "TCP", 8080) not in to_web


def test_no_root_is_one_line_exit_2(tmp_path: Path) -> None:
    if CAN_RUN:
        pytest.skip("running as root")
    done = _podpath("down", state=tmp_path)
    assert done.returncode == 2
    assert len(done.stderr.strip().splitlines()) == 1


def _up_probe_down(files: list[Path], state: Path) -> dict[str, object]:
    import json

    try:
        up = _podpath("up", *[a for f in files for a in ("-f", str(f))], state=state)
        assert up.returncode == 0, up.stderr
        probe = _podpath("probe", "--format", "json", "--timeout", "0.5", state=state)
        result = json.loads(probe.stdout)
        assert probe.returncode == (1 if result["disagreements"] else 0)
        return dict(result)
    finally:
        down = _podpath("down", state=state)
        assert down.returncode == 0, down.stderr
        assert _leftovers() == []


@pytest.mark.dataplane
@needs_root
def test_small_cluster_agrees(small: Path, tmp_path: Path) -> None:
    result = _up_probe_down([small], tmp_path / "state")
    assert result["disagreements"] == []
    assert result["checked"] == result["agree"] > 0


@pytest.mark.dataplane
@needs_root
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_random_cluster_agrees(seed: int, tmp_path: Path) -> None:
    path = tmp_path / f"random-{seed}.yaml"
    path.write_text(yaml.safe_dump_all(random_cluster(seed, pods=30, policies=20)))
    result = _up_probe_down([path], tmp_path / "state")
    assert result["disagreements"] == []


@pytest.mark.dataplane
@needs_root
@pytest.mark.skipif(
    not EXAMPLES_SHOP.is_dir() or not any(EXAMPLES_SHOP.iterdir()), reason="no examples/shop"
)
def test_examples_shop_agrees(tmp_path: Path) -> None:
    result = _up_probe_down([EXAMPLES_SHOP], tmp_path / "state")
    assert result["disagreements"] == []


@pytest.mark.dataplane
@needs_root
def test_killed_run_is_cleaned_by_down(small: Path, tmp_path: Path) -> None:
    state = tmp_path / "state"
    up = _podpath("up", "-f", str(small), state=state)
    assert up.returncode == 0, up.stderr
    import json

    pid = json.loads((state / "state.json").read_text())["agent_pid"]
    os.kill(pid, 9)
    (state / "state.json").unlink()  # as if `up` itself had been killed before writing it
    down = _podpath("down", state=state)
    assert down.returncode == 0
    assert _leftovers() == []


@pytest.mark.dataplane
@needs_root
def test_exec_resolves_service_names(small: Path, tmp_path: Path) -> None:
    state = tmp_path / "state"
    try:
        assert _podpath("up", "-f", str(small), state=state).returncode == 0
        done = _podpath("exec", "shop/client", "--", "getent", "hosts", "web", state=state)
        assert done.returncode == 0
        assert "web.shop.svc.cluster.local" in done.stdout
    finally:
        _podpath("down", state=state)
        assert _leftovers() == []
