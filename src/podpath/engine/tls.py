"""TLS: which certificate an entry point presents for a host, whether it exists, covers the
host and is still valid.

- Ingress ``spec.tls[].hosts`` with ``secretName`` (a ``kubernetes.io/tls`` Secret in the
  Ingress's namespace) (https://kubernetes.io/docs/concepts/services-networking/ingress/#tls).
- Gateway listener ``tls.certificateRefs`` (https://gateway-api.sigs.k8s.io/reference/spec/#gatewaytlsconfig).
- A certificate covers a host when one of its DNS SANs matches it, a SAN ``*.example.com``
  matching exactly one label (RFC 6125 section 6.4.3); the subject CN is not used when SANs
  exist (RFC 6125 section 6.4.4) -- podpath falls back to the CN only when there are none.
- Expired: ``notAfter`` is before ``now``.
- A Secret the input does not hold is *not checked* (``checked`` False): podpath cannot tell
  whether it exists; doctor reports it (an error when the input holds other Secrets).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING

from podpath.model.routing import Certificate, Secret, TLSCheck

if TYPE_CHECKING:
    from podpath.cluster import Cluster

TLS_SECRET_TYPE = "kubernetes.io/tls"


def san_matches(san: str, host: str) -> bool:
    """RFC 6125 6.4.3: a wildcard SAN covers exactly one leftmost label."""
    san, host = san.lower().rstrip("."), host.lower().rstrip(".")
    if san.startswith("*."):
        head, _, rest = host.partition(".")
        return bool(head) and rest == san[2:]
    return san == host


def certificate_covers(cert: Certificate, host: str) -> bool:
    """Whether the certificate's DNS SANs (else its CN) cover ``host``."""
    names = cert.dns_names or ((cert.common_name,) if cert.common_name else ())
    return any(san_matches(n, host) for n in names)


def certificate_expired(cert: Certificate, now: datetime) -> bool:
    if not cert.not_after:
        return False
    not_after = datetime.strptime(cert.not_after, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    return not_after < now


def secrets_by_key(cluster: Cluster) -> dict[str, Secret]:
    return {s.key: s for s in cluster.of_kind("Secret")}


def manifests_hold_secrets(cluster: Cluster) -> bool:
    """Whether the input holds Secrets at all: then a Secret it lacks is probably missing (a
    live cluster, a full snapshot); else Secrets are simply not part of the input (GitOps
    repositories rarely hold them)."""
    return bool(cluster.of_kind("Secret"))


def tls_state(t: TLSCheck) -> str:
    """One line: ``ok (until ...)``, ``not checked (Secret NS/NAME not in the input)``, or the
    problems."""
    if not t.checked:
        return f"not checked (Secret {t.secret} not in the input)"
    if t.problems:
        return "; ".join(t.problems)
    return f"ok (until {t.not_after})" if t.not_after else "ok"


def check_certificate(
    cluster: Cluster, host: str, secret_key: str | None, source: str, now: datetime
) -> TLSCheck:
    """The TLS verdict for one host served with the Secret ``secret_key`` (see module doc)."""
    if secret_key is None:
        return TLSCheck(
            host,
            None,
            source,
            problems=("no secretName: the controller's default certificate is served",),
        )
    secret = secrets_by_key(cluster).get(secret_key)
    if secret is None:
        return TLSCheck(host, secret_key, source, checked=False)
    problems: list[str] = []
    if secret.type != TLS_SECRET_TYPE:
        problems.append(f"Secret {secret_key} has type {secret.type}, not {TLS_SECRET_TYPE}")
    cert = secret.certificate
    if cert is None or cert.error:
        problems.append(
            cert.error if cert and cert.error else f"Secret {secret_key} has no certificate"
        )
        return TLSCheck(host, secret_key, source, found=True, problems=tuple(problems))
    covers = certificate_covers(cert, host)
    if not covers:
        names = ", ".join(cert.dns_names) or cert.common_name or "none"
        problems.append(f"certificate does not cover {host} (names: {names})")
    expired = certificate_expired(cert, now)
    if expired:
        problems.append(f"certificate expired on {cert.not_after}")
    if not secret.has_key:
        problems.append(f"Secret {secret_key} has no tls.key")
    return TLSCheck(
        host,
        secret_key,
        source,
        found=True,
        covers_host=covers,
        not_after=cert.not_after,
        expired=expired,
        problems=tuple(problems),
    )
