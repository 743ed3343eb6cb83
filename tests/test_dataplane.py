"""Data plane: bring clusters up for real (root, Linux, ip + nft) and require the probe to agree
with the model; nothing ``pp-`` may be left behind. Pure planning tests run everywhere."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml

from podpath.api import load_cluster
from podpath.dataplane.generate import random_cluster
from podpath.dataplane.nft import policy_ruleset, service_ruleset
from podpath.dataplane.plan import PREFIX, build_plan
from podpath.dataplane.policy import allows_for, compile_policies, egress_boundaries
from podpath.engine.policy import evaluate
from podpath.engine.policy_rules import peer_for_ip
from podpath.engine.policy_verdict import INTERNET_IP, PodPeer
from podpath.model.core import Protocol

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

# an Ingress through a controller pod: / reaches web, /db is dropped by db's policy on the
# controller -> db hop (504), /gone names a missing Service (500); web may only reach the
# internet on 443
ROUTED = """
apiVersion: v1
kind: Namespace
metadata: {name: edge}
---
apiVersion: v1
kind: Namespace
metadata: {name: app}
---
apiVersion: networking.k8s.io/v1
kind: IngressClass
metadata: {name: nginx}
spec: {controller: k8s.io/ingress-nginx}
---
apiVersion: v1
kind: Pod
metadata: {name: controller, namespace: edge, labels: {app.kubernetes.io/name: ingress-nginx}}
spec:
  containers: [{name: c, ports: [{containerPort: 8080, name: http}]}]
---
apiVersion: v1
kind: Service
metadata: {name: controller, namespace: edge}
spec:
  type: LoadBalancer
  selector: {app.kubernetes.io/name: ingress-nginx}
  ports: [{name: http, port: 80, targetPort: http}]
---
apiVersion: v1
kind: Pod
metadata: {name: web, namespace: app, labels: {app: web}}
spec:
  containers: [{name: c, ports: [{containerPort: 9000}]}]
---
apiVersion: v1
kind: Pod
metadata: {name: db, namespace: app, labels: {app: db}}
spec:
  containers: [{name: c, ports: [{containerPort: 5432}]}]
---
apiVersion: v1
kind: Service
metadata: {name: web, namespace: app}
spec:
  selector: {app: web}
  ports: [{port: 80, targetPort: 9000}]
---
apiVersion: v1
kind: Service
metadata: {name: db, namespace: app}
spec:
  selector: {app: db}
  ports: [{port: 80, targetPort: 5432}]
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: site, namespace: app}
spec:
  ingressClassName: nginx
  rules:
  - host: a.example.com
    http:
      paths:
      - {path: /, pathType: Prefix, backend: {service: {name: web, port: {number: 80}}}}
      - {path: /db, pathType: Prefix, backend: {service: {name: db, port: {number: 80}}}}
      - {path: /gone, pathType: Exact, backend: {service: {name: nope, port: {number: 80}}}}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: db-private, namespace: app}
spec:
  podSelector: {matchLabels: {app: db}}
  ingress:
  - from: [{podSelector: {}}]
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: egress-web-only, namespace: app}
spec:
  podSelector: {matchLabels: {app: web}}
  policyTypes: [Egress]
  egress:
  - to: [{ipBlock: {cidr: 203.0.113.0/24}}]
    ports: [{port: 443}]
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


