"""Pure tests of the demo's pieces (``.venv/bin/pytest demo``); ``make demo`` is the real proof."""

from __future__ import annotations

import io
import json
import shlex
from pathlib import Path
from typing import Any

import pytest

from demo import session as session_module
from demo.approvers import Approver, Outcome, approvers_for, kubectl_argv, shell_command
from demo.release import (
    DURATION_ANNOTATION,
    OUTPUT_ANNOTATION,
    DemoRelease,
    demo_release,
    demo_seconds,
    load_example,
)
from demo.session import Session
from demo.view import Printer, ReleaseView

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


def test_the_printed_command_is_the_one_from_the_issue() -> None:
    alice = Approver("alice@example.com", ("qa",), "tested on iPhone 15")
    argv = kubectl_argv(KUBECONFIG, "mobile-releases", "shop-4-12-0", "qa-signoff", alice)
    assert shell_command(argv) == (
        "kubectl --kubeconfig /k/kubeconfig -n mobile-releases annotate appdeployment "
        'shop-4-12-0 \'approve.appdeploy.dev/qa-signoff={"user":"alice@example.com",'
        '"groups":["qa"],"comment":"tested on iPhone 15"}\' --as alice@example.com --as-group qa'
    )
    assert shlex.split(shell_command(argv)) == argv


def _body(steps: list[dict[str, Any]], annotations: dict[str, str] | None = None) -> dict[str, Any]:
    phase = "AwaitingApproval" if any(s["phase"] == "Waiting" for s in steps) else "Running"
    return {
        "metadata": {"name": "shop-4-12-0", "generation": 1, "annotations": annotations or {}},
        "status": {"run": 1, "phase": phase, "message": "m", "steps": steps},
    }


def _gate(approvals: list[str]) -> dict[str, Any]:
    return {
        "name": "qa-signoff",
        "type": "gate",
        "phase": "Waiting",
        "message": "QA verifies iOS build 412",
        "approvals": [{"user": u, "at": "2026-11-27T09:00:00Z"} for u in approvals],
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


def test_auto_approval_waits_until_the_previous_one_was_consumed(
    release: DemoRelease, monkeypatch: pytest.MonkeyPatch
) -> None:
    fired: list[str] = []

    def fake_run(kubeconfig: Path, ns: str, name: str, gate: str, who: Approver) -> Outcome:
        fired.append(who.user)
        return Outcome("kubectl ...", True, "annotated")

    monkeypatch.setattr(session_module, "run_as_approver", fake_run)
    out = io.StringIO()
    session = Session(release, "uid", KUBECONFIG, True, Printer(out, colour=False), Path("log"))
    key = "approve.appdeploy.dev/qa-signoff"
    session.on_release(_body([_gate([])]))
    assert fired == ["alice@example.com"]
    session.on_release(_body([_gate([])], {key: "{}"}))  # still pending
    assert fired == ["alice@example.com"]
    session.on_release(_body([_gate(["alice@example.com"])]))  # consumed and recorded
    assert fired == ["alice@example.com", "bob@example.com"]
    assert "consume approve.appdeploy.dev/qa-signoff" in session.waiting_for()
