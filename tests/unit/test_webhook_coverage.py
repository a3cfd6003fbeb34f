"""Which watched namespaces a webhook's namespaceSelector misses (the start-up check)."""

from __future__ import annotations

from typing import Any

import pytest

from appdeploy.admission.coverage import coverage_problems, selector_matches

TEAM_A = {"kubernetes.io/metadata.name": "team-a", "tier": "prod"}
NAME = "kubernetes.io/metadata.name"


@pytest.mark.parametrize(
    ("selector", "matches"),
    [
        (None, True),
        ({}, True),
        ({"matchLabels": {"tier": "prod"}}, True),
        ({"matchLabels": {"tier": "dev"}}, False),
        ({"matchExpressions": [{"key": NAME, "operator": "In", "values": ["team-a"]}]}, True),
        ({"matchExpressions": [{"key": NAME, "operator": "NotIn", "values": ["team-a"]}]}, False),
        ({"matchExpressions": [{"key": "tier", "operator": "Exists"}]}, True),
        ({"matchExpressions": [{"key": "tier", "operator": "DoesNotExist"}]}, False),
        ({"matchExpressions": [{"key": "owner", "operator": "NotIn", "values": ["x"]}]}, True),
    ],
)  # fmt: skip
def test_label_selectors_match_as_the_api_server_does(
    selector: dict[str, Any] | None, matches: bool
) -> None:
    assert selector_matches(selector, TEAM_A) is matches


def configuration(selector: dict[str, Any] | None) -> dict[str, Any]:
    hook: dict[str, Any] = {"name": "sign-decisions.appdeploy.dev"}
    if selector is not None:
        hook["namespaceSelector"] = selector
    return {"kind": "MutatingWebhookConfiguration", "metadata": {"name": "ad"}, "webhooks": [hook]}


def test_uncovered_namespaces_are_named() -> None:
    only_a = {"matchLabels": {"kubernetes.io/metadata.name": "team-a"}}
    watched = {"team-a": TEAM_A, "team-b": {"kubernetes.io/metadata.name": "team-b"}}
    assert coverage_problems([configuration(only_a)], watched) == [
        "MutatingWebhookConfiguration ad, webhook sign-decisions.appdeploy.dev: its "
        "namespaceSelector {kubernetes.io/metadata.name=team-a} does not select the watched "
        "namespaces team-b"
    ]
    assert coverage_problems([configuration(None)], watched) == []


def test_the_whole_cluster_is_covered_only_by_a_selector_of_everything() -> None:
    assert coverage_problems([configuration({})], None) == []
    [problem] = coverage_problems([configuration({"matchLabels": {"tier": "prod"}})], None)
    assert problem.endswith(
        "{tier=prod} does not select every namespace, and the operator watches the whole cluster"
    )
