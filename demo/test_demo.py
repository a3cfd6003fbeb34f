"""Pure tests of the demo's pieces (``.venv/bin/pytest demo``); ``make demo`` is the real proof."""

from __future__ import annotations

import io
import json
import shlex
from datetime import timedelta
from pathlib import Path
from typing import Any, ClassVar

import pytest
import yaml

from appdeploy.api.policy import ReleasePolicy, ReleasePolicySpec
from appdeploy.api.validation import parse_spec
from appdeploy.engine.policy_judgement import judge
from demo import session as session_module
from demo.approvers import Approver, Outcome, approve_argv, approvers_for, shell_command
from demo.policy import POLICY_FILE, shortcut
from demo.release import (
    DURATION_ANNOTATION,
    OUTPUT_ANNOTATION,
    DemoRelease,
    demo_release,
    demo_seconds,
    load_example,
    what_changed,
)
from demo.session import DemoFailed, Session
from demo.view import Printer, ReleaseView
from demo.webhooks import KEY_SECRET, demo_webhooks

KUBECONFIG = Path("/k/kubeconfig")


@pytest.fixture(scope="module")
def release() -> DemoRelease:
    return demo_release(load_example())


def _run_steps(manifest: dict[str, Any]) -> list[dict[str, Any]]:
    spec = manifest["spec"]
    return [s for s in [*spec["steps"], *spec["finally"]] if "run" in s]


def test_soaks_are_shortened_and_the_example_is_not_touched(release: DemoRelease) -> None:
    assert release.shortened == {
        "soak-1pct": ("24h", "3s"),
        "soak-10pct": ("24h", "3s"),
        "soak-50pct": ("48h", "6s"),
    }
    assert demo_seconds("30m") == "1s"
    waits = [s["wait"]["duration"] for s in load_example()["spec"]["steps"] if "wait" in s]
    assert waits == ["24h", "24h", "48h"]


def test_hand_offs_play_an_hour_as_a_second_and_deadlines_stay(release: DemoRelease) -> None:
    steps = {s["name"]: s for s in release.manifest["spec"]["steps"]}
    qa = steps["qa-signoff"]
    assert qa["gate"]["notify"]["remind"] == {"every": "4s", "beforeDeadline": "2h"}
    assert [level["after"] for level in qa["gate"]["notify"]["escalate"]] == ["12s", "24s", "36s"]
    assert qa["gate"]["notify"]["escalate"][2]["extendDeadline"] == "12h"
    assert qa["timeout"] == "48h"  # a person approving by hand has the example's time
    assert steps["compliance"]["gate"]["notify"]["remind"] == {"every": "24s"}
    assert release.handoffs["qa-signoff"]["remind.every"] == ("4h", "4s")
    assert "qa-signoff reminds every 4s, escalates after 12s, 24s, 36s" in what_changed(release)
    example = {s["name"]: s for s in load_example()["spec"]["steps"]}
    assert example["qa-signoff"]["gate"]["notify"]["remind"]["every"] == "4h"


def test_every_run_step_finishes_in_one_to_three_seconds(release: DemoRelease) -> None:
    steps = _run_steps(release.manifest)
    assert len(steps) == 14
    for step in steps:
        value = step["run"]["podMetadata"]["annotations"][DURATION_ANNOTATION]
        assert value in ("1s", "2s", "3s"), step["name"]


def test_builds_report_the_outputs_used_downstream(release: DemoRelease) -> None:
    by_name = {
        s["name"]: s["run"]["podMetadata"]["annotations"] for s in _run_steps(release.manifest)
    }
    assert json.loads(by_name["build-ios"][OUTPUT_ANNOTATION]) == {"buildNumber": "412"}
    assert json.loads(by_name["build-android"][OUTPUT_ANNOTATION]) == {"versionCode": "4120"}
    assert OUTPUT_ANNOTATION not in by_name["sign-ios"]


def test_what_the_cluster_must_hold(release: DemoRelease) -> None:
    assert release.namespace == "mobile-releases"
    assert release.service_accounts == ("release-runner", "ios-signer")
    assert set(release.secrets) == {
        "ios-signing",
        "android-keystore",
        "app-store-connect-api-key",
        "play-service-account",
        "release-notifications",
    }
    assert "password" in release.secrets["android-keystore"]
    assert "slack-webhook-url" in release.secrets["release-notifications"]
    assert release.node_labels == {"acme.dev/pool": "macos"}


def test_the_cast_may_decide_and_compliance_is_someone_else(release: DemoRelease) -> None:
    people = {}
    for name in ("qa-signoff", "compliance", "go-full-rollout"):
        gate = release.spec.step(name).gate
        assert gate is not None
        people[name] = approvers_for(name, gate)
    assert [a.user for a in people["qa-signoff"]] == ["alice@example.com", "bob@example.com"]
    qa = {a.user for a in people["qa-signoff"]}
    assert not qa & {a.user for a in people["compliance"]}
    assert len(people["go-full-rollout"]) == 1


