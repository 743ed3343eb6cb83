"""Label selector matching (meta/v1 LabelSelector).

https://kubernetes.io/docs/concepts/overview/working-with-objects/labels/#label-selectors

- ``matchLabels`` and every ``matchExpressions`` requirement are ANDed;
- an empty selector matches every object; (a *nil* selector is handled by callers, since its
  meaning depends on the field: e.g. a NetworkPolicy peer without ``namespaceSelector``);
- ``In``: the key exists and its value is one of the values; ``NotIn``: the key is absent or
  its value is none of the values; ``Exists`` / ``DoesNotExist``: the key is present / absent.
"""

from __future__ import annotations

from collections.abc import Mapping

from podpath.model.core import LabelSelector, SelectorOperator, SelectorRequirement


def requirement_matches(req: SelectorRequirement, labels: Mapping[str, str]) -> bool:
    """One set-based requirement against a label map (see the module docstring)."""
    op = req.operator
    if op is SelectorOperator.EXISTS:
        return req.key in labels
    if op is SelectorOperator.DOES_NOT_EXIST:
        return req.key not in labels
    if op is SelectorOperator.IN:
        return req.key in labels and labels[req.key] in req.values
    return req.key not in labels or labels[req.key] not in req.values


def selector_matches(selector: LabelSelector, labels: Mapping[str, str]) -> bool:
    """Whether a label selector selects an object with ``labels`` (empty selects all)."""
    for key, value in selector.match_labels.pairs:
        if labels.get(key) != value:
            return False
    return all(requirement_matches(r, labels) for r in selector.match_expressions)


def equality_selector_matches(selector: Mapping[str, str], labels: Mapping[str, str]) -> bool:
    """A Service's equality-based ``spec.selector``: every pair present in ``labels``."""
    return all(labels.get(k) == v for k, v in selector.items())
