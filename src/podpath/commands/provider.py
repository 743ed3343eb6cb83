"""``--provider auto|none|eks|aks|gke|kind|minikube|metallb`` and ``--provider-param
KEY=VALUE`` (trace, route, doctor, report), and the ``provider:`` section of podpath.yaml.

Which profile applies, first that says: ``--provider``; podpath.yaml's ``provider:`` (a name,
or ``{name: NAME, params: {KEY: VALUE}}``); else ``auto``, which detects the provider from the
input (:mod:`podpath.engine.providers.detect`) and says what it detected on standard error --
``none`` (the generic model) when nothing shows one. Parameters: the profile's documented
defaults, then podpath.yaml's ``params``, then ``--provider-param`` (repeatable).

podpath.yaml is ``--config`` (doctor), else ``./podpath.yaml``, else one in a ``-f`` folder
(:func:`find_config`).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click
import yaml

from podpath.cluster import Cluster
from podpath.engine.providers import AUTO, CHOICES, NONE, choose
from podpath.engine.providers.base import Choice
from podpath.engine.providers.detect import detect
from podpath.errors import InputError
from podpath.render.escape import terminal_safe

F = TypeVar("F", bound=Callable[..., Any])
CONFIG_NAME = "podpath.yaml"


def provider_options(func: F) -> F:
    """Add ``--provider`` and ``--provider-param``."""
    func = click.option(
        "--provider-param",
        "provider_params",
        multiple=True,
        metavar="KEY=VALUE",
        help="A provider parameter manifests do not carry (podpath docs providers). Repeatable.",
    )(func)
    return click.option(
        "--provider",
        type=click.Choice(CHOICES),
        default=None,
        help="The platform's load balancers (default: podpath.yaml, else auto-detect).",
    )(func)


def find_config(explicit: str | None, files: tuple[str, ...]) -> Path | None:
    """``explicit``, else ``./podpath.yaml``, else a ``podpath.yaml`` in an input folder."""
    if explicit:
        path = Path(explicit)
        if not path.is_file():
            raise InputError("no such file", path=explicit)
        return path
    candidates = [Path(CONFIG_NAME)] + [
        Path(f) / CONFIG_NAME for f in files if f != "-" and Path(f).is_dir()
    ]
    return next((c for c in candidates if c.is_file()), None)


def config_provider(path: Path | None) -> tuple[str | None, dict[str, str]]:
    """podpath.yaml's ``provider:`` section: the name (None: not set) and its params."""
    if path is None:
        return None, {}
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise InputError(f"invalid config: {exc}", path=str(path)) from None
    section = raw.get("provider") if isinstance(raw, dict) else None
    if section is None:
        return None, {}
    if isinstance(section, str):
        return section, {}
    if not isinstance(section, dict) or not isinstance(section.get("name"), str):
        raise InputError("provider: expected a name or {name, params}", path=str(path))
    params = section.get("params") or {}
    if not isinstance(params, dict):
        raise InputError("provider.params: expected a mapping", path=str(path))
    return section["name"], {str(k): str(v) for k, v in params.items()}


def provider_choice(
    cluster: Cluster,
    option: str | None,
    params: tuple[str, ...],
    config: Path | None,
) -> Choice | None:
    """The profile in effect (module docstring); None for the generic model."""
    named, config_params = config_provider(config)
    name = option or named or AUTO
    how = "--provider" if option else f"{config}" if named else ""
    if name == AUTO:
        found = detect(cluster)
        if found.provider != NONE or option == AUTO:
            click.echo(terminal_safe(f"podpath: {found.note}"), err=True)
        if found.provider == NONE:
            return None
        name, how = found.provider, found.note
    if name == NONE:
        return None
    merged: dict[str, str] = dict(config_params)
    given = choose(name, params)  # validates --provider-param against the profile
    merged.update({k: v for k, v in given.params.values.items() if _given(k, params)})
    return choose(name, merged, how)


def _given(key: str, params: tuple[str, ...]) -> bool:
    return any(p.partition("=")[0].strip() == key for p in params)


def choice_from(
    cluster: Cluster, option: str | None, params: tuple[str, ...], config_path: str | None = None
) -> Choice | None:
    """Resolve the options of the current command (its ``-f`` folders are where podpath.yaml
    may be)."""
    files = tuple(click.get_current_context().params.get("files") or ())
    return provider_choice(cluster, option, params, find_config(config_path, files))
