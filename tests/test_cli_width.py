"""80 columns: at COLUMNS=80 every table command's lines fit, and no word, header or
file:line is broken (each word of the output is a word of the same output at full width);
``-o wide`` keeps every column."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from podpath.cli import main
from podpath.render.table import render_table, wide_tables

ROOT = Path(__file__).resolve().parents[1]
SHOP = str(ROOT / "examples" / "shop")
DIFF = [str(ROOT / "tests" / "data" / "diff" / side) for side in ("old", "new")]
EXPECTATIONS = str(ROOT / "examples" / "expectations" / "shop.yaml")

COMMANDS = {
    "pods": ["pods", "-f", SHOP],
    "services": ["services", "-f", SHOP],
    "routes": ["routes", "-f", SHOP],
    "route": ["route", "http://shop.example.com/", "-f", SHOP],
    "dns-list": ["dns", "--list", "-f", SHOP],
    "dns": ["dns", "_http._tcp.web.shop", "--type", "SRV", "-f", SHOP],
    "trace": ["trace", "--from", "shop/frontend", "--to", "svc:shop/catalog", "-f", SHOP],
    "doctor": ["doctor", "-f", SHOP],
    "check": ["check", EXPECTATIONS, "-f", SHOP],
    "explain": ["explain", "shop/frontend", "-f", SHOP],
    "matrix": ["matrix", "--port", "8080", "-f", SHOP],
    "matrix-grid": ["matrix", "--port", "8080", "-n", "data", "-n", "payments", "-f", SHOP],
    "diff": ["diff", *DIFF],
    "report": ["report", "-f", SHOP],
}


def output(args: list[str], capsys: pytest.CaptureFixture[str]) -> str:
    capsys.readouterr()
    try:
        main(args)
    except SystemExit as exc:
        assert exc.code in (0, 1, None), capsys.readouterr().err
    return capsys.readouterr().out


def words(text: str) -> set[str]:
    return {w for w in text.split() if not re.fullmatch(r"[─-]+", w)}


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_fits_80_columns_without_breaking_a_word(
    name: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    with monkeypatch.context() as patch:
        if name == "matrix":  # narrow, the matrix lists whom each pod reaches, not a grid
            patch.setattr("podpath.render.matrix.GRID_LIMIT", 0)
        full = output(COMMANDS[name], capsys)  # piped: every row on one line
    monkeypatch.setenv("COLUMNS", "80")
    narrow = output(COMMANDS[name], capsys)
    assert narrow.strip()
    too_long = [
        line
        for line in narrow.splitlines()
        if len(line) > 80 and (len(line.split()) > 1 or re.fullmatch(r" *[─-]+", line))
    ]
    assert not too_long, too_long[:3]  # a line over 80 is one word longer than 80 (a DNS name)
    broken = sorted(words(narrow) - words(full))
    assert not broken, broken[:10]


def test_wide_keeps_every_column(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "80")
    narrow = output(["pods", "-f", SHOP], capsys)
    wide = output(["pods", "-f", SHOP, "-o", "wide"], capsys)
    assert "LABELS" not in narrow and "OWNER" not in narrow.split("\n")[0]
    assert "LABELS" in wide and "OWNER" in wide
    monkeypatch.delenv("COLUMNS")
    assert wide == output(["pods", "-f", SHOP], capsys)  # wide = the full, piped table


ROWS = [["data/postgres-0", "10.244.0.2", "app=postgres,statefulset=postgres-0", "a b c"]]


@pytest.mark.parametrize(
    ("width", "layout"),
    [(200, "table"), (60, "dropped"), (25, "folded"), (16, "expanded")],
)
def test_layouts_by_width(width: int, layout: str) -> None:
    text = render_table(
        None, ["POD", "IP", "LABELS", "NOTE"], ROWS, width=width, optional=["LABELS"]
    )
    lines = text.splitlines()
    assert all(len(line) <= width for line in lines), text
    assert words(text) <= words(render_table(None, ["POD", "IP", "LABELS", "NOTE"], ROWS))
    if layout == "table":
        assert lines[0].split() == ["POD", "IP", "LABELS", "NOTE"]
    elif layout == "dropped":
        assert lines[0].split() == ["POD", "IP", "NOTE"]
    elif layout == "folded":
        assert lines[0].split() == ["POD"] and lines[1].split() == ["IP", "NOTE"]
    else:
        assert [line.strip() for line in lines[:3]] == ["POD", "IP", "NOTE"]
    with wide_tables():
        assert render_table(None, ["A", "B"], [["x" * 90, "y"]], width=20).count("\n") == 3


def test_a_wide_grid_prints_in_bands_with_its_first_column() -> None:
    columns = ["FROM \\ TO", *(f"namespace-{i}" for i in range(8))]
    rows = [[f"namespace-{r}", *(f"{r}/{c}" for c in range(8))] for r in range(8)]
    text = render_table(None, columns, rows, width=60)
    bands = text.split("\n\n")
    assert len(bands) >= 2 and all(b.lstrip().startswith("FROM \\ TO") for b in bands)
    assert all(len(line) <= 60 for line in text.splitlines())
    assert words(text) == words(render_table(None, columns, rows))


def test_a_band_too_wide_beside_the_first_column_is_folded() -> None:
    """A band of one column that does not fit beside the first (routes' BACKEND -> ENDPOINTS
    at 80 columns) is folded: the first cell on its line, the other below; rules included,
    every line fits."""
    columns = ["ENTRY POINT", "HOST", "MATCH", "ROUTE", "BACKEND -> ENDPOINTS"]
    first = "Gateway/gateway-system/shop-gateway/https"
    rows = [[first, "shop.example.com", "/ (Prefix)", "HTTPRoute/shop/storefront rule 0",
             "monitoring/grafana:80 -> monitoring/grafana-6lg4xlpfvf-45t9v"]]  # fmt: skip
    text = render_table(None, columns, rows, width=80)
    assert all(len(line) <= 80 for line in text.splitlines()), text
    assert words(text) == words(render_table(None, columns, rows))
    last = text.split("\n\n")[-1].splitlines()
    assert last[:2] == [" ENTRY POINT", "    BACKEND -> ENDPOINTS"] and last[3] == f" {first}"


def _rich_table(title: str | None, columns: list[str], rows: list[list[str]]) -> str:
    """The same table drawn by rich (SIMPLE_HEAD), the layout render_table reproduces."""
    import io

    from rich import box
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    table = Table(
        title=Text(title) if title else None,
        box=box.SIMPLE_HEAD,
        title_justify="left",
        pad_edge=False,
    )
    for col in columns:
        table.add_column(Text(col), overflow="fold")
    for row in rows:
        table.add_row(*(Text(c) for c in row))
    buf = io.StringIO()
    Console(file=buf, width=400, color_system=None, soft_wrap=False).print(table)
    lines = [line.rstrip() for line in buf.getvalue().splitlines()]
    return "\n".join(lines).strip("\n") + "\n"


def test_tables_are_drawn_as_rich_draws_them() -> None:
    import random

    rng = random.Random(14)
    vocabulary = ["a", "shop/web-1", "10.0.0.1", "80/TCP->http", "(node 30080)", "-", "yes*"]
    for _ in range(200):
        ncols = rng.randint(1, 5)
        columns = [
            rng.choice(["POD", "IPS", "LOAD-BALANCER", "X", "CODE / OBJECT"]) for _ in range(ncols)
        ]
        rows = [
            [
                "\n".join(
                    " ".join(rng.choices(vocabulary, k=rng.randint(0, 3)))
                    for _ in range(rng.randint(1, 2))
                )
                for _ in range(ncols)
            ]
            for _ in range(rng.randint(0, 4))
        ]
        title = rng.choice([None, "zone cluster.local."])
        ours = render_table(title, columns, rows)
        if title and len(title) > max(len(line) for line in ours.splitlines()[1:]):
            continue  # rich would wrap a title wider than its table; podpath does not
        assert ours == _rich_table(title, columns, rows), (columns, rows)
