"""Checklist step 5: NetworkPolicies that select or match nothing, rules that never match.

Selection and matching are the policy engine's (:mod:`podpath.engine.policy`):

- ``spec.podSelector`` selects pods of the policy's namespace; a non-empty selector that
  selects none makes the policy inert (usually a label typo);
- a ``namespaceSelector`` is matched against namespace labels (every namespace carries
  ``kubernetes.io/metadata.name``); one that matches no namespace never matches;
- a peer whose selectors match no pod in namespaces the input describes never matches;
- an ``ipBlock`` whose ``except`` entries together cover its whole ``cidr`` match nothing;
- a named port matches only pods that declare a container port of that name and protocol
  (https://kubernetes.io/docs/reference/kubernetes-api/policy-resources/network-policy-v1/#PolicyPort).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterator, Mapping, Sequence

from podpath.analyze.doctor.context import DoctorContext
from podpath.analyze.doctor.findings import Finding, Severity, check, make, rule, undecided
from podpath.engine.near_miss import closest_labels, format_labels
from podpath.engine.policy_rules import peer_matches_pod, policy_selects_pod
from podpath.model.core import LabelSelector
from podpath.model.policy import Direction, IPBlock, NetworkPolicy, PolicyPeer, PolicyPort

STEP = "5-policy"
SELECTS_NO_PODS = rule(
    "policy-selects-no-pods",
    Severity.WARNING,
    STEP,
    "A NetworkPolicy's podSelector selects no pod.",
)
NS_SELECTOR_NOTHING = rule(
    "policy-namespace-selector-matches-nothing",
    Severity.WARNING,
    STEP,
    "A namespaceSelector matches no namespace.",
)
PEER_NOTHING = rule(
    "policy-peer-matches-no-pods",
    Severity.WARNING,
    STEP,
    "A rule's peer selects no pod (a label typo?).",
)
RULE_NEVER = rule(
    "policy-rule-never-matches",
    Severity.WARNING,
    STEP,
    "A rule can never match (an except covering its cidr, a named port no pod has).",
)


def _hint_labels(
    selector: LabelSelector, label_sets: Sequence[Mapping[str, str]], field: str
) -> str:
    near = closest_labels(selector.match_labels, label_sets) if selector.match_labels else None
    if near is not None:
        return f"did you mean {format_labels(near)}? fix {field} (now {selector})"
    return f"fix {field} ({selector}) to match the labels in use"


@check(STEP, SELECTS_NO_PODS)
def policies_selecting_nothing(ctx: DoctorContext) -> Iterator[Finding]:
    for pol in ctx.cluster.network_policies:
        pods = ctx.pods_by_namespace.get(pol.namespace, ())
        if pol.pod_selector.is_empty or any(policy_selects_pod(pol, p) for p in pods):
            continue
        creators = ctx.likely_creators([pol.namespace], pol.pod_selector, pods)
        if creators:  # pods an operator creates may be the ones selected: cannot decide
            message = f"spec.podSelector {pol.pod_selector} selects no pod of the input"
            yield undecided(SELECTS_NO_PODS, str(pol.ref), message, creators, source=pol.source)
            continue
        yield make(
            SELECTS_NO_PODS,
            str(pol.ref),
            f"spec.podSelector {pol.pod_selector} selects no pod in namespace {pol.namespace}: "
            "the policy has no effect",
            _hint_labels(pol.pod_selector, [dict(p.labels) for p in pods], "spec.podSelector"),
            source=pol.source,
            impact=10,
        )


def _covered(block: IPBlock) -> bool:
    """Whether the ``except`` entries together cover the whole ``cidr`` (each one alone cannot:
    the API server requires a strict subset, ``ValidateIPBlock``); merged adjacent blocks
    (``collapse_addresses``) contain every CIDR their union covers."""
    net = ipaddress.ip_network(block.cidr, strict=False)
    excepts = [ipaddress.ip_network(ex, strict=False) for ex in block.except_]
    same = [ex for ex in excepts if ex.version == net.version]
    merged = ipaddress.collapse_addresses(same)  # type: ignore[type-var,misc,unused-ignore]
    return any(net.subnet_of(other) for other in merged)  # type: ignore[arg-type,unused-ignore]


def _peer_findings(
    ctx: DoctorContext, pol: NetworkPolicy, field: str, peer: PolicyPeer
) -> Iterator[Finding]:
    cluster = ctx.cluster
    if peer.ip_block is not None:
        if _covered(peer.ip_block):
            yield make(
                RULE_NEVER,
                str(pol.ref),
                f"{field}.ipBlock: except covers the whole cidr {peer.ip_block.cidr}: it matches "
                "nothing (the API server requires strict subnets)",
                f"fix {field}.ipBlock.except (it must hold strict subnets of the cidr)",
                source=pol.source,
                impact=5,
            )
        return
    namespaces = [pol.namespace]
    if peer.namespace_selector is not None:
        ns_labels = ctx.namespace_labels
        namespaces = list(ctx.namespaces_selected(peer.namespace_selector))
        if not namespaces:
            yield make(
                NS_SELECTOR_NOTHING,
                str(pol.ref),
                f"{field}.namespaceSelector {peer.namespace_selector} matches no namespace",
                _hint_labels(
                    peer.namespace_selector, list(ns_labels.values()), f"{field}.namespaceSelector"
                )
                + " (or label the namespace: metadata.labels)",
                source=pol.source,
                impact=10,
            )
            return
    described = [ns for ns in namespaces if ctx.pods_by_namespace.get(ns)]
    if not described or peer.pod_selector is None:
        return  # namespaces whose pods the input does not hold: nothing to say
    candidates = [p for ns in described for p in ctx.pods_by_namespace[ns]]
    if any(peer_matches_pod(cluster, pol, peer, p) for p in candidates):
        return
    creators = ctx.likely_creators(namespaces, peer.pod_selector, candidates)
    if creators:  # pods an operator creates may be the peers: cannot decide
        message = f"{field}.podSelector {peer.pod_selector} selects no pod of the input"
        yield undecided(PEER_NOTHING, str(pol.ref), message, creators, source=pol.source)
        return
    yield make(
        PEER_NOTHING,
        str(pol.ref),
        f"{field}.podSelector {peer.pod_selector} selects no pod in {', '.join(described)}",
        _hint_labels(
            peer.pod_selector, [dict(p.labels) for p in candidates], f"{field}.podSelector"
        ),
        source=pol.source,
        impact=10,
    )


def _named_port_findings(
    ctx: DoctorContext, pol: NetworkPolicy, direction: Direction, index: int
) -> Iterator[Finding]:
    rule_ = pol.rules(direction)[index]
    word = direction.value.lower()
    named = [(j, port) for j, port in enumerate(rule_.ports) if isinstance(port.port, str)]
    if not named:
        return

    if direction is Direction.INGRESS:

        def matches(port: PolicyPort) -> bool:
            # only the selected pods (of the policy's namespace) declaring the name
            declaring = ctx.named_port_pods_in.get(
                (pol.namespace, str(port.port), port.protocol), ()
            )
            return any(policy_selects_pod(pol, p) for p in declaring)

        if not any(
            policy_selects_pod(pol, p) for p in ctx.pods_by_namespace.get(pol.namespace, ())
        ):
            return
    else:
        keys = {p.key for p in ctx.peer_pods(pol, rule_.peers)} if rule_.peers else None
        if (keys is not None and not keys) or not ctx.cluster.pods:
            return

        def matches(port: PolicyPort) -> bool:
            # only the destination pods declaring the name
            declaring = ctx.named_port_keys.get((str(port.port), port.protocol), frozenset())
            return bool(declaring) if keys is None else not keys.isdisjoint(declaring)

    for j, port in named:
        if matches(port):
            continue
        where = "selected pods" if direction is Direction.INGRESS else "destination pods"
        yield make(
            RULE_NEVER,
            str(pol.ref),
            f"spec.{word}[{index}].ports[{j}]: no {where} declare a container port named "
            f"{port.port!r} ({port.protocol}): the rule never matches",
            f"use the port number in spec.{word}[{index}].ports[{j}].port, or name the container "
            "port (spec.containers[].ports[].name) in the pods",
            source=pol.source,
            impact=10,
        )


@check(STEP, NS_SELECTOR_NOTHING, PEER_NOTHING, RULE_NEVER)
def policy_rules(ctx: DoctorContext) -> Iterator[Finding]:
    for pol in ctx.cluster.network_policies:
        for direction in (Direction.INGRESS, Direction.EGRESS):
            word = direction.value.lower()
            peers_key = "from" if direction is Direction.INGRESS else "to"
            for i, r in enumerate(pol.rules(direction)):
                for j, peer in enumerate(r.peers):
                    yield from _peer_findings(ctx, pol, f"spec.{word}[{i}].{peers_key}[{j}]", peer)
                yield from _named_port_findings(ctx, pol, direction, i)