def test_the_printed_command_is_the_plain_cli_one() -> None:
    alice = Approver("alice@example.com", ("qa",), "tested on iPhone 15")
    argv = approve_argv("mobile-releases", "shop-4-12-0", "qa-signoff", alice)
    assert shell_command(argv) == (
        "kubectl appdeploy approve shop-4-12-0 qa-signoff -m 'tested on iPhone 15' "
        "-n mobile-releases --as alice@example.com --as-group qa"
    )
    assert shlex.split(shell_command(argv)) == argv


def test_the_operator_signs_approvals_through_webhooks_on_loopback(tmp_path: Path) -> None:
    webhooks = demo_webhooks(None, tmp_path, "mobile-releases")
    args = webhooks.operator_args()
    assert "--trust-unverified-approvals" not in args
    assert args[args.index("--approval-key-secret") + 1] == KEY_SECRET
    assert args[args.index("--webhook-address") + 1] == f"127.0.0.1:{webhooks.port}"
    assert webhooks.serving.cert.exists() and webhooks.serving.key.exists()
    configurations = webhooks.configurations()
    assert [c["metadata"]["name"] for c in configurations] == ["appdeploy-mobile-releases"] * 2
    hooks = [hook for c in configurations for hook in c["webhooks"]]
    assert {hook["name"].split(".")[0] for hook in hooks} == {
        "sign-decisions",
        "sign-spec",
        "sign-break-glass",
        "check-decisions",
        "validate-spec",
    }
    for hook in hooks:
        assert hook["clientConfig"]["url"].startswith(f"https://127.0.0.1:{webhooks.port}/")
        # Only the demo's namespace: tests sharing the cluster keep their own webhooks.
        assert hook["namespaceSelector"] == {
            "matchLabels": {"kubernetes.io/metadata.name": "mobile-releases"}
        }


def _body(
    steps: list[dict[str, Any]], notifications: list[dict[str, Any]] | None = None
) -> dict[str, Any]:
    phase = "AwaitingApproval" if any(s["phase"] == "Waiting" for s in steps) else "Running"
    status = {"run": 1, "phase": phase, "message": "m", "steps": steps}
    return {
        "metadata": {"name": "shop-4-12-0", "generation": 1},
        "status": {**status, "notifications": notifications or []},
    }


def _reminder(state: str = "Sent") -> dict[str, Any]:
    """The first reminder of qa-signoff, as the planner and a delivery worker record it."""
    return {
        "id": "r1", "event": "GateReminded", "channel": "mobile-qa", "run": 1,
        "step": "qa-signoff", "ordinal": 1, "state": state,
        "title": "shop 4.12.0: reminder: qa-signoff still waits for approval",
        "createdAt": "2026-11-27T09:00:04Z",
        "sentAt": "2026-11-27T09:00:05Z" if state == "Sent" else None,
    }  # fmt: skip


def _gate(approvals: list[str], phase: str = "Waiting") -> dict[str, Any]:
    return {
        "name": "qa-signoff",
        "type": "gate",
        "phase": phase,
        "message": "QA verifies iOS build 412",
        "approvals": [
            {
                "user": u,
                "groups": ["qa"],
                "comment": f"tested by {u}",
                "at": "2026-11-27T09:00:00Z",
                "verified": True,
            }
            for u in approvals
        ],
    }


def test_the_view_prints_only_changes(release: DemoRelease) -> None:
    out = io.StringIO()
    view = ReleaseView(release.spec, Printer(out, colour=False))
    build = {"name": "build-ios", "type": "run", "phase": "Running", "attempts": 1}
    pending = {"name": "sign-ios", "type": "run", "phase": "Pending"}
    view.show(_body([build, pending]))
    view.show(_body([build, pending]))
    done = {
        **build,
        "phase": "Succeeded",
        "outputs": {"buildNumber": "412"},
        "startedAt": "2026-11-27T09:00:00Z",
        "finishedAt": "2026-11-27T09:00:04Z",
    }
    view.show(_body([done, pending]))
    lines = out.getvalue().splitlines()
    assert len(lines) == 3
    assert "build-ios" in lines[0] and "Running" in lines[0] and "attempt 1" in lines[0]
    assert "release" in lines[1]
    assert "Succeeded" in lines[2] and "buildNumber=412  (4s)" in lines[2]


def test_the_view_shows_each_verified_approval_even_when_the_gate_passed_at_once(
    release: DemoRelease,
) -> None:
    out = io.StringIO()
    view = ReleaseView(release.spec, Printer(out, colour=False))
    view.show(_body([_gate([])]))
    both = ["alice@example.com", "bob@example.com"]
    view.show(_body([_gate(both, phase="Succeeded")]))
    lines = out.getvalue().splitlines()[2:]
    assert "approved" in lines[0]
    assert "1 of 2: alice@example.com (qa), signature verified: tested by alice" in lines[0]
    assert "2 of 2: bob@example.com (qa), signature verified: tested by bob" in lines[1]
    assert "Succeeded" in lines[2]


