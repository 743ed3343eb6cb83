"""kubectl's conventions on every command: -n/-A/-l, -o as --format, --context, and the
default kubeconfig (KUBECONFIG merged as clientcmd merges it, else ~/.kube/config)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
import yaml

from fake_apiserver import FakeApiServer, fake_apiserver, load_manifests
from podpath.cli import main
from podpath.commands.scope import Scope, name_namespace, parse_label_selector
from podpath.engine.selectors import selector_matches
from podpath.errors import ClusterAccessError, InputError
from podpath.sources.kubeconfig import kubeconfig_chain, merge_kubeconfigs, read_kubeconfigs

__all__ = ["fake_apiserver"]

ROOT = Path(__file__).resolve().parents[1]
SHOP = str(ROOT / "examples" / "shop")
BASIC = ROOT / "tests" / "scenarios" / "live-basic"


def run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    capsys.readouterr()
    try:
        main(args)
        code = 0
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 1
    out, err = capsys.readouterr()
    return code, out, err


# -- -l: the label selector syntax (labels.Parse), with the spec's own examples ---------------

SELECTOR_CASES = [
    # (selector, labels, selected)
    ("environment = production", {"environment": "production"}, True),
    ("environment = production", {"environment": "qa"}, False),
    ("environment == production", {"environment": "production"}, True),
    ("tier != frontend", {"tier": "backend"}, True),
    ("tier != frontend", {}, True),  # != also selects objects without the key
    ("tier != frontend", {"tier": "frontend"}, False),
    ("environment=production,tier!=frontend", {"environment": "production"}, True),
    (
        "environment=production,tier!=frontend",
        {"environment": "production", "tier": "frontend"},
        False,
    ),
    ("environment in (production, qa)", {"environment": "qa"}, True),
    ("environment in (production, qa)", {}, False),
    ("tier notin (frontend, backend)", {"tier": "cache"}, True),
    ("tier notin (frontend, backend)", {}, True),
    ("tier notin (frontend, backend)", {"tier": "backend"}, False),
    ("partition", {"partition": "a"}, True),
    ("partition", {}, False),
    ("!partition", {}, True),
    ("!partition", {"partition": ""}, False),
    ("partition,environment notin (qa)", {"partition": "x", "environment": "prod"}, True),
    ("x in (foo,,baz),y,z notin ()", {"x": "", "y": "1", "z": "a"}, True),  # "" is a VALUE
    ("x in (foo,,baz),y,z notin ()", {"x": "", "y": "1", "z": ""}, False),
    ("k=", {"k": ""}, True),
    ("app.kubernetes.io/name=web", {"app.kubernetes.io/name": "web"}, True),
]


@pytest.mark.parametrize(("text", "labels", "selected"), SELECTOR_CASES)
def test_label_selector_syntax(text: str, labels: dict[str, str], selected: bool) -> None:
    assert selector_matches(parse_label_selector(text), labels) is selected


@pytest.mark.parametrize("text", ["", "a in b", "a in (b", "a >", "=b", "a=b c", "-a=b", "a=(b"])
def test_bad_label_selectors_are_one_input_error(text: str) -> None:
    with pytest.raises(InputError):
        parse_label_selector(text)


def test_scope_names_and_qualify() -> None:
    assert [name_namespace(n) for n in ("shop/web", "svc:shop/web", "Service/shop/web")] == [
        "shop"
    ] * 3
    assert name_namespace("shop/Deployment/web") == "shop"
    assert name_namespace("IngressClass/nginx") is None
    assert name_namespace("Namespace/shop") == "shop"
    assert Scope(("shop",)).qualify("web-1") == "shop/web-1"
    assert Scope(("shop",)).qualify("data/db-0") == "data/db-0"
    assert Scope(("a", "b")).qualify("web-1") == "web-1"
    assert Scope(("shop",)).qualify("svc:web") == "svc:shop/web"
    assert Scope(("shop",)).qualify("svc:data/db") == "svc:data/db"
    assert Scope(("a", "b")).qualify("svc:web") == "svc:web"


# -- kubeconfig merging (clientcmd ClientConfigLoadingRules.Load) ----------------------------


def _kc(name: str, *, server: str = "https://a", current: str | None = None, **user: str) -> dict:
    config: dict = {
        "clusters": [{"name": name, "cluster": {"server": server}}],
        "users": [{"name": name, "user": dict(user)}],
        "contexts": [{"name": name, "context": {"cluster": name, "user": name}}],
    }
    if current is not None:
        config["current-context"] = current
    return config


def test_merge_first_file_to_set_a_map_key_wins_whole() -> None:
    first = _kc("red", server="https://first", token="t1")
    second = _kc("red", server="https://second", username="u")
    merged = merge_kubeconfigs([("/a/one", first), ("/b/two", second)])
    assert merged["clusters"] == [{"name": "red", "cluster": {"server": "https://first"}}]
    assert merged["users"] == [{"name": "red", "user": {"token": "t1"}}]  # no username


def test_merge_first_current_context_wins_and_unset_ones_do_not_count() -> None:
    merged = merge_kubeconfigs(
        [("/a", _kc("a")), ("/b", _kc("b", current="b")), ("/c", _kc("c", current="c"))]
    )
    assert merged["current-context"] == "b"
    assert [c["name"] for c in merged["contexts"]] == ["a", "b", "c"]


def test_merge_resolves_relative_paths_against_the_defining_file() -> None:
    config = _kc("a", **{"client-key": "k.pem", "tokenFile": "/abs/t", "client-certificate": "c"})
    config["clusters"][0]["cluster"]["certificate-authority"] = "../ca.pem"
    config["users"][0]["user"]["exec"] = {"command": "./bin/auth", "apiVersion": "x"}
    merged = merge_kubeconfigs([("/home/u/.kube/config", config)])
    user = merged["users"][0]["user"]
    assert user["client-key"] == "/home/u/.kube/k.pem"
    assert user["client-certificate"] == "/home/u/.kube/c"
    assert user["tokenFile"] == "/abs/t"
    assert user["exec"]["command"] == "/home/u/.kube/./bin/auth"
    assert merged["clusters"][0]["cluster"]["certificate-authority"] == "/home/u/.kube/../ca.pem"
    path_command = _kc("b")
    path_command["users"][0]["user"]["exec"] = {"command": "gke-gcloud-auth-plugin"}
    merged = merge_kubeconfigs([("/x/config", path_command)])
    assert merged["users"][0]["user"]["exec"]["command"] == "gke-gcloud-auth-plugin"


def test_merge_refuses_a_name_twice_in_one_file() -> None:
    config = _kc("a")
    config["contexts"].append(dict(config["contexts"][0]))
    with pytest.raises(ClusterAccessError, match="duplicate name 'a'"):
        merge_kubeconfigs([("/x", config)])


def test_chain_splits_dedupes_and_falls_back_to_home(tmp_path: Path) -> None:
    env = {"KUBECONFIG": os.pathsep.join(["/a", "", "/b", "/a"]), "HOME": "/h"}
    assert kubeconfig_chain(env) == ["/a", "/b"]
    assert kubeconfig_chain({"KUBECONFIG": "", "HOME": "/h"}) == ["/h/.kube/config"]
    (tmp_path / "one").write_text(yaml.safe_dump(_kc("one")))
    configs = read_kubeconfigs([str(tmp_path / "missing"), str(tmp_path / "one")])
    assert [p for p, _ in configs] == [str(tmp_path / "one")]  # missing files are skipped


def test_default_context_of_merged_kubeconfig_is_read(
    fake_apiserver: type[FakeApiServer],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """No -f, no --kubeconfig: KUBECONFIG's files merged; the first current-context wins."""
    server = fake_apiserver(load_manifests(sorted(BASIC.rglob("*.yaml"))))
    real = yaml.safe_load(server.write_kubeconfig(tmp_path / "real").read_text())
    broken = _kc("broken", server="http://127.0.0.1:9")  # never used: not current
    first = {"current-context": "fake", "contexts": real["contexts"]}
    second = {**broken, "clusters": real["clusters"] + broken["clusters"], "users": real["users"]}
    second["current-context"] = "broken"
    (tmp_path / "first").write_text(yaml.safe_dump(first))
    (tmp_path / "second").write_text(yaml.safe_dump(second))
    paths = [str(tmp_path / "missing"), str(tmp_path / "first"), str(tmp_path / "second")]
    monkeypatch.setenv("KUBECONFIG", os.pathsep.join(paths))
    monkeypatch.delenv("KUBERNETES_SERVICE_HOST", raising=False)
    code, out, err = run(["services", "-o", "json"], capsys)
    assert code == 0, err
    assert "default/kubernetes" in [s["service"] for s in json.loads(out)["services"]]
    code, _, err = run(["services", "--context", "nope"], capsys)
    assert code == 2 and "no context 'nope' (contexts: broken, fake)" in err


