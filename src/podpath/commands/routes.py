"""``podpath route URL`` and ``podpath routes``.

``route``: where a request from outside goes, once per entry point (IngressClass or Gateway)
that serves the host. Flag interactions: ``--gateway`` and ``--ingress-class`` are exclusive;
either one answers for that entry point only. JSON is always ``{"url": ..., "answers": [...]}``
(docs/contract.md). ``--cookie`` adds to a ``Cookie`` header; ``--client-ip`` is the address the
entry point sees (source ranges). ``-v`` lists what the answer did not model. Exit 0 whatever
the HTTP status (a 404 is an answer, not an error); 2 on a bad URL, header, cookie or client
IP, or an unknown entry point.
"""

from __future__ import annotations

from typing import Any

import click

from podpath.analyze.provider_routes import provider_answers
from podpath.analyze.routes import route_json, routing_table
from podpath.cluster import Cluster
from podpath.commands.common import emit, parse_header, with_inputs
from podpath.commands.help import command
from podpath.commands.output import output_option, render_as
from podpath.commands.provider import choice_from, provider_options
from podpath.commands.scope import Scope
from podpath.engine.gateway_filters import request_url
from podpath.engine.routing import parse_request, route_request
from podpath.errors import InputError
from podpath.render.escape import md_escape
from podpath.render.table import join, render_table


def _cookie(value: str) -> tuple[str, str]:
    name, sep, val = value.partition("=")
    if not sep or not name.strip():
        raise InputError(f"--cookie {value!r}: expected NAME=VALUE", field="--cookie")
    return name.strip(), val.strip()


def _backends_text(backends: list[dict[str, Any]]) -> str:
    parts = []
    for b in backends:
        if b.get("resource"):
            target = f"resource {b['resource']}"
        elif b.get("service"):
            target = f"{b['service']}:{b['port']}"
        else:
            target = "invalid"
        if b.get("status"):
            target += f" [{b['status']}" + (f": {b['reason']}]" if b.get("reason") else "]")
        if len(backends) > 1:
            target = f"{b['weight']}x {target}"
        eps = b.get("endpoints")
        if eps is not None:
            target += f" -> {join(eps)}"
        parts.append(target)
    return "\n".join(parts) or "-"


def _lb_lines(lb: dict[str, Any] | None) -> list[str]:
    """The provider's load balancer of an answer (``--provider``), if any."""
    if not lb:
        return []
    admitted = {True: "; client admitted", False: "; client NOT admitted"}.get(
        lb["client_admitted"], ""
    )
    lines = [
        f"  lb:        {lb['provider']} {lb['name']}: {lb['implementation']}, {lb['scheme']}, "
        f"target {lb['target']}{admitted}"
    ]
    if lb.get("ingresses"):
        lines.append(f"  order:     {', '.join(lb['ingresses'])}")
    if lb.get("ingress_api_match"):
        lines.append(f"  differs:   the Ingress API would pick {lb['ingress_api_match']}")
    return lines


def _answer_text(a: dict[str, Any], request_path: str, verbose: bool) -> str:
    lines = [f"{a['entry_point'] or '(no entry point)'}: {a['status']}"]
    if a["match"]:
        m = a["match"]
        rule = "" if m["rule"] is None else f" rule {m['rule']}"
        lines.append(f"  match:     {m['kind']}/{m['object']}{rule}: {m['detail']}")
    if a["location"]:
        lines.append(f"  location:  {a['location']}")
    if a["backend"]:
        b = a["backend"]
        canary = " (canary)" if a["canary"] else ""
        lines.append(
            f"  backend:   {b.get('service') or b.get('resource')}:{b.get('port', '')}".rstrip(":")
            + canary
        )
    if len(a["backends"]) > 1:
        lines.append("  backends:  " + ", ".join(_backends_text([b]) for b in a["backends"]))
    if a["path"] is not None and a["path"] != request_path:
        lines.append(f"  path:      {a['path']} (as the backend receives it)")
    lines.append(f"  endpoints: {join(a['endpoints'])}")
    for f in a["filters"]:
        settings = ", ".join(f"{k}={v}" for k, v in f["settings"].items())
        lines.append(f"  filter:    {f['type']}({settings})")
    if a["tls"]:
        t = a["tls"]
        lines.append(f"  tls:       {t['secret'] or '-'} from {t['source']}: {t['state']}")
    if a.get("backend_tls"):
        bt = a["backend_tls"]
        state = "ok" if bt["valid"] and not bt["problems"] else "; ".join(bt["problems"])
        lines.append(
            f"  backend tls: BackendTLSPolicy/{bt['policy']} hostname {bt['hostname']} "
            f"CA {join(bt['ca'])}: {state}"
        )
    lines.extend(f"  header:    {k}: {v}" for k, v in (a.get("response_headers") or {}).items())
    lines.extend(f"  why:       {r}" for r in a["why"])
    lines.extend(_lb_lines(a.get("load_balancer")))
    if verbose:
        lines.extend(f"  not modelled: {n}" for n in a["not_modelled"])
    return "\n".join(lines)


