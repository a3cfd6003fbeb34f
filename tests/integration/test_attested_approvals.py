"""Attested approvals on the real control plane: an approval says what was approved.

Given a release whose compliance gate declares ``attest: {buildDigest:
$(steps.build-ios.outputs.ipaSha256)}``, the digest coming from the build
Job's termination message (KWOK), and the operator serving its signing
webhooks on 127.0.0.1: the gate shows the resolved digest; ``appdeploy
approve`` attests it and the approval is stored with it and its signature;
an approval attesting another digest is refused by the webhook, naming the
key and both values, and nothing is stored; an attested value altered in
status stops that approval from counting.
"""

from __future__ import annotations

import json
from typing import Any

from tests.cluster.wait import wait_for
from tests.integration.admission_setup import admission, decide, pending, releases
from tests.integration.releases import Releases, gate_step, release_spec, run_cli, run_step

__all__ = ["admission", "releases"]  # fixtures used by the story below

DIGEST = "sha256:" + "a" * 64
STALE = "sha256:" + "b" * 64
NAME = "attested"


def attested_release() -> dict[str, Any]:
    return release_spec(
        run_step("build-ios", outputs={"ipaSha256": DIGEST, "buildNumber": "412"}),
        gate_step(
            "compliance",
            ["build-ios"],
            approvers={"groups": ["compliance"]},
            required=2,
            attest={"buildDigest": "$(steps.build-ios.outputs.ipaSha256)"},
        ),
        run_step("ship", ["compliance"]),
    )


def tamper(releases: Releases, name: str, attest: dict[str, str]) -> None:
    """Rewrite the first recorded approval's attested values, as a status writer could."""

    def change(body: dict[str, Any]) -> None:
        for step in body["status"]["steps"]:
            if step["name"] == "compliance":
                step["approvals"][0]["attest"] = attest

    releases.rewrite_status(name, change, "the tampered status to be written")


def test_an_approval_attests_the_gates_values_signed_and_nothing_else_counts(
    releases: Releases, cluster: Any
) -> None:
    releases.apply(NAME, attested_release())
    status = releases.wait_for(NAME, steps={"compliance": "Waiting"})
    assert status.step("compliance").attest == {"buildDigest": DIGEST}, "resolved from the Job"

    shown = run_cli(cluster.kubeconfig, releases.namespace, "status", NAME)
    assert f"attests buildDigest={DIGEST}" in shown.stdout, shown.stdout

    stale = json.dumps({"comment": "ok", "attest": {"buildDigest": STALE}})
    wrong = decide(releases, NAME, "compliance", "dave", ["compliance"], comment=stale)
    assert wrong.returncode != 0
    assert (
        f"approval of compliance by dave refused: you attested buildDigest={STALE}, "
        f"but the gate now attests {DIGEST}: read it again"
    ) in wrong.stderr
    bare = decide(releases, NAME, "compliance", "dave", ["compliance"], comment="looks fine")
    assert bare.returncode != 0
    assert f"compliance asks you to attest buildDigest={DIGEST}" in bare.stderr
    assert pending(releases, NAME, "compliance") == [], "a refused approval is not stored"
    assert releases.status(NAME).step("compliance").approvals == []

    carol = run_cli(
        cluster.kubeconfig,
        releases.namespace,
        "approve",
        NAME,
        "compliance",
        "-m",
        "digest matches the CI log",
        user="carol",
        groups=["compliance"],
    )
    assert carol.returncode == 0, carol.stderr
    assert f"You attest: buildDigest={DIGEST}" in carol.stdout
    status = releases.wait_for(NAME, steps={"compliance": "Waiting"})
    [approval] = status.step("compliance").approvals
    assert (approval.user, approval.attest, approval.verified) == (
        "carol",
        {"buildDigest": DIGEST},
        True,
    )
    assert len(approval.signature) == 64
    assert status.decisions[-1].attest == {"buildDigest": DIGEST}

    tamper(releases, NAME, {"buildDigest": STALE})
    wait_for(
        lambda: not releases.status(NAME).step("compliance").approvals[0].verified,
        60,
        "the operator to stop counting the altered approval",
    )
    dave = run_cli(
        cluster.kubeconfig,
        releases.namespace,
        "approve",
        NAME,
        "compliance",
        "--attest",
        f"buildDigest={DIGEST}",
        user="dave",
        groups=["compliance"],
    )
    assert dave.returncode == 0, dave.stderr
    status = releases.wait_for(NAME, steps={"compliance": "Waiting"})
    counted = [(a.user, a.verified) for a in status.step("compliance").approvals]
    assert counted == [("carol", False), ("dave", True)], "the altered approval is not counted"
    assert status.step("ship").phase == "Pending"