def test_no_input_at_all_is_one_line_saying_how(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("KUBECONFIG", raising=False)
    monkeypatch.delenv("KUBERNETES_SERVICE_HOST", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    for command in (
        ["services"],
        ["doctor"],
        ["snapshot"],
        ["trace", "--from", "a/b", "--to", "c/d"],
    ):
        code, out, err = run(command, capsys)
        assert (code, out) == (2, ""), command
        assert err.count("\n") == 1 and "no input: pass -f PATH" in err and "KUBECONFIG" in err


# -- -n / -A / -l / -o on the commands --------------------------------------------------------


def _json(args: list[str], capsys: pytest.CaptureFixture[str]) -> dict:
    code, out, err = run([*args, "-f", SHOP, "-o", "json"], capsys)
    assert code in (0, 1), err
    return dict(json.loads(out))


def test_namespace_filters_every_listing(capsys: pytest.CaptureFixture[str]) -> None:
    pods = _json(["pods", "-n", "data"], capsys)["pods"]
    assert pods and {p["pod"].split("/")[0] for p in pods} == {"data"}
    services = _json(["services", "-n", "data", "-n", "payments"], capsys)["services"]
    assert {s["service"].split("/")[0] for s in services} == {"data", "payments"}
    routes = _json(["routes", "--namespace", "monitoring"], capsys)["routes"]
    assert routes and all("/monitoring/" in r["object"] for r in routes)
    records = _json(["dns", "--list", "-n", "payments"], capsys)["records"]
    assert records and all(any("/payments/" in o for o in r["objects"]) for r in records)
    findings = _json(["doctor", "-n", "payments"], capsys)["findings"]
    assert findings and all(
        "/payments/" in f["object"] or f["object"].endswith("/payments") for f in findings
    )
    matrix = _json(["matrix", "-n", "data"], capsys)
    assert {p.split("/")[0] for p in matrix["pods"]} == {"data"}


def test_all_namespaces_wins_over_namespace_with_a_warning(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, out, err = run(["pods", "-f", SHOP, "-n", "data", "-A", "-o", "name"], capsys)
    assert code == 0 and "-n is ignored with -A" in err
    assert len({line.split("/")[0] for line in out.splitlines()}) > 1
    assert out == run(["pods", "-f", SHOP, "-o", "name"], capsys)[1]


def test_selector_keeps_selected_pods_and_workloads(capsys: pytest.CaptureFixture[str]) -> None:
    pods = _json(["pods", "-l", "app=postgres"], capsys)["pods"]
    assert pods and all(p["labels"]["app"] == "postgres" for p in pods)
    every = _json(["pods"], capsys)["pods"]
    assert len(pods) == sum(p["labels"].get("app") == "postgres" for p in every)
    matrix = _json(["matrix", "-l", "app in (postgres)", "--by", "workload"], capsys)
    assert matrix["pods"] == ["data/StatefulSet/postgres"] or all(
        "postgres" in p for p in matrix["pods"]
    )
    code, _, err = run(["services", "-f", SHOP, "-l", "app=web"], capsys)
    assert code == 0 and "-l is ignored by services" in err


def test_unknown_namespace_names_the_closest(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(["pods", "-f", SHOP, "-n", "shp"], capsys)
    assert (code, out) == (2, "")
    assert "no namespace 'shp'; did you mean shop?" in err


def test_output_is_format_with_yaml_wide_name(capsys: pytest.CaptureFixture[str]) -> None:
    as_json = run(["services", "-f", SHOP, "--format", "json"], capsys)[1]
    assert run(["services", "-f", SHOP, "-o", "json"], capsys)[1] == as_json
    assert run(["services", "-f", SHOP, "--output", "json"], capsys)[1] == as_json
    assert yaml.safe_load(run(["services", "-f", SHOP, "-o", "yaml"], capsys)[1]) == json.loads(
        as_json
    )
    names = run(["services", "-f", SHOP, "-o", "name"], capsys)[1].splitlines()
    assert names == [f"svc:{s['service']}" for s in json.loads(as_json)["services"]]
    wide = run(["services", "-f", SHOP, "-o", "wide"], capsys)[1]
    assert "LOAD-BALANCER" in wide and "DNS" in wide
    expectations = str(ROOT / "examples" / "expectations" / "shop.yaml")
    as_text = run(["check", expectations, "-f", SHOP, "-o", "text"], capsys)
    assert as_text == run(["check", expectations, "-f", SHOP, "-o", "table"], capsys)
    assert as_text[1]  # "text" is read as "table"


@pytest.mark.parametrize(
    ("command", "hint"),
    [
        (["graph", "-o", "graph.html"], "--output-file graph.html"),
        (["report", "-o", "report.html"], "--html report.html"),
        (["snapshot", "-o", "snap.yaml"], "--output-file snap.yaml"),
    ],
)
def test_a_file_given_to_o_points_to_the_file_option(
    command: list[str], hint: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run([*command, "-f", SHOP], capsys)
    assert code == 2 and "-o/--output is the output format" in err and hint in err


def test_context_with_files_is_ignored_with_a_warning(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(["services", "-f", SHOP, "--context", "prod", "-o", "name"], capsys)
    assert code == 0 and out and "--context is ignored with -f" in err


def test_namespace_qualifies_bare_pod_names(capsys: pytest.CaptureFixture[str]) -> None:
    qualified = _json(["explain", "shop/frontend"], capsys)
    assert _json(["explain", "frontend", "-n", "shop"], capsys) == qualified
    trace = _json(["trace", "--from", "frontend", "-n", "shop", "--to", "svc:shop/catalog"], capsys)
    assert trace["from"] == "shop/frontend"


def test_graph_keeps_the_scope_its_edges_and_their_peers(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """graph -n/-l: the nodes of the scope's pods, every edge to or from them and the node at
    the other end (the cluster is evaluated whole: the same edges as the whole graph)."""
    whole = _json(["graph"], capsys)
    edges = {(e["from"], e["to"]): e["ports"] for e in whole["edges"]}
    for args, inside in (
        (["-n", "shop"], lambda n: n.startswith("shop/")),
        (["-l", "app=frontend"], lambda n: n.startswith("shop/Deployment/frontend")),
        (["-n", "payments"], lambda n: n.startswith("payments/")),
    ):
        code, out, err = run(["graph", "-f", SHOP, "-o", "json", *args], capsys)
        assert code == 0 and "ignored" not in err
        part = json.loads(out)
        ids = {n["id"] for n in part["nodes"]}
        assert any(inside(i) for i in ids)
        kept = {(e["from"], e["to"]): e["ports"] for e in part["edges"]}
        assert kept == {k: v for k, v in edges.items() if inside(k[0]) or inside(k[1])}
        assert ids == {i for k in kept for i in k} | {i for i in ids if inside(i)} | (
            {"internet"} & ids
        )
        assert set(part["groups"]) == {n["group"] for n in part["nodes"] if n["group"]}


def test_report_keeps_the_scope_in_every_section(capsys: pytest.CaptureFixture[str]) -> None:
    whole = _json(["report"], capsys)
    part = _json(["report", "-n", "payments"], capsys)
    assert [r["namespace"] for r in part["namespaces"]] == ["payments"]
    assert all(f["object"].split("/")[1] == "payments" for f in part["findings"])
    assert {f["object"] for f in part["findings"]} == {
        f["object"] for f in whole["findings"] if f["object"].split("/")[1:2] == ["payments"]
    }
    assert (
        part["summary"]["pods"]
        == whole["namespaces"][[r["namespace"] for r in whole["namespaces"]].index("payments")][
            "pods"
        ]
    )
    assert all("payments" in (r["from"], r["to"]) for r in part["reachability"])
    assert all(r["object"].split("/")[1] == "payments" for r in part["routes"]["routes"])
    labelled = _json(["report", "-l", "app=postgres"], capsys)
    assert [r["namespace"] for r in labelled["namespaces"]] == ["data"]
    assert labelled["summary"]["pods"] == sum(
        p["labels"].get("app") == "postgres" for p in _json(["pods"], capsys)["pods"]
    )
    code, out, err = run(["report", "-f", SHOP, "-n", "shop"], capsys)
    assert code in (0, 1) and "ignored" not in err and "reviews/ratings  " not in out


NO_NAMESPACE = """\
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  replicas: 1
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec: {containers: [{name: web, image: nginx, ports: [{containerPort: 80}]}]}
---
apiVersion: v1
kind: Service
metadata: {name: web}
spec: {selector: {app: web}, ports: [{port: 80}]}
---
apiVersion: v1
kind: Service
metadata: {name: db, namespace: data}
spec: {selector: {app: db}, ports: [{port: 5432}]}
---
apiVersion: networking.k8s.io/v1
kind: IngressClass
metadata: {name: nginx}
spec: {controller: k8s.io/ingress-nginx}
"""


def test_one_namespace_is_the_namespace_of_objects_that_name_none(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`-f FILE -n NS`: NS for the namespaced objects without metadata.namespace, as
    `kubectl apply -f FILE -n NS` (cli-runtime RequireNamespace); an object naming another
    namespace keeps it (kubectl refuses it; podpath's -n filters it out of the output);
    without -n, or with two, they are in `default`."""
    from podpath.api import load_cluster

    app = tmp_path / "app.yaml"
    app.write_text(NO_NAMESPACE)
    cluster = load_cluster([str(app)], namespace="shop")
    assert sorted(s.key for s in cluster.services) == ["data/db", "default/kubernetes", "shop/web"]
    assert {p.namespace for p in cluster.pods} == {"shop"}
    assert [c.name for c in cluster.of_kind("IngressClass")] == ["nginx"]
    plain = sorted(s.key for s in load_cluster([str(app)]).services)
    assert plain == ["data/db", "default/kubernetes", "default/web"]
    code, out, err = run(["services", "-f", str(app), "-n", "shop", "-o", "name"], capsys)
    assert (code, out, err) == (0, "svc:shop/web\n", "")
    code, out, _ = run(["services", "-f", str(app), "-n", "data", "-o", "name"], capsys)
    assert (code, out) == (0, "svc:data/db\nsvc:data/web\n")  # web lands in data too
    code, out, _ = run(["services", "-f", str(app), "-n", "default", "-n", "data"], capsys)
    assert code == 0 and "default/web" in out and "data/db" in out
    code, out, _ = run(["trace", "-f", str(app), "-n", "shop", "--from", "internet",
                        "--to", "svc:web", "-o", "json"], capsys)  # fmt: skip
    assert code == 0 and json.loads(out)["to"] == "svc:shop/web"


def test_report_page_keeps_the_scope(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The page of `report -n shop --html`: its heatmap names the scope's peers (the rows from
    or to shop) beside shop, and its graph is the graph around shop's pods."""
    page = tmp_path / "report.html"
    code, _, err = run(["report", "-f", SHOP, "-n", "shop", "--html", str(page)], capsys)
    assert code in (0, 1) and f"wrote {page}" in err
    text = page.read_text()
    assert "shop/Deployment/frontend" in text and "payments/Deployment/payments" not in text
