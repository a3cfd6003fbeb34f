"""Gates on the real control plane: people approve as themselves (impersonated), through RBAC."""

from __future__ import annotations

from tests.integration.releases import Releases, gate_step, release_spec, run_step


def qa_release(**gate: object) -> dict[str, object]:
    return release_spec(
        run_step("build", outputs={"buildNumber": "412"}),
        gate_step(
            "qa-signoff",
            ["build"],
            required=2,
            description="QA checks build $(steps.build.outputs.buildNumber)",
            **gate,
        ),
        run_step("ship", ["qa-signoff"]),
    )


def test_two_distinct_qa_people_pass_the_gate(releases: Releases) -> None:
    releases.apply("shop", qa_release())
    waiting = releases.wait_for("shop", phase="AwaitingApproval")
    assert waiting.step("qa-signoff").message == "QA checks build 412"
    assert waiting.message.startswith("qa-signoff: 0 of 2 approvals (group qa), deadline ")

    releases.approve("shop", "qa-signoff", as_user="alice", comment="ok on iPhone 15")
    assert releases.status("shop").message.startswith("qa-signoff: 1 of 2 approvals")
    releases.approve("shop", "qa-signoff", as_user="bob")

    done = releases.wait_for("shop", phase="Succeeded")
    approvals = done.step("qa-signoff").approvals
    assert [(a.user, a.groups, a.comment) for a in approvals] == [
        ("alice", ["qa"], "ok on iPhone 15"),
        ("bob", ["qa"], ""),
    ]
    releases.wait_for_event("shop", "ApprovalAccepted", "qa-signoff approved by bob (2 of 2)")


def test_one_person_approving_twice_counts_once(releases: Releases) -> None:
    releases.apply("shop", qa_release())
    releases.wait_for("shop", phase="AwaitingApproval")
    releases.approve("shop", "qa-signoff", as_user="alice", comment="first")
    releases.approve("shop", "qa-signoff", as_user="alice", comment="again")
    releases.wait_for_event("shop", "ApprovalRefused", "alice already approved qa-signoff")
    status = releases.status("shop")
    assert [a.user for a in status.step("qa-signoff").approvals] == ["alice"]
    assert status.phase == "AwaitingApproval"


def test_someone_outside_qa_is_refused_and_nothing_changes(releases: Releases) -> None:
    releases.apply("shop", qa_release())
    before = releases.wait_for("shop", phase="AwaitingApproval")
    releases.approve("shop", "qa-signoff", as_user="mallory", groups=["dev"])
    _, _, message = releases.wait_for_event("shop", "ApprovalRefused")
    assert message == (
        "approval of qa-signoff by mallory refused: mallory is not an approver of "
        "qa-signoff: it needs group qa"
    )
    after = releases.status("shop")
    assert after.steps == before.steps
    assert after.phase == "AwaitingApproval"


def test_a_person_without_rbac_cannot_even_annotate(releases: Releases) -> None:
    releases.apply("shop", qa_release())
    releases.wait_for("shop", phase="AwaitingApproval")
    result = releases.annotate(
        "shop", "approve.appdeploy.dev/qa-signoff", "ok", as_user="eve", groups=["contractors"]
    )
    assert result.returncode != 0
    assert "forbidden" in result.stderr.lower()
    assert "approve.appdeploy.dev/qa-signoff" not in releases.annotations("shop")


def test_a_rejection_fails_the_run(releases: Releases) -> None:
    releases.apply("shop", qa_release())
    releases.wait_for("shop", phase="AwaitingApproval")
    releases.approve("shop", "qa-signoff", as_user="alice")
    releases.reject("shop", "qa-signoff", as_user="bob", reason="crash on launch, Android 14")
    failed = releases.wait_for("shop", phase="Failed")
    gate = failed.step("qa-signoff")
    assert gate.rejection is not None and gate.rejection.user == "bob"
    assert failed.message == "qa-signoff failed: rejected by bob: crash on launch, Android 14"
    assert failed.step("ship").phase == "Skipped"


def test_a_gate_deadline_with_on_timeout_fail(releases: Releases) -> None:
    releases.apply("shop", qa_release(timeout="2s"))
    failed = releases.wait_for("shop", phase="Failed")
    assert failed.step("qa-signoff").message == "no decision before its deadline (0 of 2 approvals)"


def test_a_gate_deadline_with_on_timeout_approve(releases: Releases) -> None:
    releases.apply("shop", qa_release(timeout="2s", onTimeout="Approve"))
    done = releases.wait_for("shop", phase="Succeeded")
    assert done.step("qa-signoff").message == "approved at its deadline (0 of 2 approvals)"


def test_distinct_from_keeps_qa_off_compliance(releases: Releases) -> None:
    releases.apply(
        "shop",
        release_spec(
            gate_step("qa-signoff"),
            gate_step(
                "compliance",
                ["qa-signoff"],
                approvers={"groups": ["compliance", "qa"]},
                distinctFrom=["qa-signoff"],
            ),
        ),
    )
    releases.wait_for("shop", steps={"qa-signoff": "Waiting"})
    releases.approve("shop", "qa-signoff", as_user="alice")
    releases.wait_for("shop", steps={"compliance": "Waiting"})
    releases.approve("shop", "compliance", as_user="alice", groups=["qa", "compliance"])
    releases.wait_for_event("shop", "ApprovalRefused", "must be decided by someone else")
    releases.approve("shop", "compliance", as_user="carol", groups=["compliance"])
    releases.wait_for("shop", phase="Succeeded")
