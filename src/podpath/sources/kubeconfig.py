"""Kubeconfig and in-cluster configuration -> an ApiClient of the official client.

Every failure is one :class:`~podpath.errors.ClusterAccessError` line: a missing or unreadable
file, a file that is not a kubeconfig, an unknown context, in-cluster configuration outside a
pod.

Which configuration, as kubectl's loading rules (client-go ``clientcmd``,
``ClientConfigLoadingRules.Load``, and
https://kubernetes.io/docs/concepts/configuration/organize-cluster-access-kubeconfig/#merging-kubeconfig-files):
``--kubeconfig PATH`` reads that one file, unmerged; else every file named in ``KUBECONFIG``
is merged (:func:`merge_kubeconfigs`); else ``~/.kube/config``; with none of them, inside a
pod, the in-cluster service account. The files are only read.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Mapping, Sequence
from typing import Any

from podpath.errors import ClusterAccessError

IN_CLUSTER = "in-cluster"
MSG_NO_KUBECONFIG = "kubeconfig {path}: {problem}"
MSG_NO_EXEC_PLUGIN = (
    "user {user!r} needs the exec credential plugin {command!r}, which is not installed "
    "(not found{where}); install it, as kubectl would need it too"
)
NAMED_LISTS = (("clusters", "cluster"), ("contexts", "context"), ("users", "user"))


def kubeconfig_chain(environ: Mapping[str, str] | None = None) -> list[str]:
    """The files kubectl merges without ``--kubeconfig`` (clientcmd
    ``NewDefaultClientConfigLoadingRules``): the ``KUBECONFIG`` paths, split on the path list
    separator, empty entries skipped and duplicates dropped (first kept); when ``KUBECONFIG``
    is unset or empty, ``$HOME/.kube/config``."""
    env = os.environ if environ is None else environ
    paths = [p for p in env.get("KUBECONFIG", "").split(os.pathsep) if p]
    if not paths:
        home = env.get("HOME") or os.path.expanduser("~")
        return [os.path.join(home, ".kube", "config")]
    return list(dict.fromkeys(paths))


def default_kubeconfig_exists(environ: Mapping[str, str] | None = None) -> bool:
    """Whether any file of :func:`kubeconfig_chain` exists (missing ones are skipped)."""
    return any(os.path.isfile(p) for p in kubeconfig_chain(environ))


def merge_kubeconfigs(configs: Sequence[tuple[str, Mapping[str, Any]]]) -> dict[str, Any]:
    """Merge parsed kubeconfig files (path, content) in ``KUBECONFIG`` order, as clientcmd's
    ``ClientConfigLoadingRules.Load`` does:

    - the first file to set a map key wins and its value is never changed: a cluster, context
      or user named in two files is the first file's entry, whole (non-conflicting fields of
      the second file's entry are discarded);
    - the first file to set a value outside those maps wins (``current-context``, each
      ``preferences`` field);
    - relative file references are resolved against the directory of the file that defines
      the entry (``ResolveLocalPaths``: a cluster's ``certificate-authority``, a user's
      ``client-certificate``, ``client-key``, ``tokenFile``, and ``exec.command`` when it
      contains a path separator);
    - a name twice in one file is an error (clientcmd's v1 conversion: "duplicate name").
    """
    merged: dict[str, Any] = {"apiVersion": "v1", "kind": "Config", "preferences": {}}
    named: dict[str, dict[str, dict[str, Any]]] = {key: {} for key, _ in NAMED_LISTS}
    for path, config in configs:
        base = os.path.dirname(os.path.abspath(path))
        for key, inner in NAMED_LISTS:
            seen: set[str] = set()
            for entry in config.get(key) or []:
                name = str(entry.get("name", "")) if isinstance(entry, Mapping) else ""
                if name in seen:
                    raise ClusterAccessError(
                        MSG_NO_KUBECONFIG.format(path=path, problem=f"duplicate name {name!r}")
                    )
                seen.add(name)
                if name not in named[key]:
                    named[key][name] = _resolved(dict(entry), inner, base)
        if not merged.get("current-context") and config.get("current-context"):
            merged["current-context"] = config["current-context"]
        for pref, value in (config.get("preferences") or {}).items():
            merged["preferences"].setdefault(pref, value)
    for key, _ in NAMED_LISTS:
        merged[key] = list(named[key].values())
    return merged


def _resolved(entry: dict[str, Any], inner: str, base: str) -> dict[str, Any]:
    """An entry with its relative file references made absolute against ``base``."""
    body = entry.get(inner)
    if not isinstance(body, Mapping):
        return entry
    body = dict(body)
    refs = {"cluster": ("certificate-authority",), "user": ("client-certificate", "client-key")}
    for field in (*refs.get(inner, ()), *(("tokenFile",) if inner == "user" else ())):
        value = body.get(field)
        if isinstance(value, str) and value and not os.path.isabs(value):
            body[field] = os.path.join(base, value)
    exec_ = body.get("exec")
    if inner == "user" and isinstance(exec_, Mapping):
        command = exec_.get("command")
        if isinstance(command, str) and os.sep in command and not os.path.isabs(command):
            body["exec"] = {**exec_, "command": os.path.join(base, command)}
    entry[inner] = body
    return entry


def read_kubeconfigs(paths: Sequence[str]) -> list[tuple[str, dict[str, Any]]]:
    """Parse the files of a chain; missing files are skipped (clientcmd), an unreadable or
    undecodable one is an error."""
    import yaml

    out: list[tuple[str, dict[str, Any]]] = []
    for path in paths:
        if not os.path.exists(path):
            continue
        _check_readable(path)
        try:
            with open(path, encoding="utf-8") as fh:
                data = yaml.safe_load(fh)
        except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
            problem = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            raise ClusterAccessError(MSG_NO_KUBECONFIG.format(path=path, problem=problem)) from None
        if data is not None and not isinstance(data, dict):
            raise ClusterAccessError(
                MSG_NO_KUBECONFIG.format(path=path, problem="not a kubeconfig")
            )
        out.append((path, data or {}))
    return out


def api_client_from(kubeconfig: str | None, context: str | None) -> tuple[Any, str]:
    """An ApiClient from a kubeconfig file, else the merged default chain (and context), else
    the in-cluster service account (``--kubeconfig in-cluster``, or no kubeconfig file at all
    inside a pod). Returns it and the context's name."""
    from kubernetes import client
    from kubernetes import config as kube_config
    from kubernetes.config.config_exception import ConfigException

    config: Any = kube_config  # the client's config module is untyped

    in_pod = bool(os.environ.get("KUBERNETES_SERVICE_HOST"))
    explicit_in_cluster = kubeconfig == IN_CLUSTER and not os.path.exists(IN_CLUSTER)
    if explicit_in_cluster or (kubeconfig is None and in_pod and not default_kubeconfig_exists()):
        configuration = client.Configuration()
        try:
            config.load_incluster_config(client_configuration=configuration)
        except ConfigException as exc:
            raise ClusterAccessError(f"in-cluster configuration: {exc}") from None
        return client.ApiClient(configuration), IN_CLUSTER
    merged, where, configs = _merged_config(kubeconfig)
    names = sorted(str(c.get("name")) for c in merged["contexts"] if isinstance(c, Mapping))
    if context is not None and context not in names:
        raise ClusterAccessError(
            MSG_NO_KUBECONFIG.format(
                path=where,
                problem=f"no context {context!r} (contexts: {', '.join(names) or 'none'})",
            )
        )
    chosen = context or str(merged.get("current-context") or "")
    plugin_problem = exec_plugin_problem(configs, chosen)
    if plugin_problem is not None:
        raise ClusterAccessError(MSG_NO_KUBECONFIG.format(path=where, problem=plugin_problem))
    try:
        api_client = config.new_client_from_config_dict(
            config_dict=merged, context=chosen or None, persist_config=False
        )
    except Exception as exc:  # the client raises ConfigException, TypeError, ValueError...
        problem = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise ClusterAccessError(MSG_NO_KUBECONFIG.format(path=where, problem=problem)) from None
    api_client.configuration.retries = 1
    return api_client, chosen


def _merged_config(
    kubeconfig: str | None,
) -> tuple[dict[str, Any], str, list[tuple[str, dict[str, Any]]]]:
    """The configuration to use, how to name it in errors, and the files it was merged from:
    ``--kubeconfig`` alone (it must exist), else the chain (at least one file must exist)."""
    if kubeconfig:
        path = os.path.expanduser(kubeconfig)
        _check_readable(path)
        configs = read_kubeconfigs([path])
        return merge_kubeconfigs(configs), path, configs
    chain = kubeconfig_chain()
    configs = read_kubeconfigs(chain)
    where = os.pathsep.join(chain)
    if not configs:
        raise ClusterAccessError(MSG_NO_KUBECONFIG.format(path=where, problem="no such file"))
    return merge_kubeconfigs(configs), where, configs


def _first(
    configs: Sequence[tuple[str, Mapping[str, Any]]], key: str, name: str, inner: str
) -> tuple[dict[str, Any], str]:
    """The first file's entry ``name`` of the list ``key`` (its ``inner`` body) and that
    file's path (the merge's "first file to set a map key wins")."""
    for path, config in configs:
        entries = config.get(key)
        for entry in entries if isinstance(entries, list) else []:
            if isinstance(entry, dict) and entry.get("name") == name:
                value = entry.get(inner)
                return (value if isinstance(value, dict) else {}), path
    return {}, ""


def exec_plugin_problem(
    configs: Sequence[tuple[str, Mapping[str, Any]]], context: str
) -> str | None:
    """Why the context's exec credential plugin cannot run (not installed), or None. The
    official client only logs a failed plugin and goes on without credentials, so the server
    would answer 401 and the message would blame the credentials. A relative command with a
    ``/`` is resolved against the folder of the kubeconfig that defines the user, as client-go
    does."""
    user = _first(configs, "contexts", context, "context")[0].get("user")
    body, path = _first(configs, "users", str(user), "user")
    plugin = body.get("exec")
    named = plugin.get("command") if isinstance(plugin, dict) else None
    if not isinstance(named, str) or not named:
        return None
    command = named
    if os.sep in command and not os.path.isabs(command):
        command = os.path.join(os.path.dirname(os.path.abspath(path)), command)
    if shutil.which(command) is not None:
        return None
    where = "" if os.sep in command else " on PATH"
    return MSG_NO_EXEC_PLUGIN.format(user=user, command=named, where=where)


def _check_readable(path: str) -> None:
    if not os.path.isfile(path):
        raise ClusterAccessError(MSG_NO_KUBECONFIG.format(path=path, problem="no such file"))
    if not os.access(path, os.R_OK):
        raise ClusterAccessError(MSG_NO_KUBECONFIG.format(path=path, problem="not readable"))
