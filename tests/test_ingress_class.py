"""An Ingress whose ``spec.ingressClassName`` names no IngressClass is served by no controller.

The case is the Ingress conformance suite's (kubernetes-sigs/ingress-controller-conformance,
features/ingress_class.feature): "An Ingress with an invalid ingress class should not send
traffic to the matching backend service" -- ``ingressClassName: some-invalid-class-name``,
host ``ingress-class``, path ``/`` Prefix -> no traffic (no entry point answers 200).
"""

from __future__ import annotations

from typing import Any

import pytest

from podpath.analyze.doctor import diagnose
from podpath.analyze.doctor.ingress import closest_class
from podpath.engine.routing import route_request
from podpath.errors import InputError
from routing_helpers import NOW, app, cluster_of, ingress, ingress_class, rule


def conformance_ingress(cls: str | None = "some-invalid-class-name", **kw: Any) -> dict[str, Any]:
    return ingress(
        "default",
        "test-ingress-class",
        [rule("ingress-class", ("/", "Prefix", "ingress-class-prefix"))],
        cls=cls,
        **kw,
    )


BACKEND = app("default", "ingress-class-prefix")

# (IngressClasses in the input, the Ingress's class, served by, doctor severity or None)
CASES = [
    # the conformance case: the class does not exist -> nothing serves it
    (["nginx"], "some-invalid-class-name", "", "error"),
    # a typo of an existing class: same, and doctor suggests the class
    (["nginx"], "ngnix", "", "error"),
    # the input holds no IngressClass at all: still nothing serves it (a warning: add it)
    ([], "nginx", "", "warning"),
    # the class exists: its controller serves it
    (["nginx"], "nginx", "IngressClass/nginx", None),
]


@pytest.mark.parametrize(("classes", "cls", "served_by", "severity"), CASES)
def test_ingress_naming_a_missing_class_is_served_by_no_controller(
    classes: list[str], cls: str, served_by: str, severity: str | None
) -> None:
    cluster = cluster_of(*(ingress_class(c) for c in classes), *BACKEND, conformance_ingress(cls))
    (answer,) = route_request(cluster, "http://ingress-class/", now=NOW)
    assert answer.entry_point == served_by
    assert (answer.status == 200) is bool(served_by)
    found = [f for f in diagnose(cluster) if f.code == "ingress-class-not-found"]
    assert [f.severity.value for f in found] == ([severity] if severity else [])
    if not served_by:
        why = " ".join(answer.reasons)
        assert "Ingress/default/test-ingress-class would serve ingress-class, but " in why
        assert f"spec.ingressClassName {cls}" in why


def test_doctor_suggests_the_closest_class() -> None:
    cluster = cluster_of(
        ingress_class("nginx"), ingress_class("traefik"), *BACKEND, conformance_ingress("ngnix")
    )
    (f,) = [f for f in diagnose(cluster) if f.code == "ingress-class-not-found"]
    assert f.object == "Ingress/default/test-ingress-class"
    assert "did you mean IngressClass nginx?" in f.hint
    assert "known: nginx, traefik" in f.message


@pytest.mark.parametrize(
    ("wanted", "names", "closest"),
    [
        ("ngnix", ["nginx", "traefik"], "nginx"),
        ("nginx-internl", ["nginx-internal", "nginx"], "nginx-internal"),
        ("some-invalid-class-name", ["nginx"], None),
        ("nginx", [], None),
    ],
)
def test_closest_class(wanted: str, names: list[str], closest: str | None) -> None:
    assert closest_class(wanted, names) == closest


def test_legacy_annotation_needs_no_ingressclass_object() -> None:
    """ingress-nginx honours ``kubernetes.io/ingress.class`` matching its --ingress-class
    flag without an IngressClass object: the annotation still makes an entry point."""
    legacy = conformance_ingress(cls=None, annotations={"kubernetes.io/ingress.class": "nginx"})
    (answer,) = route_request(cluster_of(*BACKEND, legacy), "http://ingress-class/", now=NOW)
    assert (answer.entry_point, answer.status) == ("IngressClass/nginx", 200)


def test_asking_for_the_missing_class_is_an_input_error() -> None:
    cluster = cluster_of(ingress_class("nginx"), *BACKEND, conformance_ingress())
    with pytest.raises(InputError, match="IngressClass some-invalid-class-name not found"):
        route_request(cluster, "http://ingress-class/", ingress_class="some-invalid-class-name")
