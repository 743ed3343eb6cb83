"""Object names as the API server accepts them: refused at load time, as the API would refuse
them, so that no name with a newline, an escape sequence or a space reaches a file, a command
line or a terminal.

The rules are apimachinery's (``k8s.io/apimachinery/pkg/util/validation``, documented at
https://kubernetes.io/docs/concepts/overview/working-with-objects/names/), chosen per kind as
the API server's ``Validate<Kind>Name`` does:

- ``Namespace``: a DNS-1123 label (``ValidateNamespaceName`` = ``NameIsDNSLabel``), and so is
  the ``metadata.namespace`` of every namespaced object;
- ``Service``: a DNS-1035 label (``ValidateServiceName = NameIsDNS1035Label``; the relaxed
  rule is behind the alpha feature gate ``RelaxedServiceNameValidation``, off by default);
- every other kind podpath models -- Pods, Nodes, workloads, EndpointSlices, NetworkPolicies,
  Ingresses, Secrets, and custom resources such as Gateway API and admin policy objects
  (``customResourceValidator``: ``NameIsDNSSubdomain``) -- a DNS-1123 subdomain.
"""

from __future__ import annotations

import re

from podpath.errors import InputError
from podpath.model.core import SourceRef

DNS1123_LABEL_MAX = 63
DNS1123_SUBDOMAIN_MAX = 253
DNS1035_LABEL_MAX = 63
_LABEL = r"[a-z0-9]([-a-z0-9]*[a-z0-9])?"
DNS1123_LABEL = re.compile(_LABEL)
DNS1123_SUBDOMAIN = re.compile(_LABEL + r"(\." + _LABEL + r")*")
DNS1035_LABEL = re.compile(r"[a-z]([-a-z0-9]*[a-z0-9])?")

MSG_DNS1123_LABEL = (
    "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', "
    "and must start and end with an alphanumeric character"
)
MSG_DNS1123_SUBDOMAIN = (
    "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' "
    "or '.', and must start and end with an alphanumeric character"
)
MSG_DNS1035_LABEL = (
    "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with "
    "an alphabetic character, and end with an alphanumeric character"
)
MSG_TOO_LONG = "must be no more than {limit} characters"
MSG_INVALID_NAME = "invalid {what} {shown}: {why} (the API server refuses it)"


def is_dns1123_label(value: str) -> bool:
    """``IsDNS1123Label``: at most 63 characters of ``[a-z0-9-]``, alphanumeric at both ends
    (https://kubernetes.io/docs/concepts/overview/working-with-objects/names/#dns-label-names).
    """
    return len(value) <= DNS1123_LABEL_MAX and DNS1123_LABEL.fullmatch(value) is not None


def is_dns1123_subdomain(value: str) -> bool:
    """``IsDNS1123Subdomain``: at most 253 characters, dot-separated DNS-1123 labels
    (https://kubernetes.io/docs/concepts/overview/working-with-objects/names/#dns-subdomain-names).
    """
    return len(value) <= DNS1123_SUBDOMAIN_MAX and DNS1123_SUBDOMAIN.fullmatch(value) is not None


def is_dns1035_label(value: str) -> bool:
    """``IsDNS1035Label``: a DNS-1123 label that starts with a letter
    (https://kubernetes.io/docs/concepts/overview/working-with-objects/names/#rfc-1035-label-names).
    """
    return len(value) <= DNS1035_LABEL_MAX and DNS1035_LABEL.fullmatch(value) is not None


RULES = {
    "label": (is_dns1123_label, MSG_DNS1123_LABEL, DNS1123_LABEL_MAX),
    "subdomain": (is_dns1123_subdomain, MSG_DNS1123_SUBDOMAIN, DNS1123_SUBDOMAIN_MAX),
    "dns1035": (is_dns1035_label, MSG_DNS1035_LABEL, DNS1035_LABEL_MAX),
}
NAME_RULE_BY_KIND = {"Namespace": "label", "Service": "dns1035"}


def name_rule(kind: str) -> str:
    """The rule the API server applies to ``metadata.name`` of ``kind`` (see the module)."""
    return NAME_RULE_BY_KIND.get(kind, "subdomain")


def _shown(value: str) -> str:
    text = repr(value)  # repr escapes control characters: the message stays one safe line
    return text if len(text) <= 80 else text[:77] + "..."


def name_problem(value: str, rule: str) -> str | None:
    """Why ``value`` breaks ``rule`` (apimachinery's wording), or None when it is valid."""
    check, message, limit = RULES[rule]
    if check(value):
        return None
    return MSG_TOO_LONG.format(limit=limit) if len(value) > limit else message


def check_object_names(kind: str, namespace: str, name: str, source: SourceRef) -> None:
    """Refuse an object whose ``metadata.name`` (or ``metadata.namespace``) the API server
    would refuse; ``namespace`` is "" for cluster-scoped kinds."""
    checks = [("metadata.name", "name", name, name_rule(kind))]
    if namespace:
        checks.append(("metadata.namespace", "namespace", namespace, "label"))
    for field, what, value, rule in checks:
        why = name_problem(value, rule)
        if why is not None:
            raise InputError(
                MSG_INVALID_NAME.format(what=what, shown=_shown(value), why=why),
                path=source.path,
                doc_index=source.doc_index,
                obj=kind,
                field=field,
            )
