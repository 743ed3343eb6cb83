""" "Did you mean": unknown pods, Services, namespaces and commands name the closest ones,
in one line (exit 2)."""

from __future__ import annotations

from pathlib import Path

import pytest

from podpath.cli import main
from podpath.commands.suggest import closest, did_you_mean

ROOT = Path(__file__).resolve().parents[1]
SHOP = str(ROOT / "examples" / "shop")

CASES = [
    # (arguments, the error line must contain)
    (["explain", "shop/frontnd"], "no pod 'shop/frontnd'; did you mean shop/frontend"),
    (["explain", "frontend"], "no pod 'frontend'; give NS/NAME: shop/frontend"),
    (["explain", "shopp/frontend"], "(no namespace 'shopp'; did you mean shop?)"),
    (
        ["explain", "data/postgres-headless"],
        "data/postgres-headless is a Service: give one of its pods, e.g. data/postgres-0",
    ),
    (["dns", "web", "--from", "reviews/ratngs"], "did you mean reviews/ratings"),
    (["trace", "--from", "frontend", "--to", "svc:shop/catalog"], "give NS/NAME: shop/frontend"),
    (
        ["trace", "--from", "shop/frontend", "--to", "svc:shop/catalg"],
        "no Service 'shop/catalg'; did you mean svc:shop/catalog",
    ),
    (
        ["trace", "--from", "shop/frontend", "--to", "svc:shp/catalog"],
        "(no namespace 'shp'; did you mean shop?)",
    ),
    (
        ["trace", "--from", "shop/frontend", "--to", "data/postgres-headless"],
        "that is a Service: svc:data/postgres-headless",
    ),
    (
        ["doctor", "--from", "shop/frontnd", "--to", "svc:shop/catalog"],
        "did you mean shop/frontend",
    ),
    (["pods", "-n", "monitorng"], "no namespace 'monitorng'; did you mean monitoring?"),
    (["matrix", "-n", "dat"], "no namespace 'dat'; did you mean data or default?"),
]


@pytest.mark.parametrize(("args", "expected"), CASES, ids=[" ".join(c[0]) for c in CASES])
def test_unknown_names_suggest_the_closest(
    args: list[str], expected: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exc:
        main([*args, "-f", SHOP])
    out, err = capsys.readouterr()
    assert exc.value.code == 2 and out == ""
    assert err.count("\n") == 1 and err.startswith("podpath: error: "), err
    assert expected in err, err


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["servics"], "no command 'servics'; did you mean services?"),
        (["rout"], "did you mean route, routes or report?"),
        (["trace", "--fromm", "x"], "no such option '--fromm'; did you mean"),
        (["pods", "-o", "xml"], "'xml' is not one of"),
    ],
)
def test_usage_errors_are_one_line_with_suggestions(
    args: list[str], expected: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exc:
        main(args)
    err = capsys.readouterr().err
    assert exc.value.code == 2
    assert err.count("\n") == 1 and err.startswith("podpath: error: ") and expected in err, err
    assert "--help')" in err


def test_closest_and_the_phrase() -> None:
    assert closest("servics", ["services", "service", "pods"]) == [
        "services",
        "service",
    ]  # closest first
    assert closest("zzz", ["pods"]) == []
    assert did_you_mean([]) == ""
    assert did_you_mean(["a"]) == "; did you mean a?"
    assert did_you_mean(["a", "b", "c"]) == "; did you mean a, b or c?"
