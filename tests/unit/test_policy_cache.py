"""The operator's ReleasePolicy cache: fail closed until listed, watch events win over the list."""

from __future__ import annotations

from typing import Any

from appdeploy.controller.policies import NOT_LISTED, PolicyCache


def policy(name: str, tier: str = "production", generation: int = 1, **spec: Any) -> dict[str, Any]:
    return {
        "metadata": {"name": name, "generation": generation},
        "spec": {
            "namespaceSelector": {"matchLabels": {"appdeploy.dev/tier": tier}},
            "apps": ["shop-*"],
            "requireGates": [{"name": "compliance"}],
            **spec,
        },
    }


def namespace(name: str, **labels: str) -> dict[str, Any]:
    return {"metadata": {"name": name, "labels": labels}}


PROD = namespace("shop-prod", **{"appdeploy.dev/tier": "production"})


def test_nothing_is_known_before_the_first_list() -> None:
    cache = PolicyCache()
    cache.put_policy(policy("store"), deleted=False)
    cache.put_namespace(PROD, deleted=False)
    assert cache.facts("shop-prod", "shop-ios").unknown == NOT_LISTED


def test_the_policies_that_select_the_namespace_and_the_app_apply() -> None:
    cache = PolicyCache()
    cache.prime(
        [policy("store", generation=3), policy("staging", tier="staging")],
        [PROD, namespace("shop-dev")],
    )
    facts = cache.facts("shop-prod", "shop-ios")
    assert facts.unknown == ""
    assert [(p.name, p.generation) for p in facts.applicable] == [("store", 3)]
    assert cache.facts("shop-prod", "games").applicable == ()
    assert cache.facts("shop-dev", "shop-ios").applicable == ()


def test_a_policy_deleted_before_the_list_came_back_stays_deleted() -> None:
    cache = PolicyCache()
    cache.put_policy(policy("store"), deleted=True)
    cache.prime([policy("store")], [PROD])
    assert cache.facts("shop-prod", "shop-ios").applicable == ()


def test_a_newer_watch_event_is_not_overwritten_by_the_list() -> None:
    cache = PolicyCache()
    cache.put_namespace(namespace("shop-prod"), deleted=False)  # label removed since the list
    cache.prime([policy("store")], [PROD])
    assert cache.facts("shop-prod", "shop-ios").applicable == ()


def test_an_unreadable_policy_makes_every_release_unknown() -> None:
    cache = PolicyCache()
    cache.prime([policy("store"), policy("broken", requireGates=[])], [PROD])
    unknown = cache.facts("shop-prod", "shop-ios").unknown
    assert "ReleasePolicy broken cannot be read" in unknown and "spec.requireGates" in unknown
    assert cache.put_policy(policy("broken"), deleted=True)
    assert cache.facts("shop-prod", "shop-ios").unknown == ""


def test_a_namespace_not_seen_is_read_once_and_kept() -> None:
    cache = PolicyCache()
    cache.prime([policy("store")], [])
    reads: list[str] = []

    def read(name: str) -> dict[str, Any] | None:
        reads.append(name)
        return PROD if name == "shop-prod" else None

    assert [p.name for p in cache.facts("shop-prod", "shop-ios", read).applicable] == ["store"]
    cache.facts("shop-prod", "shop-ios", read)
    assert reads == ["shop-prod"]
    assert (
        cache.facts("gone", "shop-ios", read).unknown
        == "the labels of namespace gone are not known"
    )


def test_changes_are_reported_only_when_what_the_policy_says_changed() -> None:
    cache = PolicyCache()
    cache.prime([], [])
    assert cache.put_policy(policy("store"), deleted=False)
    assert not cache.put_policy(policy("store"), deleted=False)
    assert cache.put_policy(policy("store", generation=2), deleted=False)
    assert cache.put_namespace(PROD, deleted=False)
    assert not cache.put_namespace(PROD, deleted=False)
