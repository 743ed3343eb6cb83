"""``up`` and ``down``: build the planned network with ``ip``/``nft``, start the servers, tear
everything down again.

The state folder (``/run/podpath``, checked and locked: :mod:`podpath.dataplane.statedir`)
holds ``state.json`` (the namespaces, the servers' process, the pods' namespaces and addresses)
and ``input.json`` (the input ``up`` was given, from which ``probe`` and the agent rebuild the
model: :mod:`podpath.dataplane.recorded`). ``down`` -- and ``up`` before it builds -- removes
every ``pp-`` namespace and ``/etc/netns/pp-*`` whatever the state file says, and stops every
agent started for this state folder, so a run killed with SIGKILL at any point leaves nothing
behind after the next ``up`` or ``down``. The prefix's lock file records which state folder's
environment is up (``up`` before it builds, ``down`` clears it); ``down`` of a folder taking the
prefix over from one that has no state left stops that folder's agents too
(:mod:`podpath.dataplane.statedir`).
"""

from __future__ import annotations

import contextlib
import ipaddress
import os
import re
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
from podpath.dataplane.families import LABEL
from podpath.dataplane.nft import policy_ruleset, service_ruleset
from podpath.dataplane.plan import DNS_NS, FABRIC_NS, INTERNET_NS, PREFIX, Plan, build_plan
from podpath.dataplane.policy import compile_policies
from podpath.dataplane.provider_plan import ProviderPlan, build_provider_plan
from podpath.dataplane.provider_up import build_edge, provider_state
from podpath.dataplane.recorded import INPUT_FILE, rebuild
from podpath.dataplane.statedir import STATE_FILE, StateDir
from podpath.dataplane.wiring import (
    early_sysctls,
    edge_lines,
    fabric_lines,
    node_lines,
    node_sysctls,
    pod_lines,
)
from podpath.engine.policy_verdict import INTERNET_IP
from podpath.engine.providers.base import Choice
from podpath.engine.resolver import pod_resolv_conf
from podpath.errors import StateDirError

STATE_DIR = Path(os.environ.get("PODPATH_STATE_DIR", "/run/podpath"))
ETC_NETNS = Path("/etc/netns")
AGENT_READY_TIMEOUT = 120.0
AGENT_MODULE = "podpath.dataplane.agent"
NETNS_NAME = re.compile(re.escape(PREFIX) + r"[a-z0-9-]{1,40}")
RESOLV_OPTION = re.compile(r"[A-Za-z0-9_.:+-]{1,64}")
# search domains as the API accepts them (DNS-1123 subdomains; RelaxedDNSSearchValidation also
# allows `_` and a lone `.`): nothing that could end the line or start another directive
RESOLV_SEARCH = re.compile(r"\.|[A-Za-z0-9_-]{1,63}(\.[A-Za-z0-9_-]{1,63})*\.?")
MSG_NO_INPUT = "no recorded input in {path}: run `podpath up -f ...` again"

Progress = Callable[[str], None]


def _quiet(_: str) -> None:
    return None


def _netns_names(state: dict[str, Any]) -> list[Any]:
    internet = state.get("internet")
    names = [internet.get("netns") if isinstance(internet, dict) else None]
    prov = state.get("provider")
    if prov is not None:  # the edge and its clients (exec enters them)
        clients = prov.get("clients") if isinstance(prov, dict) else None
        names.append(prov.get("edge") if isinstance(prov, dict) else None)
        for c in clients if isinstance(clients, list) else [None]:
            names.append(c[1] if isinstance(c, list) and len(c) == 3 else None)
    for key in ("pods", "nodes"):
        entries = state.get(key)
        for entry in entries if isinstance(entries, list) else [None]:
            names.append(entry.get("netns") if isinstance(entry, dict) else None)
    return names


def load_state(sd: StateDir) -> dict[str, Any] | None:
    """``state.json``, or None when there is none; every namespace it names must be one of
    this prefix's (``exec`` and the agent enter them as root)."""
    data = sd.read_json(STATE_FILE)
    if data is None:
        return None
    where = f"state file {sd.path / STATE_FILE}"
    if not isinstance(data, dict):
        raise StateDirError(f"{where}: not a mapping; refusing to use it")
    for name in _netns_names(data):
        if not isinstance(name, str) or not NETNS_NAME.fullmatch(name):
            raise StateDirError(
                f"{where}: names namespace {name!r}, not one of {PREFIX}*; refusing to use it"
            )
    return data


def load_model(sd: StateDir) -> Cluster:
    """The model ``up`` built, rebuilt from its recorded input."""
    record = sd.read_json(INPUT_FILE)
    if record is None:
        raise StateDirError(MSG_NO_INPUT.format(path=sd.path))
    return rebuild(record)


def _cmdline(pid: int) -> list[str]:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace").split("\0")
    except OSError:
        return []


