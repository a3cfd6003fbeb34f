"""apply_plan's order and its answers to a lost race, against a Cluster that records calls.

A narrow handler test: the recording Cluster stands in only for the order of
calls. The same stories against the real API server are in
tests/integration/test_apply_on_cluster.py.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest
from kubernetes.client.exceptions import ApiException

from appdeploy.api.spec import RunSpec
from appdeploy.api.status import AppDeploymentStatus, Phase
from appdeploy.engine import (
    CreateJob,
    DeleteJob,
    EventType,
    Plan,
    PostEvent,
    RefusedJob,
    RemoveAnnotation,
)
from appdeploy.k8s.apply import apply_plan
from appdeploy.k8s.jobs import job_labels

NOW = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)
UID = "uid-1"
RELEASE: dict[str, Any] = {
    "metadata": {
        "namespace": "ns",
        "name": "shop",
        "uid": UID,
        "resourceVersion": "7",
        "annotations": {"approve.appdeploy.dev/qa": "ok"},
    },
    "spec": {},
}


class RecordingCluster:
    """Records each call as (verb, what); answers as told."""

    def __init__(
        self, status_error: int | None = None, create_errors: dict[str, ApiException] | None = None
    ) -> None:
        self.calls: list[tuple[str, str]] = []
        self.status_error = status_error
        self.create_errors = create_errors or {}
        self.existing: dict[str, dict[str, Any]] = {}

    def create_job(self, namespace: str, manifest: dict[str, Any]) -> tuple[dict[str, Any], bool]:
        name = manifest["metadata"]["name"]
        self.calls.append(("create", name))
        if name in self.create_errors:
            raise self.create_errors[name]
        if name in self.existing:
            return self.existing[name], False
        return manifest, True

    def delete_job(self, namespace: str, name: str) -> None:
        self.calls.append(("delete", name))

    def replace_status(self, release: dict[str, Any], status: dict[str, Any]) -> dict[str, Any]:
        self.calls.append(("status", str(status.get("phase"))))
        if self.status_error is not None:
            raise ApiException(status=self.status_error, reason="Conflict")
        return {**release, "status": status}

    def remove_annotations(self, namespace: str, name: str, expected: Any) -> bool:
        if expected:
            self.calls.append(("annotations", ",".join(expected)))
        return True

    def post_event(
        self, release: dict[str, Any], type_: str, reason: str, message: str, now: datetime
    ) -> None:
        self.calls.append(("event", reason))


def create(name: str) -> CreateJob:
    return CreateJob(
        name=name,
        step=name,
        run=1,
        attempt=1,
        spec=RunSpec(image="example.invalid/x:1"),
        service_account_name=None,
        deadline_seconds=60,
    )


def full_plan() -> Plan:
    """Every kind of action, listed in the opposite of the order they must be applied in."""
    return Plan(
        status=AppDeploymentStatus(run=1, phase=Phase.RUNNING, message="running build"),
        actions=(
            PostEvent(EventType.NORMAL, "StepStarted", "build started"),
            RemoveAnnotation("approve.appdeploy.dev/qa"),
            DeleteJob("shop-old-r1-a1", "attempt timed out"),
            create("shop-build-r1-a1"),
        ),
        requeue_after=None,
    )


def test_creates_then_status_then_deletes_then_annotations_then_events() -> None:
    cluster = RecordingCluster()
    applied = apply_plan(cluster, RELEASE, full_plan(), NOW, None)  # type: ignore[arg-type]
    assert (applied.status_written, applied.conflict, applied.jobs_created) == (True, False, 1)
    assert cluster.calls == [
        ("create", "shop-build-r1-a1"),
        ("status", "Running"),
        ("delete", "shop-old-r1-a1"),
        ("annotations", "approve.appdeploy.dev/qa"),
        ("event", "StepStarted"),
    ]


def test_a_conflict_on_the_status_write_stops_everything_after_it() -> None:
    # The Job was created (it is adopted next pass); the timed-out Job is not
    # deleted, so the next pass still sees it and records the timeout, not a
    # "deleted before it finished".
    cluster = RecordingCluster(status_error=409)
    applied = apply_plan(cluster, RELEASE, full_plan(), NOW, None)  # type: ignore[arg-type]
    assert (applied.status_written, applied.conflict) == (False, True)
    assert cluster.calls == [("create", "shop-build-r1-a1"), ("status", "Running")]


def test_deletes_still_happen_when_the_status_is_already_stored() -> None:
    # A crash after the status write left the Job; the next pass plans the same
    # status (nothing to write) and must still delete it.
    plan = full_plan()
    release = {**RELEASE, "status": plan.status.to_wire()}
    cluster = RecordingCluster()
    applied = apply_plan(cluster, release, plan, NOW, None)  # type: ignore[arg-type]
    assert not applied.status_written
    assert ("delete", "shop-old-r1-a1") in cluster.calls


@pytest.mark.parametrize("status", [500, 503, 429])
def test_other_errors_on_the_status_write_propagate_and_delete_nothing(status: int) -> None:
    cluster = RecordingCluster(status_error=status)
    with pytest.raises(ApiException):
        apply_plan(cluster, RELEASE, full_plan(), NOW, None)  # type: ignore[arg-type]
    assert [verb for verb, _ in cluster.calls] == ["create", "status"]


def refusal(status: int, message: str) -> ApiException:
    error = ApiException(status=status, reason="Unprocessable Entity")
    error.body = json.dumps({"kind": "Status", "message": message, "code": status})
    return error


@pytest.mark.parametrize("status", [400, 403, 404, 422])
def test_a_create_the_api_server_refuses_for_good_is_reported_and_nothing_else_happens(
    status: int,
) -> None:
    cluster = RecordingCluster(
        create_errors={"shop-build-r1-a1": refusal(status, "spec.template...: Invalid value")}
    )
    applied = apply_plan(cluster, RELEASE, full_plan(), NOW, None)  # type: ignore[arg-type]
    assert applied.refused == (RefusedJob("shop-build-r1-a1", "spec.template...: Invalid value"),)
    assert not applied.status_written
    assert cluster.calls == [("create", "shop-build-r1-a1")], "no status, delete or Event"


def test_a_job_of_that_name_owned_by_someone_else_is_a_refusal() -> None:
    cluster = RecordingCluster()
    cluster.existing["shop-build-r1-a1"] = {
        "metadata": {"name": "shop-build-r1-a1", "ownerReferences": [{"uid": "someone-else"}]}
    }
    applied = apply_plan(cluster, RELEASE, full_plan(), NOW, None)  # type: ignore[arg-type]
    assert [job.name for job in applied.refused] == ["shop-build-r1-a1"]
    assert "did not create; delete or rename it" in applied.refused[0].message
    assert [verb for verb, _ in cluster.calls] == ["create"]


def test_our_own_job_found_by_name_is_adopted() -> None:
    cluster = RecordingCluster()
    cluster.existing["shop-build-r1-a1"] = {
        "metadata": {
            "name": "shop-build-r1-a1",
            "ownerReferences": [{"uid": UID}],
            "labels": job_labels("shop", "shop-build-r1-a1", 1, 1),  # step named as create() does
        }
    }
    applied = apply_plan(cluster, RELEASE, full_plan(), NOW, None)  # type: ignore[arg-type]
    assert (applied.refused, applied.jobs_created, applied.status_written) == ((), 0, True)


def test_a_job_with_a_copied_owner_but_not_our_labels_is_not_adopted() -> None:
    """Someone who may create Jobs pre-creates the next attempt's (predictable) name."""
    cluster = RecordingCluster()
    cluster.existing["shop-build-r1-a1"] = {
        "metadata": {"name": "shop-build-r1-a1", "ownerReferences": [{"uid": UID}]}
    }
    applied = apply_plan(cluster, RELEASE, full_plan(), NOW, None)  # type: ignore[arg-type]
    assert [job.name for job in applied.refused] == ["shop-build-r1-a1"]
    assert not applied.status_written


@pytest.mark.parametrize("status", [409, 429, 500, 503])
def test_answers_that_heal_propagate_for_the_worker_to_retry(status: int) -> None:
    cluster = RecordingCluster(create_errors={"shop-build-r1-a1": refusal(status, "try later")})
    with pytest.raises(ApiException):
        apply_plan(cluster, RELEASE, full_plan(), NOW, None)  # type: ignore[arg-type]
    assert [verb for verb, _ in cluster.calls] == ["create"]
