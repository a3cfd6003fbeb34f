"""An attacker who may write status cannot pass a gate: the operator verifies what it recorded.

Given a release waiting at its compliance gate, with the operator signing
decisions (webhook on 127.0.0.1, no --trust-unverified-approvals), when
someone with ``update`` on ``appdeployments/status`` writes the gate as
Succeeded with an approval of their making, then the operator fails the gate
(DecisionsUnverified) on its next pass, and the step behind it never runs.
"""

from __future__ import annotations

import json
from typing import Any

from appdeploy.api.naming import job_name_for
from tests.cluster.wait import wait_for
from tests.integration.admission_setup import Admission, admission, decide, releases
from tests.integration.releases import Releases, gate_step, release_spec, run_step

__all__ = ["admission", "releases"]


def two_gates() -> dict[str, Any]:
    return release_spec(
        run_step("build"),
        gate_step("qa", ["build"]),
        gate_step("compliance", ["qa"], approvers={"groups": ["compliance"]}),
        run_step("ship", ["compliance"]),
    )


def forge(releases: Releases, name: str) -> None:
    """Write compliance as Succeeded, approved by mallory, as a status writer could."""

    def change(body: dict[str, Any]) -> None:
        for step in body["status"]["steps"]:
            if step["name"] == "compliance":
                step["phase"] = "Succeeded"
                step["finishedAt"] = step["startedAt"]
                step["approvals"] = [
                    {
                        "user": "mallory",
                        "groups": ["compliance"],
                        "at": step["startedAt"],
                        "verified": True,
                        "run": body["status"]["run"],
                        "signature": "0" * 64,
                    }
                ]

    releases.rewrite_status(name, change, "the forged status to be written")


def test_a_gate_written_into_status_fails_closed_and_nothing_behind_it_runs(
    releases: Releases,
) -> None:
    releases.apply("forged-status", two_gates())
    releases.wait_for("forged-status", steps={"qa": "Waiting"})
    assert decide(releases, "forged-status", "qa", "alice", ["qa"]).returncode == 0
    releases.wait_for("forged-status", steps={"compliance": "Waiting"})

    forge(releases, "forged-status")

    status = releases.wait_for("forged-status", phase="Failed")
    compliance = status.step("compliance")
    assert compliance.phase == "Failed"
    assert "recorded approvals no longer verify (0 of 1" in compliance.message
    assert [(a.user, a.verified) for a in compliance.approvals] == [("mallory", False)]
    assert status.step("ship").phase == "Skipped"
    assert job_name_for("forged-status", "ship", 1, 1) not in releases.job_names("forged-status")
    releases.wait_for_event("forged-status", "DecisionsUnverified", "compliance failed")
    assert [(a.user, a.verified) for a in status.step("qa").approvals] == [("alice", True)]


def test_retry_is_signed_and_attributed_and_a_forged_one_is_refused(
    releases: Releases, admission: Admission
) -> None:
    releases.apply("attributed", release_spec(run_step("build", exit_code=1, message="boom")))
    releases.wait_for("attributed", phase="Failed")
    forged = json.dumps(
        {"v": 1, "user": "rm", "groups": [], "comment": "failed", "run": 1, "signature": "0" * 64}
    )
    admission.remove_webhooks()
    try:
        written = releases.annotate("attributed", "appdeploy.dev/retry", forged)
        assert written.returncode == 0, written.stderr
        wait_for(
            lambda: "appdeploy.dev/retry" not in releases.annotations("attributed"),
            60,
            "the forged retry to be consumed",
        )
    finally:
        admission.install_webhooks()
    releases.wait_for_event("attributed", "RetryRefused", "signature does not match")
    assert releases.status("attributed").phase == "Failed", "nothing was retried"

    asked = releases.annotate(
        "attributed", "appdeploy.dev/retry", "failed", as_user="carol", groups=["qa"]
    )
    assert asked.returncode == 0, asked.stderr
    releases.wait_for_event("attributed", "RetryAccepted", "asked by carol")
    [record] = releases.status("attributed").decisions
    assert (record.kind, record.target, record.user, record.verified) == (
        "retry",
        "failed",
        "carol",
        True,
    )