def start_time(pid: int) -> int | None:
    """The process's start time (clock ticks since boot, field 22 of ``/proc/PID/stat``):
    with the pid, it names one process even after the pid is reused."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    rest = text.rpartition(")")[2].split()
    return int(rest[19]) if len(rest) > 19 and rest[19].isdigit() else None


def _is_agent(pid: int, folder: str | None = None) -> bool:
    args = _cmdline(pid)
    if AGENT_MODULE not in args:
        return False
    return folder is None or args[args.index(AGENT_MODULE) + 1 :][:1] == [folder]


def agents_of(folder: str) -> list[int]:
    """The agents started for the state folder ``folder`` (found by their command line)."""
    pids = [int(name) for name in os.listdir("/proc") if name.isdigit()]
    return sorted(pid for pid in pids if pid != os.getpid() and _is_agent(pid, folder))


def _stop_agent(pid: int, start: int | None = None) -> None:
    if not _is_agent(pid) or (start is not None and start_time(pid) != start):
        return
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGKILL)
    for _ in range(200):
        if not _is_agent(pid):
            return
        with contextlib.suppress(ChildProcessError):
            os.waitpid(pid, os.WNOHANG)
        time.sleep(0.02)


def _agent_folder(sd: StateDir) -> str:
    return os.path.abspath(sd.path)


def down(sd: StateDir) -> list[str]:
    """Remove everything an ``up`` made (or left behind when killed); the names removed."""
    with contextlib.suppress(StateDirError):
        state = load_state(sd)
        if state and isinstance(state.get("agent_pid"), int):
            start = state.get("agent_start")
            _stop_agent(state["agent_pid"], start if isinstance(start, int) else None)
    for folder in (_agent_folder(sd), sd.stale_owner):
        for pid in agents_of(folder) if folder else ():
            _stop_agent(pid)
    removed = nx.our_netns()
    nx.ip_batch(None, [f"netns del {name}" for name in removed], "removing namespaces")
    if ETC_NETNS.is_dir():
        for entry in ETC_NETNS.iterdir():
            if entry.name.startswith(PREFIX):
                shutil.rmtree(entry, ignore_errors=True)
    for name in (STATE_FILE, INPUT_FILE):
        sd.remove(name)
    if sd.prefix_lock is not None:
        sd.prefix_lock.record(None)
    sd.stale_owner = None
    return removed


def resolv_conf_text(nameservers: Any, searches: Any, options: Any) -> str:
    """A resolv.conf, refusing anything that could add a line or a directive: nameservers must
    be IP addresses, search domains dot-separated DNS words, options plain ``name[:value]`` words
    (defence in depth; names were already validated when the input was loaded)."""
    for server in nameservers:
        try:
            ipaddress.ip_address(server)
        except ValueError:
            raise nx.DataplaneError(f"resolv.conf: nameserver {server!r} is not an IP") from None
    for domain in searches:
        if not RESOLV_SEARCH.fullmatch(str(domain)):
            raise nx.DataplaneError(f"resolv.conf: search {domain!r} is not a DNS name")
    for option in options:
        if not RESOLV_OPTION.fullmatch(str(option)):
            raise nx.DataplaneError(f"resolv.conf: option {option!r} is not a resolver option")
    text = "".join(f"nameserver {s}\n" for s in nameservers)
    if searches:
        text += "search " + " ".join(searches) + "\n"
    if options:
        text += "options " + " ".join(options) + "\n"
    return text


def _resolv_confs(cluster: Cluster, plan: Plan) -> None:
    for pod in plan.pods:
        model = cluster.pod_by_key.get(pod.key)
        if model is None or pod.host_network:
            continue
        conf = pod_resolv_conf(model, cluster)
        try:
            text = resolv_conf_text(conf.nameservers, conf.searches, conf.options)
        except nx.DataplaneError as exc:
            raise nx.DataplaneError(f"pod {pod.key!r}: {exc}") from None
        folder = ETC_NETNS / pod.netns
        folder.mkdir(mode=0o755, parents=True, exist_ok=True)
        (folder / "resolv.conf").write_text(text)


def _start_agent(sd: StateDir, state: dict[str, Any]) -> int:
    """Start the agent, record it in the state before waiting for its ``ready`` (so that a
    ``down`` after a kill at any moment finds it), and wait."""
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    proc = subprocess.Popen(
        [sys.executable, "-m", AGENT_MODULE, _agent_folder(sd)],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        stdin=subprocess.DEVNULL,
        start_new_session=True,
        env=env,
    )
    state["agent_pid"], state["agent_start"] = proc.pid, start_time(proc.pid)
    sd.write_json(STATE_FILE, state)
    assert proc.stdout is not None
    ready, _, _ = select.select([proc.stdout], [], [], AGENT_READY_TIMEOUT)
    line = proc.stdout.readline().decode(errors="replace").strip() if ready else "no answer"
    if line != "ready":
        _stop_agent(proc.pid)
        raise nx.DataplaneError(f"starting the pods' servers: {line or 'exited'}")
    proc.stdout.close()
    return proc.pid


def plan_state(plan: Plan, pplan: ProviderPlan | None = None) -> dict[str, Any]:
    """``state.json`` of a planned environment, before its agent runs (JSON data; the
    provider's part is added by ``up``). ``ip6`` keys and ``families`` appear only on a
    dual-stack model."""
    state: dict[str, Any] = {
        "version": 2,
        "netns": list(plan.netns_names) + list(pplan.netns_names if pplan else ()),
        "agent_pid": None,
        "agent_start": None,
        "internet": {
            "netns": INTERNET_NS,
            "ip": INTERNET_IP,
            "listeners": [[lst.port, lst.protocol, lst.serves] for lst in plan.internet_listeners],
        },
        "dns_ip": plan.dns_ip,
        "dns_in_pods": plan.dns_in_pods,
        "nodes": [
            {"name": n.name, "netns": n.netns, "ip": n.ip} | ({"ip6": n.ip6} if n.ip6 else {})
            for n in plan.nodes
        ],
        "pods": [
            {
                "key": p.key,
                "netns": p.netns,
                "ip": p.ip,
                "node": p.node,
                "host_network": p.host_network,
                "listeners": [[lst.port, lst.protocol, lst.serves] for lst in p.listeners],
            }
            | ({"ip6": p.ip6} if p.ip6 else {})
            for p in plan.pods
        ],
        "lb_routes": [list(r) for r in plan.lb_routes],
        "proxies": [[p.pod, p.target, p.service_port, list(p.entries)] for p in plan.proxies],
        "skipped": list(plan.skipped) + list(pplan.skipped if pplan else ()),
    }
    if plan.dual_stack:  # the families brought up (absent: a single-stack model)
        state["families"] = [LABEL[f] for f in plan.families]
    return state


def up(
    cluster: Cluster,
    record: Any,
    sd: StateDir,
    progress: Progress = _quiet,
    provider: Choice | None = None,
) -> dict[str, Any]:
    """Replace any existing environment with the network of ``cluster`` (rebuilt from the
    recorded input ``record``), behind ``provider``'s load balancers when given
    (:mod:`podpath.dataplane.provider_plan`); the state written."""
    progress("removing a previous environment")
    down(sd)
    if sd.prefix_lock is not None:
        sd.prefix_lock.record(_agent_folder(sd))
    plan = build_plan(cluster, sctp=nx.sctp_supported(), ipv6=nx.ipv6_supported())
    pplan = build_provider_plan(cluster, plan, provider) if provider is not None else None
    state = plan_state(plan, pplan)
    if pplan is not None and provider is not None:
        state["provider"] = provider_state(pplan, provider.how)
    sd.write_json(INPUT_FILE, record)
    sd.write_json(STATE_FILE, state)
    try:
        _build(cluster, plan, progress, pplan)
        progress("starting the pods' servers")
        _start_agent(sd, state)
    except BaseException:
        down(sd)
        raise
    return state


def _build(cluster: Cluster, plan: Plan, progress: Progress, pplan: ProviderPlan | None) -> None:
    names = list(plan.netns_names) + list(pplan.netns_names if pplan else ())
    progress(f"creating {len(names)} namespaces")
    nx.ip_batch(None, [f"netns add {name}" for name in names], "creating namespaces")
    for name in names:
        for key, value in early_sysctls(plan):
            nx.sysctl(name, key, value)
    nx.ip_batch(FABRIC_NS, fabric_lines(plan), "building the fabric")
    progress("wiring nodes and pods")
    nx.parallel(
        [
            (n.netns, node_lines(plan, i, cluster.settings.service_cidr), f"wiring node {n.name}")
            for i, n in enumerate(plan.nodes)
        ]
    )
    nx.parallel(
        [
            (p.netns, pod_lines(p.ip, p.ip6), f"addressing pod {p.key}")
            for p in plan.pods
            if not p.host_network
        ]
    )
    if pplan is None:
        nx.ip_batch(INTERNET_NS, edge_lines(plan, INTERNET_IP, True), "wiring the internet")
    if not plan.dns_in_pods:
        nx.ip_batch(DNS_NS, edge_lines(plan, plan.dns_ip, False), "wiring the DNS server")
    if pplan is not None:
        progress(f"building the {pplan.name} load balancers")
        build_edge(plan, pplan)
    progress("programming Services and NetworkPolicies")
    extra = pplan.extra_sources if pplan else ()
    rules = compile_policies(cluster, plan, progress, extra)
    for node in plan.nodes:
        for key, value in node_sysctls(plan):
            nx.sysctl(node.netns, key, value)
        ruleset = "".join(
            service_ruleset(cluster, plan, node, family=f) + policy_ruleset(plan, node, rules, f)
            for f in plan.families
        )
        nx.nft_load(node.netns, ruleset)
    _resolv_confs(cluster, plan)
