"""What Flux's health checks see: the real kstatus library on releases from the real API server.

Flux's kustomize-controller (``wait: true``, ``healthChecks``) and kpt decide
health with ``sigs.k8s.io/cli-utils/pkg/kstatus/status.Compute``; the checker
in tests/kstatus runs exactly that on each object as the API server returned
it. docs/install.md (Flux) says what users should configure because of it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.cluster.operator import OperatorProcess
from tests.integration.releases import Releases, gate_step, release_spec, run_step
from tests.kstatus import Verdict, compute


def kstatus(releases: Releases, *names: str) -> list[Verdict]:
    return compute([releases.get(name) for name in names])


def test_a_release_not_yet_seen_by_the_operator_is_in_progress(
    cluster: Any, unwatched_releases: Releases, tmp_path: Path
) -> None:
    # Given a release applied from git while no operator watches its namespace
    releases = unwatched_releases
    releases.apply("shop", release_spec(run_step("build")))
    # Then kstatus does not call it Current (Flux would report it healthy at once)
    [verdict] = kstatus(releases, "shop")
    assert verdict == Verdict(
        "InProgress", "AppDeployment generation is 1, but latest observed generation is 0"
    )
    # And once an operator takes it, it runs to Current
    with OperatorProcess(cluster.kubeconfig, tmp_path / "operator.log", ["-n", releases.namespace]):
        releases.wait_for("shop", phase="Succeeded")
    assert kstatus(releases, "shop") == [Verdict("Current", "Resource is Ready")]


def test_kstatus_reads_every_phase_of_a_release(releases: Releases) -> None:
    # Given releases that will run, wait for people, succeed, fail, be cancelled, be invalid
    qa = gate_step("qa-signoff", required=1)
    releases.apply("running", release_spec(run_step("build", seconds=600)))
    releases.apply("awaiting", release_spec(qa))
    releases.apply("succeeds", release_spec(qa))
    releases.apply("rejected", release_spec(qa))
    releases.apply("cancelled", release_spec(qa))
    releases.apply("invalid", release_spec(run_step("a", ["b"]), run_step("b", ["a"])))
    releases.wait_for("running", steps={"build": "Running"})
    for name in ("awaiting", "succeeds", "rejected", "cancelled"):
        releases.wait_for(name, phase="AwaitingApproval")
    releases.approve("succeeds", "qa-signoff", as_user="alice")
    releases.reject("rejected", "qa-signoff", as_user="alice", reason="crashes on launch")
    releases.request("cancelled", "cancel", "wrong branch")
    releases.wait_for("succeeds", phase="Succeeded")
    releases.wait_for("rejected", phase="Failed")
    releases.wait_for("cancelled", phase="Cancelled")
    releases.wait_for("invalid", phase="Invalid")

    names = ("running", "awaiting", "succeeds", "rejected", "cancelled", "invalid")
    verdicts = dict(zip(names, kstatus(releases, *names), strict=True))
    assert {name: verdict.status for name, verdict in verdicts.items()} == {
        "running": "InProgress",
        "awaiting": "InProgress",  # people are deciding: not done, and not failed
        "succeeds": "Current",
        "rejected": "Failed",
        "cancelled": "Failed",
        "invalid": "Failed",
    }
    assert verdicts["running"].message == "running build"
    assert verdicts["awaiting"].message.startswith("qa-signoff: 0 of 1 approvals (group qa)")
    assert verdicts["rejected"].message == "qa-signoff failed: rejected by alice: crashes on launch"
    assert verdicts["invalid"].message == "spec.steps[0].needs: cycle a -> b -> a"
