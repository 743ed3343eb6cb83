"""``up`` and ``down``: build the planned network with ``ip``/``nft``, start the servers, tear
everything down again.

The state directory (``/run/podpath``) holds ``state.json`` (the namespaces, the servers'
process id, the pods' namespaces and addresses) and ``cluster.pickle`` (the resolved model the
data plane was built from, which ``probe`` compares against). ``down`` -- and ``up`` before it
builds -- removes every ``pp-`` namespace and ``/etc/netns/pp-*`` whatever the state file says,
so a run killed with SIGKILL leaves nothing behind after the next ``up`` or ``down``.
"""

from __future__ import annotations

import contextlib
import json
import os
import pickle
import select
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from podpath.cluster import Cluster
from podpath.dataplane import netns as nx
from podpath.dataplane.nft import policy_ruleset, service_ruleset
from podpath.dataplane.plan import (
    DNS_NS,
    FABRIC_NS,
    GATEWAY_IP,
    GATEWAY_MAC,
    INTERNET_NS,
    PREFIX,
    Plan,
    build_plan,
)
from podpath.dataplane.policy import compile_policies
from podpath.engine.policy_verdict import INTERNET_IP
from podpath.engine.resolver import pod_resolv_conf

STATE_DIR = Path(os.environ.get("PODPATH_STATE_DIR", "/run/podpath"))
ETC_NETNS = Path("/etc/netns")
AGENT_READY_TIMEOUT = 120.0
AGENT_MODULE = "podpath.dataplane.agent"

Progress = Callable[[str], None]


def _quiet(_: str) -> None:
    return None


def load_state(state_dir: Path = STATE_DIR) -> dict[str, Any] | None:
    try:
        data = json.loads((state_dir / "state.json").read_text())
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def load_model(state_dir: Path = STATE_DIR) -> Cluster:
    with open(state_dir / "cluster.pickle", "rb") as fh:
        cluster = pickle.load(fh)  # noqa: S301 - our own root-only state file
    assert isinstance(cluster, Cluster)
    return cluster


def _write_state(state: dict[str, Any], state_dir: Path) -> None:
    state_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    tmp = state_dir / "state.json.tmp"
    tmp.write_text(json.dumps(state, indent=1))
    tmp.replace(state_dir / "state.json")


def _is_agent(pid: int) -> bool:
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        return False
    return AGENT_MODULE.encode() in cmdline


def _stop_agent(pid: int) -> None:
    if not _is_agent(pid):
        return
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGKILL)
    for _ in range(200):
        if not _is_agent(pid):
            return
        with contextlib.suppress(ChildProcessError):
            os.waitpid(pid, os.WNOHANG)
        time.sleep(0.02)


def down(state_dir: Path = STATE_DIR) -> list[str]:
    """Remove everything an ``up`` made (or left behind when killed); the names removed."""
    state = load_state(state_dir)
    if state and isinstance(state.get("agent_pid"), int):
        _stop_agent(state["agent_pid"])
    removed = nx.our_netns()
    nx.ip_batch(None, [f"netns del {name}" for name in removed], "removing namespaces")
    if ETC_NETNS.is_dir():
        for entry in ETC_NETNS.iterdir():
            if entry.name.startswith(PREFIX):
                shutil.rmtree(entry, ignore_errors=True)
    for name in ("state.json", "cluster.pickle"):
        with contextlib.suppress(FileNotFoundError):
            (state_dir / name).unlink()
    return removed


def _fabric_lines(plan: Plan) -> list[str]:
    lines = ["link add pp-br type bridge", "link set pp-br up"]
    ends = [(n.fabric_link, n.netns) for n in plan.nodes] + [("pp-finet", INTERNET_NS)]
    if not plan.dns_in_pods:
        ends.append(("pp-fdns", DNS_NS))
    for link, ns in ends:
        lines += [
            f"link add {link} type veth peer name eth0 netns {ns}",
            f"link set {link} master pp-br up",
        ]
    return lines


def _node_lines(plan: Plan, index: int, service_cidr: str) -> list[str]:
    node = plan.nodes[index]
    lines = ["link set lo up", f"addr add {node.ip}/32 dev eth0", "link set eth0 up"]
    for other in plan.nodes:
        if other.name != node.name:
            lines.append(f"route add {other.ip}/32 dev eth0 scope link")
    lines.append(f"route add {INTERNET_IP}/32 dev eth0 scope link")
    if not plan.dns_in_pods:
        lines.append(f"route add {plan.dns_ip}/32 dev eth0 scope link")
    # addresses of Services without endpoints are rejected here (RST / ICMP port unreachable)
    # rather than routed anywhere, as kube-proxy rejects them
    lines.append(f"route add local {service_cidr} dev lo")
    lines += [f"route add local {ip}/32 dev lo" for ip, _ in plan.lb_routes]
    for pod in plan.pods:
        if pod.host_network:
            continue
        if pod.node == node.name:
            lines += [
                f"link add {pod.veth} type veth peer name eth0 netns {pod.netns}",
                f"link set {pod.veth} address {GATEWAY_MAC} up",
                f"route add {pod.ip}/32 dev {pod.veth}",
            ]
        else:
            owner = plan.node(pod.node)
            if owner is not None:
                lines.append(f"route add {pod.ip}/32 via {owner.ip} dev eth0 onlink")
    return lines


def _pod_lines(ip: str) -> list[str]:
    return [
        "link set lo up",
        f"addr add {ip}/32 dev eth0",
        "link set eth0 up",
        f"route add {GATEWAY_IP} dev eth0 scope link",
        f"route add default via {GATEWAY_IP} dev eth0",
        f"neigh replace {GATEWAY_IP} lladdr {GATEWAY_MAC} dev eth0 nud permanent",
    ]


