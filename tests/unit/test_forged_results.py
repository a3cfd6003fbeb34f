"""Only the Job the operator created, and only the pods that Job controls, decide a step.

Labels and owner references can be copied by anyone who may create Jobs or
pods in the release's namespace; the uid the API server gave the operator's
Job cannot (docs/security.md, forged step results).
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from appdeploy.engine import JobState
from appdeploy.k8s.labels import CONTROLLER_UID
from appdeploy.k8s.observe import controlled_pods
from tests.unit.harness import Simulation

FORGED_OUTPUTS = '{"buildNumber": "666"}'


def test_a_forged_job_under_another_name_does_not_finish_the_step() -> None:
    sim = Simulation.of("linear")
    real = sim.job_of("build")
    # Same step, run and attempt labels (and owner reference), another name.
    sim.jobs["forged"] = replace(
        real,
        name="forged",
        uid="uid-forged",
        state=JobState.SUCCEEDED,
        termination_message=FORGED_OUTPUTS,
    )
    sim.reconcile()
    assert sim.step("build").phase == "Running"
    sim.jobs.pop("forged")
    sim.complete("build", '{"buildNumber": "412"}')
    assert sim.step("build").outputs == {"buildNumber": "412"}


def test_a_job_by_the_right_name_but_another_uid_is_not_the_steps() -> None:
    sim = Simulation.of("linear")
    real = sim.job_of("build")
    assert sim.step("build").job_uid == f"uid-{real.name}"
    # The real Job was deleted and someone created one by the same name.
    sim.jobs[real.name] = replace(
        real,
        uid="uid-replacement",
        state=JobState.SUCCEEDED,
        termination_message=FORGED_OUTPUTS,
    )
    sim.reconcile()
    build = sim.step("build")
    assert build.phase != "Succeeded" and build.outputs == {}
    assert f"Job {real.name} was deleted before it finished" in build.message


def test_a_job_adopted_after_a_crash_has_its_uid_recorded() -> None:
    sim = Simulation.of("linear")
    real = sim.job_of("build")
    assert sim.status is not None
    for step in sim.status["steps"]:
        step.pop("jobUID", None)  # an operator that crashed (or predates uids) recorded none
    sim.reconcile()
    assert sim.step("build").job_uid == real.uid


def _pod(labels: dict[str, str], owners: list[dict[str, Any]]) -> dict[str, Any]:
    return {"metadata": {"name": "p", "labels": labels, "ownerReferences": owners}}


def test_only_pods_the_job_controls_count() -> None:
    job = {"metadata": {"name": "j", "uid": "job-uid"}}
    label = {CONTROLLER_UID: "job-uid"}
    controller = {"uid": "job-uid", "controller": True}
    real = _pod(label, [controller])
    assert controlled_pods(job, [real]) == [real]
    assert controlled_pods(job, [_pod(label, [])]) == []  # labels copied, no owner
    assert controlled_pods(job, [_pod(label, [{**controller, "controller": False}])]) == []
    assert controlled_pods(job, [_pod({CONTROLLER_UID: "other"}, [controller])]) == []
    assert controlled_pods({"metadata": {"name": "j"}}, [real]) == []  # a Job without uid