def _podpath(*args: str, state: Path, timeout: float = 60) -> subprocess.CompletedProcess[str]:
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
    assert all(name.startswith(PREFIX) for name in plan.netns_names)
    assert all(p.veth.startswith("pp-") and len(p.veth) <= 15 for p in plan.pods)
    node = plan.nodes[0]
    rules = service_ruleset(cluster, plan, node) + policy_ruleset(
        plan, node, compile_policies(cluster, plan)
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


def _expand(allows: list[object], sources: list[str]) -> set[tuple[str, str, int, str]]:
    out = set()
    for a in allows:
        for src in sources if a.source == "0.0.0.0/0" else [a.source]:  # type: ignore[attr-defined]
            out.add((src, a.protocol, a.port, a.destination))  # type: ignore[attr-defined]
    return out


@pytest.mark.parametrize("seed", [1, 2, 3, 4])
def test_compiled_ingress_equals_per_pair_evaluate(seed: int, tmp_path: Path) -> None:
    """The flows compiled from the fast matrix (+ cached verdicts for nodes and the internet)
    are exactly the per-pair evaluator's, source by source (a pod to itself included: the
    hairpin case)."""
    path = tmp_path / "c.yaml"
    path.write_text(yaml.safe_dump_all(random_cluster(seed, pods=24, policies=20)))
    cluster = load_cluster([str(path)])
    plan = build_plan(cluster)
    pods = [p for p in plan.pods if not p.host_network]
    sources = [p.ip for p in pods] + [n.ip for n in plan.nodes] + [INTERNET_IP]
    expected = set()
    for dst in pods:
        target = PodPeer(cluster.pod_by_key[dst.key])
        for port, proto in sorted({(x.port, x.protocol) for x in dst.listeners}):
            for ip in sources:
                src = peer_for_ip(cluster, ip)
                if evaluate(cluster, src, target, port, Protocol(proto)).allowed:
                    expected.add((ip, proto, port, dst.ip))
    served = {(p.ip, x.port, x.protocol) for p in pods for x in p.listeners}
    got = {f for f in _expand(allows_for(cluster, plan), sources) if (f[3], f[2], f[1]) in served}
    assert got == expected


@pytest.mark.parametrize("seed", [1, 2])
def test_compiled_egress_follows_evaluate_on_every_port(seed: int, tmp_path: Path) -> None:
    """Egress to non-pod addresses: each compiled port interval holds the evaluator's verdict
    at its ends and at every rule boundary inside it."""
    path = tmp_path / "c.yaml"
    path.write_text(yaml.safe_dump_all(random_cluster(seed, pods=12, policies=20)))
    cluster = load_cluster([str(path)])
    plan = build_plan(cluster)
    egress = compile_policies(cluster, plan).egress
    for pod in [p for p in plan.pods if not p.host_network][:6]:
        src = PodPeer(cluster.pod_by_key[pod.key])
        for dst in [INTERNET_IP, plan.nodes[0].ip]:
            for proto in ("TCP", "UDP"):
                probes = {0, 1, 53, 79, 80, 81, 5000, 8000, 9005, 9006, 65535}
                probes |= set(egress_boundaries(cluster, Protocol(proto)))
                for port in sorted(probes):
                    want = evaluate(
                        cluster, src, peer_for_ip(cluster, dst), port, Protocol(proto)
                    ).allowed
                    got = any(
                        a.source == pod.ip
                        and a.destination == dst
                        and a.protocol == proto
                        and a.port <= port <= (a.end_port if a.end_port is not None else 65535)
                        for a in egress
                    )
                    assert got == want, (pod.key, dst, port, proto)


def test_routed_checks_come_from_route_and_trace(tmp_path: Path) -> None:
    """Route checks: the proxy ports, and the answers route/trace give (200 by web, 504 where
    policy drops the controller -> db hop, 503 for a missing Service: ingress-nginx's upstream
    has no endpoints); internet egress checks
    from trace (web may only reach the internet on 443)."""
    from podpath.dataplane.probe_checks import build_checks

    path = tmp_path / "routed.yaml"
    path.write_text(ROUTED)
    cluster = load_cluster([str(path)])
    plan = build_plan(cluster)
    assert [(p.pod, p.target, p.service_port) for p in plan.proxies] == [
        ("edge/controller", 8080, 80)
    ]
    state = {
        "pods": [
            {
                "key": p.key,
                "netns": p.netns,
                "ip": p.ip,
                "node": p.node,
                "host_network": p.host_network,
                "listeners": [[x.port, x.protocol, x.serves] for x in p.listeners],
            }
            for p in plan.pods
        ],
        "nodes": [{"name": n.name, "netns": n.netns, "ip": n.ip} for n in plan.nodes],
        "internet": {
            "netns": "x",
            "ip": INTERNET_IP,
            "listeners": [[x.port, x.protocol, x.serves] for x in plan.internet_listeners],
        },
        "lb_routes": [list(r) for r in plan.lb_routes],
        "proxies": [[p.pod, p.target, p.service_port, list(p.entries)] for p in plan.proxies],
        "dns_ip": plan.dns_ip,
    }
    checks = build_checks(cluster, state)
    routes = {c.target.split()[-1]: set(c.expected) for c in checks if c.route}
    assert routes == {
        "a.example.com/": {"http 200 app/web"},
        "a.example.com/db": {"http 504"},
        "a.example.com/gone": {"http 503"},
    }
    hairpin = [c for c in checks if c.source == "app/web" and c.target == "svc:app/web"]
    assert [set(c.expected) for c in hairpin] == [{"timeout"}]  # web's egress denies itself
    web_out = {
        c.port: set(c.expected) for c in checks if c.target == "internet" and c.source == "app/web"
    }
    assert web_out[443] == {"answered internet"}
    assert {"timeout"} in web_out.values()


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
@pytest.mark.parametrize("seed", [1, 2, 3, 4, 5])
def test_random_cluster_agrees(seed: int, tmp_path: Path) -> None:
    path = tmp_path / f"random-{seed}.yaml"
    path.write_text(yaml.safe_dump_all(random_cluster(seed, pods=30, policies=20)))
    result = _up_probe_down([path], tmp_path / "state")
    assert result["disagreements"] == []


@pytest.mark.dataplane
@needs_root
def test_routed_cluster_agrees(tmp_path: Path) -> None:
    path = tmp_path / "routed.yaml"
    path.write_text(ROUTED)
    result = _up_probe_down([path], tmp_path / "state")
    assert result["disagreements"] == []
    assert result["checked"] == result["agree"] > 0


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


def _agents(state: Path) -> list[int]:
    from podpath.dataplane.lifecycle import agents_of

    return agents_of(os.path.abspath(state))


def _pending(pid: int) -> int:
    """Bytes written to a process's standard output pipe and not yet read (FIONREAD)."""
    import fcntl
    import struct
    import termios

    try:
        fd = os.open(f"/proc/{pid}/fd/1", os.O_RDONLY | os.O_NONBLOCK)
    except OSError:
        return 0
    try:
        count: int = struct.unpack("i", fcntl.ioctl(fd, termios.FIONREAD, b"\0" * 4))[0]
        return count
    finally:
        os.close(fd)


def _up_in_background(small: Path, state: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "podpath.cli", "up", "-f", str(small)],
        env=dict(os.environ, PODPATH_STATE_DIR=str(state)),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def _until(condition: Callable[[], bool], seconds: float = 60) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.005)
    return False


