"""Do the webhooks see every namespace the operator watches?

A watched namespace the webhooks' ``namespaceSelector`` misses is served
without them: decisions there are never signed (so never count), anyone may
remove others' pending decisions, and forged step objects are not refused
where only the webhook guards them. That drift (a namespace added to the
operator's flags, not to the chart's selector) is silent, so the operator
refuses to start on it (``--webhook-configuration``). Pure: the
configurations and the namespaces' labels are passed in.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

NAME_LABEL = "kubernetes.io/metadata.name"
"""Set by the API server on every namespace, to its name."""


def selector_matches(selector: Mapping[str, Any] | None, labels: Mapping[str, str]) -> bool:
    """True when a metav1.LabelSelector selects ``labels`` (an empty one selects all)."""
    selector = selector or {}
    for key, value in (selector.get("matchLabels") or {}).items():
        if labels.get(key) != value:
            return False
    for requirement in selector.get("matchExpressions") or []:
        key, operator = requirement["key"], requirement["operator"]
        values = requirement.get("values") or []
        present = key in labels
        matched = {
            "In": present and labels.get(key) in values,
            "NotIn": not present or labels.get(key) not in values,
            "Exists": present,
            "DoesNotExist": not present,
        }.get(operator, False)
        if not matched:
            return False
    return True


def selects_everything(selector: Mapping[str, Any] | None) -> bool:
    """True for an absent or empty selector: every namespace, future ones too."""
    return not (selector or {}).get("matchLabels") and not (selector or {}).get("matchExpressions")


def coverage_problems(
    configurations: Sequence[Mapping[str, Any]],
    namespaces: Mapping[str, Mapping[str, str]] | None,
) -> list[str]:
    """Why the webhooks do not cover the watched namespaces (empty: they do).

    ``namespaces`` maps each watched namespace to its labels; None means the
    operator watches the whole cluster, which only a selector of everything covers.
    """
    problems = []
    for configuration in configurations:
        kind = configuration.get("kind", "WebhookConfiguration")
        name = (configuration.get("metadata") or {}).get("name", "")
        for hook in configuration.get("webhooks") or []:
            selector = hook.get("namespaceSelector")
            where = f"{kind} {name}, webhook {hook.get('name')}"
            if namespaces is None:
                if not selects_everything(selector):
                    problems.append(
                        f"{where}: its namespaceSelector {_plain(selector)} does not select "
                        "every namespace, and the operator watches the whole cluster"
                    )
                continue
            missed = sorted(
                ns for ns, labels in namespaces.items() if not selector_matches(selector, labels)
            )
            if missed:
                problems.append(
                    f"{where}: its namespaceSelector {_plain(selector)} does not select the "
                    f"watched namespaces {', '.join(missed)}"
                )
    return problems


def _plain(selector: Mapping[str, Any] | None) -> str:
    parts = [f"{k}={v}" for k, v in ((selector or {}).get("matchLabels") or {}).items()]
    for requirement in (selector or {}).get("matchExpressions") or []:
        values = ",".join(requirement.get("values") or [])
        parts.append(
            f"{requirement['key']} {requirement['operator']} ({values})".replace(" ()", "")
        )
    return "{" + "; ".join(parts) + "}"
