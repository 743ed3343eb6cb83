"""Helpers of the doctor tests: inline YAML scenarios -> cluster -> findings."""

from __future__ import annotations

import textwrap

from podpath.analyze.doctor import diagnose
from podpath.analyze.doctor.context import BaselineConfig
from podpath.analyze.doctor.findings import Finding
from podpath.cluster import Cluster, resolve
from podpath.normalize import normalize
from podpath.sources.manifests import parse_text


def cluster_of(text: str) -> Cluster:
    docs = parse_text(textwrap.dedent(text).encode(), "scenario.yaml")
    return resolve(normalize(docs))


def findings_of(text: str, baseline: BaselineConfig | None = None) -> tuple[Finding, ...]:
    return diagnose(cluster_of(text), baseline=baseline)


def codes(text: str, baseline: BaselineConfig | None = None) -> set[tuple[str, str]]:
    return {(f.code, f.object) for f in findings_of(text, baseline)}


def pod(
    name: str, ns: str = "shop", labels: str = "app: web", ports: str = "", extra: str = ""
) -> str:
    port_text = f"\n    ports: [{ports}]" if ports else ""
    return f"""
---
apiVersion: v1
kind: Pod
metadata: {{name: {name}, namespace: {ns}, labels: {{{labels}}}}}
spec:{extra}
  containers:
  - name: c
    image: img{port_text}
"""


def service(
    name: str,
    ns: str = "shop",
    selector: str = "app: web",
    ports: str = "{port: 80}",
    extra: str = "",
) -> str:
    return f"""
---
apiVersion: v1
kind: Service
metadata: {{name: {name}, namespace: {ns}}}
spec:{extra}
  selector: {{{selector}}}
  ports: [{ports}]
"""