@pytest.mark.dataplane
@needs_root
def test_up_killed_once_its_agent_is_ready_is_cleaned_by_down(small: Path, tmp_path: Path) -> None:
    """`up` stopped right after the agent starts, killed once the agent has said ready (before
    `up` could read it and write its state): `down` still finds and stops the agent."""
    state = tmp_path / "state"
    up = _up_in_background(small, state)
    try:
        assert _until(lambda: bool(_agents(state)) or up.poll() is not None)
        (agent,) = _agents(state)
        os.kill(up.pid, signal.SIGSTOP)
        assert _until(lambda: _pending(agent) > 0)  # "ready" waits in the pipe
        up.kill()
        up.wait(timeout=30)
        assert _agents(state) == [agent]  # the agent outlived `up`
    finally:
        if up.poll() is None:
            up.kill()
            up.wait(timeout=30)
        down = _podpath("down", state=state)
    assert down.returncode == 0, down.stderr
    assert _agents(state) == []
    assert _leftovers() == []


RESOLV_INJECTION = """
apiVersion: v1
kind: Pod
metadata: {name: victim, namespace: shop}
spec:
  dnsConfig: {searches: ["shop.example\\nnameserver 6.6.6.6"]}
  containers: [{name: c, ports: [{containerPort: 80}]}]
"""


@pytest.mark.dataplane
@needs_root
def test_up_never_writes_a_manifest_line_into_resolv_conf(tmp_path: Path) -> None:
    path = tmp_path / "inject.yaml"
    path.write_text(RESOLV_INJECTION)
    state = tmp_path / "state"
    try:
        done = _podpath("up", "-f", str(path), state=state)
        assert done.returncode == 2
        lines = done.stderr.strip().splitlines()
        assert len(lines) == 1 and "resolv.conf: search" in lines[0], done.stderr
        assert not [p for p in Path("/etc/netns").glob(f"{PREFIX}*")]
    finally:
        _podpath("down", state=state)
    assert _leftovers() == []
