"""The identity hooks as plain functions: what they sign, what they refuse, what they see."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from appdeploy.admission.configurations import webhook_configurations
from appdeploy.admission.decisions import changed_decisions, refusals, signed_values, target_of
from appdeploy.api.approvals import read_envelope
from appdeploy.k8s.annotations import authored_key
from tests.unit.harness import Simulation

KEY = b"k" * 32
NOW = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)


def stored(sim: Simulation, annotations: dict[str, str] | None = None) -> dict[str, Any]:
    return {
        "metadata": {
            "name": sim.name,
            "namespace": "ns",
            "uid": "uid-1",
            "generation": sim.generation,
            "annotations": annotations or {},
        },
        "spec": sim.spec,
        "status": sim.status,
    }


def test_only_added_or_changed_decision_annotations_count() -> None:
    old = {"metadata": {"annotations": {"approve.appdeploy.dev/qa": "x", "team": "a"}}}
    new = {
        "metadata": {
            "annotations": {
                "approve.appdeploy.dev/qa": "x",
                "reject.appdeploy.dev/compliance": "no",
                "team": "b",
                "appdeploy.dev/retry": "failed",
            }
        }
    }
    assert changed_decisions(old, new) == [("reject.appdeploy.dev/compliance", "no")]
    assert changed_decisions(new, {"metadata": {}}) == [], "removals are not decisions"


def test_the_caller_identity_replaces_whatever_they_wrote() -> None:
    sim = Simulation.of("gates")
    old = stored(sim)
    new = stored(sim, {"approve.appdeploy.dev/qa": '{"user": "ceo", "comment": "ok"}'})
    values = signed_values(old, new, username="alice", groups=["qa"], key=KEY, now=NOW)
    moved = values[authored_key("approve", "qa", "alice")]
    assert moved is not None and values["approve.appdeploy.dev/qa"] is None
    envelope = read_envelope("approve", "qa", moved)
    assert envelope is not None
    assert (envelope.user, envelope.groups, envelope.comment, envelope.run) == (
        "alice",
        ("qa",),
        "ok",
        1,
    )
    assert envelope.verify(KEY, target_of(new))


def test_refusals_match_the_planners_reasons() -> None:
    sim = Simulation.of("gates")
    old = stored(sim)
    new = stored(sim, {"approve.appdeploy.dev/compliance": "ok"})
    assert refusals(old, new, username="carol", groups=["compliance"], now=NOW) == [
        "approval of compliance by carol refused: compliance is Pending: it waits for qa (Waiting)"
    ]
    fine = stored(sim, {"approve.appdeploy.dev/qa": "ok"})
    assert refusals(old, fine, username="alice", groups=["qa"], now=NOW) == []
    created = refusals(None, fine, username="alice", groups=["qa"], now=NOW)
    assert created == [
        "approve.appdeploy.dev/qa: a new release has no waiting gate; approve once it waits"
    ]


def test_a_decision_on_a_spec_that_has_not_started_yet_is_refused() -> None:
    sim = Simulation.of("gates")
    old = stored(sim)
    old["metadata"]["generation"] = 2
    new = {
        **old,
        "metadata": {**old["metadata"], "annotations": {"approve.appdeploy.dev/qa": "ok"}},
    }
    [reason] = refusals(old, new, username="alice", groups=["qa"], now=NOW)
    assert reason.endswith(
        "the release's new spec has not started running yet; try again in a moment"
    )


def test_identity_hooks_only_see_decision_changes_and_fail_closed() -> None:
    mutating, validating = webhook_configurations("Q0E=", base_url="https://127.0.0.1:9443")
    sign, _, _ = mutating["webhooks"]  # and the attribution hooks (test_attribution.py)
    spec_hook, check = validating["webhooks"]
    assert sign["clientConfig"]["url"] == "https://127.0.0.1:9443/sign-decisions"
    assert (sign["failurePolicy"], check["failurePolicy"], spec_hook["failurePolicy"]) == (
        "Fail",
        "Fail",
        "Ignore",
    )
    # What the expression matches is evaluated by the real API server in
    # tests/integration/test_webhook_scoping.py; here: both hooks share it.
    assert sign["matchConditions"] == check["matchConditions"]
    assert [condition["name"] for condition in sign["matchConditions"]] == ["touches-decisions"]
    assert "matchConditions" not in spec_hook
    in_cluster = webhook_configurations(
        "Q0E=", service={"name": "appdeploy-webhook", "namespace": "appdeploy-system"}
    )
    assert in_cluster[1]["webhooks"][0]["clientConfig"]["service"] == {
        "name": "appdeploy-webhook",
        "namespace": "appdeploy-system",
        "path": "/validate-spec",
    }
