"""The admission webhooks on the real control plane, with people acting as themselves.

The operator serves the webhooks on 127.0.0.1 (the API server dials
https://127.0.0.1:PORT, never a Service), signs every approval with the
caller's authenticated identity, and refuses decisions that would not count,
so kubectl prints the reason and nothing is stored.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from kubernetes.client.exceptions import ApiException

from appdeploy.k8s.labels import SPEC_AUTHOR_ANNOTATION
from tests.integration.admission_setup import (
    GITOPS,
    Admission,
    admission,
    consumed,
    decide,
    qa_and_compliance,
    releases,
)
from tests.integration.releases import Releases, release_spec, run_cli, run_step

__all__ = ["admission", "releases"]  # fixtures used by the stories below


def test_approvals_are_counted_under_the_callers_verified_names(releases: Releases) -> None:
    releases.apply("verified", qa_and_compliance())
    releases.wait_for("verified", steps={"qa-signoff": "Waiting"})
    for user in ("alice", "bob"):
        result = decide(
            releases,
            "verified",
            "qa-signoff",
            user,
            ["qa"],
            comment=f'{{"user": "ceo", "comment": "{user} tested it"}}',
        )
        assert result.returncode == 0, result.stderr
        consumed(releases, "verified", "qa-signoff")
    status = releases.wait_for("verified", steps={"qa-signoff": "Succeeded"})
    approvals = status.step("qa-signoff").approvals
    assert [(a.user, a.groups[:1], a.comment, a.verified) for a in approvals] == [
        ("alice", ["qa"], "alice tested it", True),
        ("bob", ["qa"], "bob tested it", True),
    ]


def test_refusals_are_printed_by_kubectl_and_change_nothing(releases: Releases) -> None:
    releases.apply("refusals", qa_and_compliance())
    releases.wait_for("refusals", steps={"qa-signoff": "Waiting"})

    mallory = decide(releases, "refusals", "qa-signoff", "mallory", ["dev"])
    assert mallory.returncode != 0
    assert (
        "approval of qa-signoff by mallory refused: mallory is not an approver of "
        "qa-signoff: it needs group qa or user system:serviceaccount:ci:release-bot"
    ) in mallory.stderr

    gitops = decide(
        releases,
        "refusals",
        "qa-signoff",
        GITOPS,
        ["system:serviceaccounts", "system:serviceaccounts:argocd", "qa"],
    )
    assert gitops.returncode != 0
    assert f"{GITOPS} is not an approver of qa-signoff" in gitops.stderr

    early = decide(releases, "refusals", "compliance", "carol", ["compliance"])
    assert early.returncode != 0
    assert "compliance is Pending: it waits for qa-signoff (Waiting)" in early.stderr

    assert decide(releases, "refusals", "qa-signoff", "alice", ["qa"]).returncode == 0
    consumed(releases, "refusals", "qa-signoff")
    twice = decide(releases, "refusals", "qa-signoff", "alice", ["qa"], comment="again")
    assert twice.returncode != 0
    assert "alice already approved qa-signoff" in twice.stderr

    assert decide(releases, "refusals", "qa-signoff", "bob", ["qa"]).returncode == 0
    releases.wait_for("refusals", steps={"compliance": "Waiting"})
    both = decide(releases, "refusals", "compliance", "alice", ["qa", "compliance"])
    assert both.returncode != 0
    assert "alice approved qa-signoff, and compliance must be decided by someone else" in (
        both.stderr
    )
    status = releases.status("refusals")
    assert [a.user for a in status.step("qa-signoff").approvals] == ["alice", "bob"]
    assert status.step("compliance").approvals == []
    left = [key for key in releases.annotations("refusals") if "appdeploy.dev/" in key]
    assert left == [SPEC_AUTHOR_ANNOTATION], "no decision is left, only who wrote the spec"


def test_a_forged_envelope_written_while_the_webhook_is_off_is_not_counted(
    releases: Releases, admission: Admission
) -> None:
    releases.apply("forged", qa_and_compliance())
    releases.wait_for("forged", steps={"qa-signoff": "Waiting"})
    run = releases.status("forged").run
    forged = json.dumps(
        {
            "v": 1,
            "user": "alice",
            "groups": ["qa"],
            "comment": "trust me",
            "at": "2026-11-27T10:00:00Z",
            "run": run,
            "signature": "0" * 64,
        }
    )
    admission.remove_webhooks()
    try:
        result = releases.annotate("forged", "approve.appdeploy.dev/qa-signoff", forged)
        assert result.returncode == 0, result.stderr
        consumed(releases, "forged", "qa-signoff")
    finally:
        admission.install_webhooks()
    _, _, message = releases.wait_for_event("forged", "ApprovalRefused", "signature does not match")
    assert message.startswith("approval of qa-signoff by alice refused")
    assert releases.status("forged").step("qa-signoff").approvals == []


def test_an_invalid_release_is_refused_by_kubectl_apply_and_not_stored(
    releases: Releases, kubectl: Callable[..., list[str]], tmp_path: Path
) -> None:
    manifest = tmp_path / "cycle.yaml"
    manifest.write_text(
        yaml.safe_dump(
            {
                "apiVersion": "appdeploy.dev/v1alpha1",
                "kind": "AppDeployment",
                "metadata": {"name": "cycle", "namespace": releases.namespace},
                "spec": release_spec(run_step("build", ["sign"]), run_step("sign", ["build"])),
            }
        )
    )
    applied = subprocess.run(
        kubectl("apply", "-f", str(manifest)), capture_output=True, text=True, check=False
    )
    assert applied.returncode != 0
    assert "spec.steps[0].needs: cycle build -> sign -> build" in applied.stderr
    with pytest.raises(ApiException) as missing:
        releases.get("cycle")
    assert missing.value.status == 404


def test_with_the_operator_down_specs_still_apply_but_approvals_wait(
    releases: Releases, admission: Admission
) -> None:
    spec = qa_and_compliance()
    releases.apply("down", spec)
    releases.wait_for("down", steps={"qa-signoff": "Waiting"})
    admission.operator.stop()
    try:
        releases.replace_spec("down", {**spec, "version": "1.0.1"})
        assert releases.get("down")["spec"]["version"] == "1.0.1"
        refused = decide(releases, "down", "qa-signoff", "alice", ["qa"])
        assert refused.returncode != 0
        assert "failed calling webhook" in refused.stderr
        assert "approve.appdeploy.dev/qa-signoff" not in releases.annotations("down")
    finally:
        admission.operator.start()
    releases.wait_for("down", run=2, steps={"qa-signoff": "Waiting"})


def test_the_cli_approves_through_the_webhook(
    releases: Releases, admission: Admission, cluster: Any
) -> None:
    def appdeploy(*args: str, user: str, groups: list[str]) -> subprocess.CompletedProcess[str]:
        return run_cli(cluster.kubeconfig, releases.namespace, *args, user=user, groups=groups)

    releases.apply("cli", qa_and_compliance())
    releases.wait_for("cli", steps={"qa-signoff": "Waiting"})
    done = appdeploy("approve", "cli", "qa-signoff", "-m", "ok", user="alice", groups=["qa"])
    assert done.returncode == 0, done.stderr
    [approval] = releases.status("cli").step("qa-signoff").approvals
    assert (approval.user, approval.verified) == ("alice", True)

    admission.operator.stop()
    try:
        down = appdeploy("approve", "cli", "qa-signoff", user="bob", groups=["qa"])
    finally:
        admission.operator.start()
    assert down.returncode == 1
    assert "failed calling webhook" in down.stderr, down.stderr
