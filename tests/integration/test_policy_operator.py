"""The operator fails closed on ReleasePolicies, with the admission webhook not configured.

The shared story operator runs without its webhook, as a cluster would while
the webhook is down: what the webhook would have refused reaches the
operator, which judges every run by the same code. A release breaking a
Deny policy is Invalid (reason PolicyViolation) and no Job is ever created;
Warn and Audit releases run with their verdict in ``status.policies``; a
policy created mid-run holds the protected step (``PolicyBlocked=True``)
while an unprotected one runs, until the policy is deleted or relaxed.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.cluster.operator import OperatorProcess
from tests.cluster.wait import wait_for
from tests.integration.job_creations import JobCreations
from tests.integration.policy_story import Policies, policies, production, upload_step
from tests.integration.releases import TIMEOUT, Releases, gate_step, release_spec, run_step

__all__ = ["policies"]  # the fixture


def ungated() -> dict[str, Any]:
    """build -> upload (reads the protected Secret) -> compliance: the gate comes too late."""
    compliance = gate_step("compliance", ["upload"], approvers={"groups": ["compliance"]})
    return release_spec(run_step("build"), upload_step(["build"]), compliance)


def condition(releases: Releases, name: str, kind: str) -> tuple[str, str, str]:
    """(status, reason, message) of one of the release's conditions."""
    found = next(c for c in releases.status(name).conditions if c.type == kind)
    return str(found.status), found.reason, found.message


def test_a_release_breaking_a_deny_policy_is_invalid_and_never_runs(
    api_client: Any, releases: Releases, policies: Policies
) -> None:
    policies.create_seen()
    creations = JobCreations(api_client, releases.namespace)
    try:
        releases.apply("shop", ungated())
        status = releases.wait_for("shop", phase="Invalid")
        violation = (
            f"spec.steps[1]: upload uses Secret asc-api-key, protected by ReleasePolicy "
            f"{policies.name}, and needs gate compliance upstream"
        )
        assert status.message == violation
        assert condition(releases, "shop", "Stalled") == ("True", "PolicyViolation", violation)
        releases.wait_for_event("shop", "PolicyViolation", violation)
        [result] = status.policies
        assert (result.policy, result.outcome, result.enforcement) == (
            policies.name,
            "Violated",
            "Deny",
        )
        assert result.violations == [violation]
        assert creations.counts("shop") == {}
    finally:
        creations.stop()
    assert releases.job_names("shop") == []


@pytest.mark.parametrize("enforcement", ["Warn", "Audit"])
def test_warn_and_audit_releases_run_and_record_the_verdict(
    releases: Releases, policies: Policies, enforcement: str
) -> None:
    policies.create_seen(enforcement=enforcement)
    releases.apply("shop", ungated())
    releases.wait_for("shop", phase="AwaitingApproval")
    releases.approve("shop", "compliance", as_user="carol", groups=["compliance"])
    status = releases.wait_for("shop", phase="Succeeded")
    [result] = status.policies
    assert (result.policy, result.outcome, result.enforcement) == (
        policies.name,
        "Violated",
        enforcement,
    )
    warned = [e for e in releases.events("shop") if e[1] == "PolicyViolation"]
    if enforcement == "Warn":
        assert [(kind, message.split(":")[0]) for kind, _, message in warned] == [
            ("Warning", f"ReleasePolicy {policies.name} (Warn) is violated, and the run goes on")
        ]
    else:
        assert warned == []


@pytest.mark.parametrize("relax", ["delete", "audit"])
def test_a_policy_created_mid_run_holds_the_protected_step_until_relaxed(
    releases: Releases, policies: Policies, relax: str
) -> None:
    spec = release_spec(
        gate_step("go"),
        upload_step(["go"]),
        run_step("notes", ["go"], seconds=2),
    )
    releases.apply("shop", spec)
    releases.wait_for("shop", phase="AwaitingApproval")
    policies.create()
    policies.seen_by("shop")

    releases.approve("shop", "go", as_user="alice")
    blocked = wait_for(
        lambda: (c := condition(releases, "shop", "PolicyBlocked"))[0] == "True" and c,
        TIMEOUT,
        "PolicyBlocked=True on shop",
    )
    assert blocked[1] == "PolicyViolation"
    assert blocked[2].startswith(
        f"upload is held: it uses Secret asc-api-key, protected by ReleasePolicy {policies.name}"
    )
    assert "requires a gate step named compliance" in blocked[2]
    releases.wait_for("shop", steps={"notes": "Succeeded", "upload": "Pending"})
    assert [job for job in releases.job_names("shop") if "upload" in job] == []
    releases.wait_for_event("shop", "PolicyBlocked", "upload is held")

    if relax == "delete":
        policies.delete()
    else:
        policies.patch(enforcement="Audit")
    done = releases.wait_for("shop", phase="Succeeded")
    assert condition(releases, "shop", "PolicyBlocked")[:2] == ("False", "NotBlocked")
    expected = [] if relax == "delete" else [("Violated", "Audit")]
    assert [(r.outcome, r.enforcement) for r in done.policies] == expected


def test_a_starting_operator_judges_by_the_policies_it_listed_first(
    cluster: Any,
    api_client: Any,
    unwatched_releases: Releases,
    job_creations: JobCreations,
    tmp_path: Path,
) -> None:
    """The policy and the release exist before the operator starts: nothing runs, ever."""
    story = production(api_client, unwatched_releases)
    story.create()
    try:
        unwatched_releases.apply("shop", ungated())
        namespace = unwatched_releases.namespace
        with OperatorProcess(cluster.kubeconfig, tmp_path / "operator.log", ["-n", namespace]):
            status = unwatched_releases.wait_for("shop", phase="Invalid")
        assert status.message.startswith("spec.steps[1]: upload uses Secret asc-api-key")
        assert job_creations.counts("shop") == {}
    finally:
        story.delete()
