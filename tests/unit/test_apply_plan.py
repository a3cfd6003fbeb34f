"""apply_plan's order and its answers to a lost race, against a Cluster that records calls.

A narrow handler test: the recording Cluster stands in only for the order of
calls. The same stories against the real API server are in
tests/integration/test_apply_on_cluster.py.
"""

from __future__ import annotations

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
    RemoveAnnotation,
)
from appdeploy.k8s.apply import apply_plan

NOW = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)
UID = "uid-1"
RELEASE: dict[str, Any] = {
    "metadata": {"namespace": "ns", "name": "shop", "uid": UID, "resourceVersion": "7"},
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

    def remove_annotations(self, namespace: str, name: str, keys: Any) -> None:
        self.calls.append(("annotations", ",".join(keys)))

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

