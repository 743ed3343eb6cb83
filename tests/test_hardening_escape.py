"""Hostile text (issue 10): control characters never reach the terminal raw, names the API
server refuses are refused, Markdown cells cannot break their table or carry HTML, CSV cells
cannot run as formulas."""

from __future__ import annotations

import base64
import csv
import datetime
import io
import json
from pathlib import Path

import pytest

from podpath.cli import main
from podpath.errors import InputError
from podpath.normalize import normalize
from podpath.normalize.names import (
    is_dns1035_label,
    is_dns1123_label,
    is_dns1123_subdomain,
    name_rule,
)
from podpath.render.escape import csv_cell, csv_row, md_code, md_escape, terminal_safe
from podpath.render.table import render_table
from podpath.sources.manifests import parse_text


def run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    capsys.readouterr()
    try:
        main(args)
        code = 0
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 1
    out, err = capsys.readouterr()
    return code, out, err


RAW = ("\x1b", "\x07", "\x9b", "\r", "\x00", "\u202e")

# -- terminal_safe ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "keep", "shown"),
    [
        ("plain shop/web-1", "", "plain shop/web-1"),
        ("\x1b[2J", "", "\\x1b[2J"),  # clear the screen
        ("\x1b]0;title\x07", "", "\\x1b]0;title\\x07"),  # set the window title
        (
            "\x1b]8;;http://evil/\x1b\\link\x1b]8;;\x1b\\",
            "",
            "\\x1b]8;;http://evil/\\x1b\\link\\x1b]8;;\\x1b\\",
        ),  # fmt: skip
        ("\x9b2J", "", "\\u009b2J"),  # 8-bit CSI
        ("a\rb\x00c\x7fd", "", "a\\x0db\\x00c\\u007fd"),
        ("evil\u202etxt.exe", "", "evil\\u202etxt.exe"),  # bidi override
        ("two\nlines\tand tab", "", "two\\x0alines\\x09and tab"),
        ("two\nlines\tand tab\x1b", "\n\t", "two\nlines\tand tab\\x1b"),
        ("é ü 日本", "", "é ü 日本"),
    ],
    ids=[
        "plain",
        "csi",
        "osc-title",
        "osc-link",
        "c1",
        "cr-nul-del",
        "bidi",
        "layout",
        "keep",
        "unicode",
    ],  # fmt: skip
)
def test_terminal_safe(text: str, keep: str, shown: str) -> None:
    assert terminal_safe(text, keep=keep) == shown


def test_terminal_safe_escapes_stay_valid_json() -> None:
    data = {"name": "a\x9b\x7f\u202eb"}
    text = terminal_safe(json.dumps(data, ensure_ascii=False), keep="\n\t")
    assert json.loads(text) == data


def test_table_cells_are_text_not_markup_and_controls_escaped() -> None:
    out = render_table(
        "t\x1b[2J", ["A\x07"], [["\x1b]0;x\x07"], ["[bold]b[/bold] [/oops] [link=http://e]l"]]
    )
    assert not any(c in out for c in RAW)
    assert "\\x1b]0;x\\x07" in out and "[bold]b[/bold] [/oops] [link=http://e]l" in out
    assert "t\\x1b[2J" in out and "A\\x07" in out


def test_the_error_line_is_escaped(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(["pods", "-f", str(tmp_path / "\x1b]0;pwned\x07\x1b[2J")], capsys)
    assert code == 2
    assert not any(c in err for c in RAW)
    assert "\\x1b]0;pwned\\x07\\x1b[2J" in err


# -- names the API server refuses ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "label", "subdomain", "dns1035"),
    [  # https://kubernetes.io/docs/concepts/overview/working-with-objects/names/
        ("my-name", True, True, True),
        ("123-abc", True, True, False),  # a DNS-1035 label starts with a letter
        ("example.com", False, True, False),
        ("a" * 63, True, True, True),
        ("a" * 64, False, True, False),
        (".".join(["a" * 63] * 4)[:253], False, True, False),
        ("a" * 254, False, False, False),
        ("-a", False, False, False),
        ("a-", False, False, False),
        ("A", False, False, False),
        ("a_b", False, False, False),
        ("a..b", False, False, False),
        ("", False, False, False),
        ("shop\nnameserver 6.6.6.6", False, False, False),
        ("web\x1b[2J", False, False, False),
    ],
)
def test_dns_name_rules(value: str, label: bool, subdomain: bool, dns1035: bool) -> None:
    assert (is_dns1123_label(value), is_dns1123_subdomain(value), is_dns1035_label(value)) == (
        label,
        subdomain,
        dns1035,
    )


def test_name_rule_per_kind() -> None:
    assert [name_rule(k) for k in ("Namespace", "Service", "Pod", "Gateway", "Secret")] == [
        "label",
        "dns1035",
        "subdomain",
        "subdomain",
        "subdomain",
    ]


