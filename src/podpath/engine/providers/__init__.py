"""Provider profiles: how each platform builds the load balancer in front of the cluster.

One module per provider (:mod:`~podpath.engine.providers.eks` with
:mod:`~podpath.engine.providers.alb`, :mod:`~podpath.engine.providers.aks`,
:mod:`~podpath.engine.providers.gke`, :mod:`~podpath.engine.providers.metallb`,
:mod:`~podpath.engine.providers.kind`, :mod:`~podpath.engine.providers.minikube`), each a
:class:`~podpath.engine.providers.base.Profile` of pure rules citing the provider's own
documentation; :mod:`~podpath.engine.providers.detect` picks one for ``--provider auto``.
``none`` is no profile: the generic model (load balancer -> node -> source NAT per
``externalTrafficPolicy`` -> pod).
"""

from __future__ import annotations

from collections.abc import Mapping

from podpath.engine.providers import aks, eks, gke, kind, metallb, minikube
from podpath.engine.providers.base import Choice, Profile
from podpath.errors import InputError

PROFILES: dict[str, Profile] = {
    p.name: p
    for p in (
        eks.PROFILE,
        aks.PROFILE,
        gke.PROFILE,
        kind.PROFILE,
        minikube.PROFILE,
        metallb.PROFILE,
    )
}
NONE, AUTO = "none", "auto"
CHOICES = (AUTO, NONE, *PROFILES)


def parse_params(values: Mapping[str, str] | tuple[str, ...], profile: Profile) -> dict[str, str]:
    """``KEY=VALUE`` parameters (or a mapping), each a key of the profile's parameters."""
    pairs: dict[str, str] = {}
    items = values.items() if isinstance(values, Mapping) else (_pair(v) for v in values)
    known = {p.key for p in profile.params}
    for key, value in items:
        if key not in known:
            raise InputError(
                f"unknown parameter {key!r} for provider {profile.name} "
                f"(known: {', '.join(sorted(known))})",
                field="--provider-param",
            )
        pairs[key] = str(value)
    return pairs


def _pair(text: str) -> tuple[str, str]:
    key, sep, value = text.partition("=")
    if not sep or not key.strip():
        raise InputError(f"--provider-param {text!r}: expected KEY=VALUE", field="--provider-param")
    return key.strip(), value.strip()


def choose(name: str, params: Mapping[str, str] | tuple[str, ...] = (), how: str = "") -> Choice:
    """The profile named ``name`` with its parameters (``auto`` is the caller's: detect)."""
    profile = PROFILES.get(name)
    if profile is None:
        raise InputError(
            f"unknown provider {name!r} (one of {', '.join(CHOICES)})", field="--provider"
        )
    return Choice(profile, profile.with_defaults(parse_params(params, profile)), how)
