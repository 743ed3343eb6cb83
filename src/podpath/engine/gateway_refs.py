"""Gateway API references across namespaces (ReferenceGrant) and listener certificates.

- ReferenceGrant (https://gateway-api.sigs.k8s.io/api-types/referencegrant/): a reference to
  an object in another namespace needs a grant *in that namespace* whose ``from`` lists the
  referrer's group, kind and namespace and whose ``to`` lists the target's group and kind (and
  name, when the grant names one).
- Listener certificates (``ListenerTLSConfig.certificateRefs``): the first ref, a Secret;
  another namespace needs a ReferenceGrant from the listener's *owner*: the Gateway, or the
  ListenerSet (GEP-1713 "ReferenceGrant Semantics": "When a ReferenceGrant is applied to a
  Gateway it MUST NOT be inherited by child ListenerSets ... A ListenerSet must be able to
  reference a secret/backend in the same namespace as itself without a ReferenceGrant").
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from podpath.engine.tls import check_certificate
from podpath.model.gateway import GATEWAY_GROUP, Listener, ReferenceGrant
from podpath.model.routing import TLSCheck

if TYPE_CHECKING:
    from podpath.cluster import Cluster


def grant_allows(
    cluster: Cluster,
    to_ns: str,
    from_group: str,
    from_kind: str,
    from_ns: str,
    to_group: str,
    to_kind: str,
    to_name: str,
) -> bool:
    """ReferenceGrant: some grant in ``to_ns`` lists the referrer in ``from`` and the target
    (group, kind, and name when the grant names one) in ``to``."""
    grants: tuple[ReferenceGrant, ...] = cluster.of_kind("ReferenceGrant")
    for g in grants:
        if g.namespace != to_ns:
            continue
        if not any(
            f.group == from_group and f.kind == from_kind and f.namespace == from_ns
            for f in g.from_
        ):
            continue
        if any(
            t.group == to_group and t.kind == to_kind and t.name in (None, to_name) for t in g.to
        ):
            return True
    return False


def _owner_parts(owner: str) -> tuple[str, str, str]:
    """``Kind/NS/NAME`` -> (kind, namespace, NS/NAME)."""
    kind, key = owner.split("/", 1)
    return kind, key.split("/", 1)[0], key


def certificate_ref_reason(
    cluster: Cluster, listener: Listener, owner: str
) -> tuple[str, str] | None:
    """Why a TLS listener's certificateRef does not resolve, as the listener's ResolvedRefs
    reason and message (None when it resolves or the listener terminates no TLS):
    InvalidCertificateRef for a ref that is not a Secret, RefNotPermitted for another
    namespace without a ReferenceGrant (ListenerConditionResolvedRefs reasons). A Secret the
    input does not hold is not an error (it is 'not checked')."""
    if listener.protocol not in ("HTTPS", "TLS") or listener.tls_mode != "Terminate":
        return None
    owner_kind, owner_ns, owner_key = _owner_parts(owner)
    if not listener.certificate_refs:
        return "InvalidCertificateRef", "listener has no tls.certificateRefs"
    ref = listener.certificate_refs[0]
    if ref.kind != "Secret" or ref.group != "":
        kind = f"{ref.group}/{ref.kind}" if ref.group else ref.kind
        return "InvalidCertificateRef", f"certificateRef kind {kind} is not a Secret"
    if ref.namespace != owner_ns and not grant_allows(
        cluster, ref.namespace, GATEWAY_GROUP, owner_kind, owner_ns, "", "Secret", ref.name
    ):
        return (
            "RefNotPermitted",
            f"no ReferenceGrant in {ref.namespace} allows {owner_kind} {owner_key} "
            f"to use Secret {ref.name}",
        )
    return None


def listener_tls(
    cluster: Cluster,
    owner: str,
    listener: Listener,
    host: str,
    now: datetime,
) -> TLSCheck:
    """The listener's first certificateRef (a Secret) checked for ``host``; ``owner`` is
    ``Gateway/NS/NAME`` or ``ListenerSet/NS/NAME`` (whose namespace and kind a cross-namespace
    ReferenceGrant must name)."""
    source = f"{owner} listener {listener.name}"
    if not listener.certificate_refs:
        return TLSCheck(host, None, source, problems=("listener has no tls.certificateRefs",))
    ref = listener.certificate_refs[0]
    secret = f"{ref.namespace}/{ref.name}"
    why = certificate_ref_reason(cluster, listener, owner)
    if why is not None:
        return TLSCheck(host, secret, source, problems=(why[1],))
    return check_certificate(cluster, host, secret, source, now)