def _edge_lines(plan: Plan, own_ip: str, lb: bool) -> list[str]:
    """The internet (LB addresses routed to nodes) or the DNS server's namespace."""
    lines = ["link set lo up", f"addr add {own_ip}/32 dev eth0", "link set eth0 up"]
    lines += [f"route add {n.ip}/32 dev eth0 scope link" for n in plan.nodes]
    if lb:
        lines += [
            f"route add {ip}/32 via {node_ip} dev eth0 onlink" for ip, node_ip in plan.lb_routes
        ]
    else:
        for pod in plan.pods:
            owner = plan.node(pod.node)
            if owner is not None and not pod.host_network:
                lines.append(f"route add {pod.ip}/32 via {owner.ip} dev eth0 onlink")
    return lines


def _resolv_confs(cluster: Cluster, plan: Plan) -> None:
    for pod in plan.pods:
        model = cluster.pod_by_key.get(pod.key)
        if model is None or pod.host_network:
            continue
        conf = pod_resolv_conf(model, cluster)
        text = "".join(f"nameserver {s}\n" for s in conf.nameservers)
        if conf.searches:
            text += "search " + " ".join(conf.searches) + "\n"
        if conf.options:
            text += "options " + " ".join(conf.options) + "\n"
        folder = ETC_NETNS / pod.netns
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "resolv.conf").write_text(text)


def _start_agent(state_dir: Path) -> int:
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    proc = subprocess.Popen(
        [sys.executable, "-m", AGENT_MODULE, str(state_dir)],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        stdin=subprocess.DEVNULL,
        start_new_session=True,
        env=env,
    )
    assert proc.stdout is not None
    ready, _, _ = select.select([proc.stdout], [], [], AGENT_READY_TIMEOUT)
    line = proc.stdout.readline().decode().strip() if ready else "no answer"
    if line != "ready":
        _stop_agent(proc.pid)
        raise nx.DataplaneError(f"starting the pods' servers: {line or 'exited'}")
    proc.stdout.close()
    return proc.pid


def up(
    cluster: Cluster, state_dir: Path = STATE_DIR, progress: Progress = _quiet
) -> dict[str, Any]:
    """Replace any existing environment with the network of ``cluster``; the state written."""
    progress("removing a previous environment")
    down(state_dir)
    plan = build_plan(cluster, sctp=nx.sctp_supported())
    state: dict[str, Any] = {
        "version": 1,
        "netns": list(plan.netns_names),
        "agent_pid": None,
        "internet": {
            "netns": INTERNET_NS,
            "ip": INTERNET_IP,
            "listeners": [[lst.port, lst.protocol, lst.serves] for lst in plan.internet_listeners],
        },
        "dns_ip": plan.dns_ip,
        "dns_in_pods": plan.dns_in_pods,
        "nodes": [{"name": n.name, "netns": n.netns, "ip": n.ip} for n in plan.nodes],
        "pods": [
            {
                "key": p.key,
                "netns": p.netns,
                "ip": p.ip,
                "node": p.node,
                "host_network": p.host_network,
                "listeners": [[lst.port, lst.protocol, lst.serves] for lst in p.listeners],
            }
            for p in plan.pods
        ],
        "lb_routes": [list(r) for r in plan.lb_routes],
        "proxies": [[p.pod, p.target, p.service_port, list(p.entries)] for p in plan.proxies],
        "skipped": list(plan.skipped),
    }
    _write_state(state, state_dir)
    with open(state_dir / "cluster.pickle", "wb") as fh:
        pickle.dump(cluster, fh, protocol=pickle.HIGHEST_PROTOCOL)
    try:
        _build(cluster, plan, progress)
        progress("starting the pods' servers")
        state["agent_pid"] = _start_agent(state_dir)
        _write_state(state, state_dir)
    except BaseException:
        down(state_dir)
        raise
    return state


def _build(cluster: Cluster, plan: Plan, progress: Progress) -> None:
    progress(f"creating {len(plan.netns_names)} namespaces")
    nx.ip_batch(None, [f"netns add {name}" for name in plan.netns_names], "creating namespaces")
    nx.ip_batch(FABRIC_NS, _fabric_lines(plan), "building the fabric")
    progress("wiring nodes and pods")
    nx.parallel(
        [
            (n.netns, _node_lines(plan, i, cluster.settings.service_cidr), f"wiring node {n.name}")
            for i, n in enumerate(plan.nodes)
        ]
    )
    nx.parallel(
        [
            (p.netns, _pod_lines(p.ip), f"addressing pod {p.key}")
            for p in plan.pods
            if not p.host_network
        ]
    )
    nx.ip_batch(INTERNET_NS, _edge_lines(plan, INTERNET_IP, True), "wiring the internet")
    if not plan.dns_in_pods:
        nx.ip_batch(DNS_NS, _edge_lines(plan, plan.dns_ip, False), "wiring the DNS server")
    progress("programming Services and NetworkPolicies")
    rules = compile_policies(cluster, plan, progress)
    for node in plan.nodes:
        nx.sysctl(node.netns, "net.ipv4.ip_forward", "1")
        # rejections (ICMP unreachable) answer every probe, not one per second per client
        nx.sysctl(node.netns, "net.ipv4.icmp_ratelimit", "0")
        nx.sysctl(node.netns, "net.ipv4.icmp_msgs_per_sec", "1000000")
        nx.sysctl(node.netns, "net.ipv4.icmp_msgs_burst", "1000000")
        nx.nft_load(
            node.netns, service_ruleset(cluster, plan, node) + policy_ruleset(plan, node, rules)
        )
    _resolv_confs(cluster, plan)