@command()
@click.argument("url")
@click.option("--method", default="GET", show_default=True, help="HTTP method.")
@click.option(
    "--header", "headers", multiple=True, metavar="NAME:VALUE", help="Request header. Repeatable."
)
@click.option(
    "--cookie", "cookies", multiple=True, metavar="NAME=VALUE", help="Request cookie. Repeatable."
)
@click.option(
    "--client-ip",
    default=None,
    metavar="IP",
    help="The client's address, as the entry point sees it (source ranges).",
)
@click.option("--gateway", default=None, metavar="NS/NAME", help="Answer for this Gateway only.")
@click.option(
    "--ingress-class", default=None, metavar="NAME", help="Answer for this IngressClass only."
)
@output_option(("table", "json"))
@provider_options
@with_inputs
def route(
    cluster: Cluster,
    url: str,
    method: str,
    headers: tuple[str, ...],
    cookies: tuple[str, ...],
    client_ip: str | None,
    gateway: str | None,
    ingress_class: str | None,
    fmt: str,
    provider: str | None,
    provider_params: tuple[str, ...],
) -> None:
    """For each entry point (IngressClass or Gateway) that serves the host: the
    matched rule, the backend Service and port, its endpoints and TLS."""
    request = parse_request(
        url,
        method,
        [parse_header(h) for h in headers],
        cookies=[_cookie(c) for c in cookies],
        client_ip=client_ip,
    )
    answers = route_request(cluster, request, gateway=gateway, ingress_class=ingress_class)
    choice = choice_from(cluster, provider, provider_params)
    extras: list[dict[str, Any] | None] = []
    if choice is not None:
        pairs = provider_answers(cluster, choice, request, answers)
        answers, extras = tuple(a for a, _ in pairs), [x for _, x in pairs]
    data = route_json(request_url(request), answers)
    for out, extra in zip(data["answers"], extras, strict=False):
        if extra is not None:
            out["load_balancer"] = extra
    verbose = bool(click.get_current_context().params.get("verbose"))

    def table(data: dict[str, Any]) -> str:
        return "\n\n".join(_answer_text(a, request.path, verbose) for a in data["answers"])

    emit(render_as(fmt, data, table=table))


def _routes_rows(data: dict[str, Any]) -> list[list[str]]:
    return [
        [
            r["entry_point"],
            r["host"],
            r["match"],
            r["object"] + ("" if r["rule"] is None else f" rule {r['rule']}"),
            _backends_text(r["backends"]),
        ]
        for r in data["routes"]
    ]


ROUTES_COLUMNS = ["ENTRY POINT", "HOST", "MATCH", "ROUTE", "BACKEND -> ENDPOINTS"]


def _status_lines(data: dict[str, Any]) -> list[str]:
    out = []
    for s in data["route_status"]:
        if s["accepted"] and s["resolved_refs"]:
            continue
        if not s["modelled"]:
            out.append(f"info: {s['route']} -> {s['parent']}: {s['messages'][0]}")
            continue
        why = "; ".join(s["messages"])
        out.append(
            f"{s['route']} -> {s['parent']}: Accepted={s['accepted']} ({s['accepted_reason']}), "
            f"ResolvedRefs={s['resolved_refs']} ({s['resolved_reason']}){': ' + why if why else ''}"
        )
    for ls in data.get("listener_sets", []):
        if not ls["accepted"]:
            out.append(
                f"ListenerSet/{ls['listener_set']} -> Gateway/{ls['gateway']}: Accepted=False "
                f"({ls['accepted_reason']}): {ls['message']}"
            )
        for lis in ls["listeners"]:
            if ls["accepted"] and not lis["programmed"]:
                out.append(
                    f"ListenerSet/{ls['listener_set']} listener {lis['name']}: "
                    f"{lis['reason']}: {lis['message']}"
                )
    for p in data.get("backend_tls_policies", []):
        if not (p["accepted"] and p["resolved_refs"]):
            out.append(
                f"BackendTLSPolicy/{p['policy']}: "
                f"Accepted={p['accepted']} ({p['accepted_reason']}), "
                f"ResolvedRefs={p['resolved_refs']} ({p['resolved_reason']}): "
                + "; ".join(p["messages"])
            )
    out.extend(f"{n['severity']}: {n['object']}: {n['message']}" for n in data["notes"])
    return out


def _routes_md(data: dict[str, Any]) -> str:
    lines = ["| " + " | ".join(ROUTES_COLUMNS) + " |", "|" + "---|" * len(ROUTES_COLUMNS)]
    for row in _routes_rows(data):
        cells = [md_escape(c) for c in row]
        lines.append("| " + " | ".join(cells) + " |")
    problems = _status_lines(data)
    if problems:
        lines += ["", *(f"- {p}" for p in problems)]
    return "\n".join(lines) + "\n"


@command()
@output_option(("table", "json", "md"))
@with_inputs
def routes(cluster: Cluster, fmt: str, scope: Scope) -> None:
    """Each row is an entry point, a host and a match, the route, and the backend
    Service and port with its endpoints."""
    data = routing_table(cluster)
    if scope.namespaces:
        data = {
            **data,
            "routes": [r for r in data["routes"] if scope.keeps_name(r["object"])],
            "route_status": [s for s in data["route_status"] if scope.keeps_name(s["route"])],
        }
    emit(render_as(fmt, data, table=_routes_table, others={"md": _routes_md}))


def _routes_table(data: dict[str, Any]) -> str:
    text = render_table(None, ROUTES_COLUMNS, _routes_rows(data))
    problems = _status_lines(data)
    return text + ("\n" + "\n".join(problems) + "\n" if problems else "")