class _FakeApproval:
    """Stands in for the approval command's process: the session's bookkeeping is tested."""

    started: ClassVar[list[str]] = []

    def __init__(self, kubeconfig: Path, ns: str, name: str, gate: str, who: Approver) -> None:
        self.gate, self.approver = gate, who
        self.command = shell_command(approve_argv(ns, name, gate, who))
        self.shown = f"$ {self.command}"
        self.stopped = False
        _FakeApproval.started.append(who.user)

    def finish(self) -> Outcome:
        return Outcome(self.gate, self.approver, self.command, True, "approved")

    def stop(self) -> None:
        self.stopped = True


def _auto_session(
    release: DemoRelease, monkeypatch: pytest.MonkeyPatch
) -> tuple[Session, list[str], io.StringIO]:
    _FakeApproval.started = []
    monkeypatch.setattr(session_module, "RunningApproval", _FakeApproval)
    out = io.StringIO()
    session = Session(release, "uid", KUBECONFIG, True, Printer(out, colour=False), Path("log"))
    reported: list[str] = []
    session.report = lambda name, result: reported.append(name)
    return session, reported, out


def test_auto_approval_starts_both_approvers_at_the_same_moment(
    release: DemoRelease, monkeypatch: pytest.MonkeyPatch
) -> None:
    session, reported, out = _auto_session(release, monkeypatch)
    session.on_release(_body([_gate([])]))
    # QA approves once reminded: the demo always shows a reminder while a gate waits.
    assert "once the first reminder is out (every 4s)" in out.getvalue()
    assert "the first reminder of qa-signoff to be delivered" in session.waiting_for()
    session.on_release(_body([_gate([])], [_reminder("Pending")]))
    assert _FakeApproval.started == []
    session.on_release(_body([_gate([])], [_reminder()]))
    # Both at once, without waiting for the operator to take the first.
    assert _FakeApproval.started == ["alice@example.com", "bob@example.com"]
    assert reported == [
        "approve qa-signoff as alice@example.com",
        "approve qa-signoff as bob@example.com",
    ]
    assert "at the same moment" in out.getvalue()
    assert "kubectl appdeploy approve shop-4-12-0 qa-signoff" in out.getvalue()
    waiting = session.waiting_for()
    assert "alice@example.com (qa-signoff), bob@example.com (qa-signoff)" in waiting
    session.on_release(_body([_gate(["alice@example.com"])], [_reminder()]))  # not started again
    assert len(_FakeApproval.started) == 2
    running = list(session.running.values())
    session.on_outcome(running[0].finish())
    assert len(session.running) == 1
    session.stop()
    assert running[1].stopped and not session.running


def test_a_failed_approval_ends_the_demo_with_what_the_command_said(
    release: DemoRelease, monkeypatch: pytest.MonkeyPatch
) -> None:
    session, _, _ = _auto_session(release, monkeypatch)
    session.on_release(_body([_gate([])], [_reminder()]))
    alice = next(iter(session.running.values()))
    refused = Outcome("qa-signoff", alice.approver, alice.command, False, "error: forbidden")
    with pytest.raises(DemoFailed) as failed:
        session.on_outcome(refused)
    assert str(failed.value) == (
        "approving qa-signoff as alice@example.com failed: error: forbidden"
    )


def test_a_person_is_shown_the_plain_commands_to_run_from_another_terminal(
    release: DemoRelease,
) -> None:
    out = io.StringIO()
    session = Session(release, "uid", KUBECONFIG, False, Printer(out, colour=False), Path("log"))
    session.on_release(_body([_gate([])]))
    text = out.getvalue()
    assert "export KUBECONFIG=/k/kubeconfig PATH=" in text
    for who, said in (("alice", "tested on iPhone 15"), ("bob", "tested on Pixel 8")):
        assert (
            f"kubectl appdeploy approve shop-4-12-0 qa-signoff -m '{said}' -n mobile-releases "
            f"--as {who}@example.com --as-group qa"
        ) in text
    assert "annotate" not in text and "{" not in text
    assert "same moment" in text


def test_an_approval_after_a_retry_cleared_the_gate_is_shown(release: DemoRelease) -> None:
    out = io.StringIO()
    view = ReleaseView(release.spec, Printer(out, colour=False))
    view.show(_body([_gate(["alice@example.com", "bob@example.com"], phase="Succeeded")]))
    # Retried, and carol approved the fresh gate before the view saw it empty.
    view.show(_body([_gate(["carol@example.com"])]))
    assert "1 of 2: carol@example.com (qa), signature verified" in out.getvalue()


def test_the_shortcut_breaks_the_example_policy_and_only_there(release: DemoRelease) -> None:
    document = yaml.safe_load(POLICY_FILE.read_text())
    policy = ReleasePolicy(
        document["metadata"]["name"], ReleasePolicySpec.model_validate(document["spec"])
    )
    demo_spec = parse_spec(release.manifest["spec"], remind_floor=timedelta(0))
    assert judge(demo_spec, [policy]).denied == ()
    cut = parse_spec(shortcut(release)["spec"], remind_floor=timedelta(0))
    denied = judge(cut, [policy]).denied
    assert [(v.rule, v.path) for v in denied] == [("protect", "spec.steps[9]")]
    assert release.manifest["spec"] != shortcut(release)["spec"]  # the release is untouched
