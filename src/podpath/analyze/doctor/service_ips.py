"""Doctor checks of Service addresses: ClusterIPs outside every Service range, and IP families
the API server would refuse (the resolved cluster's notes, :mod:`podpath.cluster.service_cidrs`).

- ``cluster-ip-outside-service-cidr``: the API server allocates ClusterIPs from the ServiceCIDRs
  and refuses others (KEP-1880, ``networking.k8s.io/v1`` ServiceCIDR,
  https://kubernetes.io/docs/reference/kubernetes-api/networking/service-cidr-v1/); an address
  inside none was allocated from a range since removed, or the input's ranges are not the
  cluster's;
- ``service-ip-family``: ``ipFamilyPolicy``/``ipFamilies`` the cluster cannot satisfy
  (https://kubernetes.io/docs/concepts/services-networking/dual-stack/#services).
"""

from __future__ import annotations

from collections.abc import Iterator

from podpath.analyze.doctor.context import DoctorContext
from podpath.analyze.doctor.findings import Finding, Severity, check, make, rule

STEP = "services"
CLUSTER_IP_OUTSIDE = rule(
    "cluster-ip-outside-service-cidr",
    Severity.WARNING,
    STEP,
    "A Service's clusterIP lies inside no ServiceCIDR (or --service-cidr).",
)
IP_FAMILY = rule(
    "service-ip-family",
    Severity.ERROR,
    STEP,
    "A Service asks for IP families the cluster does not have.",
)
_HINTS = {
    CLUSTER_IP_OUTSIDE.code: (
        "add a ServiceCIDR that covers it (or pass the cluster's ranges with --service-cidr), "
        "or recreate the Service without spec.clusterIP to have one allocated"
    ),
    IP_FAMILY.code: (
        "pass the cluster's ranges with --service-cidr IPV4,IPV6 (or add a ServiceCIDR), or "
        "change spec.ipFamilyPolicy/spec.ipFamilies; the API server refuses this Service"
    ),
}


@check(STEP, CLUSTER_IP_OUTSIDE, IP_FAMILY)
def service_addresses(ctx: DoctorContext) -> Iterator[Finding]:
    """The resolved cluster's notes about Service ranges and families."""
    rules = {CLUSTER_IP_OUTSIDE.code: CLUSTER_IP_OUTSIDE, IP_FAMILY.code: IP_FAMILY}
    for note in ctx.cluster.notes:
        if note.code in rules:
            yield make(
                rules[note.code], note.object, note.message, _HINTS[note.code], source=note.source
            )
