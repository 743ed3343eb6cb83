"""Kubeconfig and in-cluster configuration -> an ApiClient of the official client.

Every failure is one :class:`~podpath.errors.ClusterAccessError` line: a missing or unreadable
file, a file that is not a kubeconfig, an unknown context, in-cluster configuration outside a
pod.
"""

from __future__ import annotations

import os
import shutil
from typing import Any

from podpath.errors import ClusterAccessError

IN_CLUSTER = "in-cluster"
MSG_NO_KUBECONFIG = "kubeconfig {path}: {problem}"
MSG_NO_EXEC_PLUGIN = (
    "user {user!r} needs the exec credential plugin {command!r}, which is not installed "
    "(not found{where}); install it, as kubectl would need it too"
)


def api_client_from(kubeconfig: str | None, context: str | None) -> tuple[Any, str]:
    """An ApiClient from a kubeconfig file (and context), or the in-cluster service account
    (``--kubeconfig in-cluster``, or no kubeconfig inside a pod). Returns it and the context."""
    from kubernetes import client
    from kubernetes import config as kube_config
    from kubernetes.config.config_exception import ConfigException

    config: Any = kube_config  # the client's config module is untyped

    in_pod = bool(os.environ.get("KUBERNETES_SERVICE_HOST"))
    if (kubeconfig == IN_CLUSTER and not os.path.exists(IN_CLUSTER)) or (
        kubeconfig is None and context is None and in_pod
    ):
        configuration = client.Configuration()
        try:
            config.load_incluster_config(client_configuration=configuration)
        except ConfigException as exc:
            raise ClusterAccessError(f"in-cluster configuration: {exc}") from None
        return client.ApiClient(configuration), IN_CLUSTER
    path = os.path.expanduser(kubeconfig) if kubeconfig else _default_kubeconfig()
    _check_readable(path)
    try:
        contexts, current = config.list_kube_config_contexts(config_file=path)
    except (ConfigException, ValueError, TypeError, KeyError, AttributeError) as exc:
        problem = str(exc).splitlines()[0] if str(exc) else "not a kubeconfig"
        raise ClusterAccessError(MSG_NO_KUBECONFIG.format(path=path, problem=problem)) from None
    except Exception as exc:  # a YAML error from the client's loader
        problem = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise ClusterAccessError(MSG_NO_KUBECONFIG.format(path=path, problem=problem)) from None
    names = sorted(str(c.get("name")) for c in contexts or [] if isinstance(c, dict))
    if context is not None and context not in names:
        raise ClusterAccessError(
            MSG_NO_KUBECONFIG.format(
                path=path,
                problem=f"no context {context!r} (contexts: {', '.join(names) or 'none'})",
            )
        )
    chosen = context or (str(current.get("name")) if isinstance(current, dict) else "")
    plugin_problem = exec_plugin_problem(path, chosen)
    if plugin_problem is not None:
        raise ClusterAccessError(MSG_NO_KUBECONFIG.format(path=path, problem=plugin_problem))
    try:
        api_client = config.new_client_from_config(config_file=path, context=chosen or None)
    except Exception as exc:  # the client raises ConfigException, TypeError, ValueError...
        problem = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise ClusterAccessError(MSG_NO_KUBECONFIG.format(path=path, problem=problem)) from None
    api_client.configuration.retries = 1
    return api_client, chosen


def _named(entries: Any, name: str, key: str) -> dict[str, Any]:
    for entry in entries if isinstance(entries, list) else []:
        if isinstance(entry, dict) and entry.get("name") == name:
            value = entry.get(key)
            return value if isinstance(value, dict) else {}
    return {}


def exec_plugin_problem(path: str, context: str) -> str | None:
    """Why the context's exec credential plugin cannot run (not installed), or None. The
    official client only logs a failed plugin and goes on without credentials, so the server
    would answer 401 and the message would blame the credentials. A relative command with a
    ``/`` is resolved against the kubeconfig's folder, as client-go does."""
    import yaml

    try:
        with open(path, encoding="utf-8") as fh:
            config = yaml.safe_load(fh)
    except (OSError, ValueError, yaml.YAMLError):
        return None  # the client's own loader reports it
    if not isinstance(config, dict):
        return None
    user = _named(config.get("contexts"), context, "context").get("user")
    plugin = _named(config.get("users"), str(user), "user").get("exec")
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


def _default_kubeconfig() -> str:
    env = os.environ.get("KUBECONFIG", "")
    first = next((p for p in env.split(os.pathsep) if p), "")
    return os.path.expanduser(first or "~/.kube/config")


def _check_readable(path: str) -> None:
    if not os.path.isfile(path):
        raise ClusterAccessError(MSG_NO_KUBECONFIG.format(path=path, problem="no such file"))
    if not os.access(path, os.R_OK):
        raise ClusterAccessError(MSG_NO_KUBECONFIG.format(path=path, problem="not readable"))