@pytest.mark.parametrize(
    ("doc", "field", "shown"),
    [
        (
            'kind: Namespace\napiVersion: v1\nmetadata: {name: "shop\\nnameserver 6.6.6.6"}\n',
            "metadata.name",
            "'shop\\nnameserver 6.6.6.6'",
        ),
        (
            'kind: Pod\napiVersion: v1\nmetadata: {name: web, namespace: "x\\e[2J"}\n'
            "spec: {containers: [{name: c}]}\n",
            "metadata.namespace",
            "'x\\x1b[2J'",
        ),
        (
            "kind: Service\napiVersion: v1\nmetadata: {name: 1web}\nspec: {ports: [{port: 80}]}\n",
            "metadata.name",
            "'1web'",
        ),
        (
            "kind: Deployment\napiVersion: apps/v1\nmetadata: {name: Web}\n",
            "metadata.name",
            "'Web'",
        ),
    ],
    ids=["namespace-newline", "namespace-escape", "service-digit", "deployment-upper"],
)
def test_invalid_names_are_refused_naming_the_field(doc: str, field: str, shown: str) -> None:
    with pytest.raises(InputError) as info:
        normalize(parse_text(doc.encode(), "bad.yaml"))
    err = info.value
    assert (err.path, err.doc_index, err.field) == ("bad.yaml", 0, field)
    assert f"invalid {field.split('.')[1]} {shown}" in err.message
    assert "\n" not in str(err) and "\x1b" not in str(err)


# -- certificate names in doctor ----------------------------------------------------------------


def _hostile_certificate() -> str:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "cn")])
    start = datetime.datetime(2024, 1, 1, tzinfo=datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(1)
        .not_valid_before(start)
        .not_valid_after(start + datetime.timedelta(days=36500))
        .add_extension(
            x509.SubjectAlternativeName([x509.DNSName("e\x1b]0;pwned\x07|<script>x.example")]),
            critical=False,
        )
        .sign(key, hashes.SHA256())
    )
    return base64.b64encode(cert.public_bytes(serialization.Encoding.PEM)).decode()


@pytest.fixture
def hostile_tls(tmp_path: Path) -> Path:
    path = tmp_path / "tls.yaml"
    path.write_text(
        f"""apiVersion: v1
kind: Secret
type: kubernetes.io/tls
metadata: {{name: shop-tls, namespace: shop}}
data: {{tls.crt: {_hostile_certificate()}, tls.key: a2V5}}
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {{name: web, namespace: shop}}
spec:
  tls: [{{hosts: [shop.example.com], secretName: shop-tls}}]
  rules: [{{host: shop.example.com}}]
"""
    )
    return path


@pytest.mark.parametrize("fmt", ["table", "json", "md", "sarif"])
def test_certificate_names_in_doctor_are_escaped(
    hostile_tls: Path, fmt: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(["doctor", "-f", str(hostile_tls), "--format", fmt], capsys)
    assert "does not cover shop.example.com" in out, out + err
    assert not any(c in out + err for c in RAW)
    if fmt == "md":
        row = next(line for line in out.splitlines() if "does not cover" in line)
        assert "<script>" not in row and "&lt;script&gt;" in row and "\\|" in row
    if fmt in ("json", "sarif"):
        json.loads(out)


# -- Markdown and CSV cells ---------------------------------------------------------------------


def test_md_cells_cannot_break_the_table_or_carry_html() -> None:
    cell = md_escape("a|b\nc<img src=x onerror=alert(1)>\x1b")
    assert cell == "a\\|b<br>c&lt;img src=x onerror=alert(1)&gt;\\\\x1b"
    assert md_code("x|`y`\nz") == "`x\\|'y' z`"


def test_findings_md_uses_the_shared_escaping() -> None:
    from podpath.analyze.doctor.findings import Finding, Severity
    from podpath.render.findings import render_md

    finding = Finding(code="c", severity=Severity.ERROR, object="o|x", message="m|<b>\nn", hint="h")
    row = render_md([finding]).splitlines()[-1]
    assert row.count(" | ") == 5 and "<b>" not in row and "&lt;b&gt;<br>n" in row


@pytest.mark.parametrize(
    ("value", "cell"),
    [
        ("=cmd|' /C calc'!A0", "'=cmd|' /C calc'!A0"),
        ("+1", "'+1"),
        ("-1+2", "'-1+2"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("shop/web-1", "shop/web-1"),
        (80, "80"),
        (None, ""),
    ],
)
def test_csv_cell(value: object, cell: str) -> None:
    assert csv_cell(value) == cell


def test_csv_row_quotes_and_defuses() -> None:
    line = csv_row(["a,b", 'say "hi"', "=1+1", "x\ny"])
    assert line == '"a,b","say ""hi""",\'=1+1,"x\ny"\n'
    assert next(csv.reader(io.StringIO(line))) == ["a,b", 'say "hi"', "'=1+1", "x\ny"]
