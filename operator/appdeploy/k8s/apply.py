"""Applying a Plan to the cluster, idempotently and in a crash-safe order.

Order: create Jobs, delete Jobs, write status, remove annotations, post
Events. A Job created before a crash is adopted by the next pass (its name is
deterministic); a status write that loses the optimistic-concurrency race
skips the rest, so annotations are only removed once their effect is stored
and Events (derived from the status change) are posted exactly when it lands.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from kubernetes.client.exceptions import ApiException

from appdeploy.engine import CreateJob, DeleteJob, Plan, PostEvent, RemoveAnnotation
from appdeploy.k8s.cluster import CONFLICT, Cluster
from appdeploy.k8s.failpoints import failpoint
from appdeploy.k8s.jobs import build_job

log = logging.getLogger("appdeploy")


class JobNameTaken(Exception):
    """A Job with an attempt's name exists but belongs to something else."""


@dataclass(frozen=True)
class Applied:
    """What happened: whether status was written, and whether the write lost a race."""

    status_written: bool
    conflict: bool
    jobs_created: int


def apply_plan(
    cluster: Cluster,
    release: dict[str, Any],
    plan: Plan,
    now: datetime,
    job_ttl_seconds: int | None,
) -> Applied:
    """Make the cluster match ``plan``; see the module docstring for the order."""
    metadata = release["metadata"]
    namespace, name, uid = metadata["namespace"], metadata["name"], metadata["uid"]
    created = 0
    planned = plan.status.model_copy(deep=True)
    for action in plan.of_type(CreateJob):
        manifest = build_job(action, name, uid, job_ttl_seconds)
        job, fresh = cluster.create_job(namespace, manifest)
        if not fresh and not _owned_by(job, uid):
            raise JobNameTaken(
                f"Job {action.name} exists in {namespace} but is not owned by AppDeployment "
                f"{name} (uid {uid}); delete or rename it"
            )
        created += fresh
        # Only the API server knows the uid; from now on no other Job counts for this attempt.
        step = planned.step(action.step)
        if step.job == action.name:
            step.job_uid = job["metadata"]["uid"]
    if created:
        failpoint("after-job-create")
    for delete in plan.of_type(DeleteJob):
        cluster.delete_job(namespace, delete.name)

    status = plan.wire_status() if plan.stored_status is not None else planned.to_wire()
    written = False
    if status != release.get("status"):
        failpoint("before-status-write")
        try:
            cluster.replace_status(release, status)
        except ApiException as error:
            if error.status == CONFLICT:
                return Applied(status_written=False, conflict=True, jobs_created=created)
            raise
        written = True
        failpoint("after-status-write")

    annotations = metadata.get("annotations") or {}
    removals = {
        action.key: annotations[action.key]
        for action in plan.of_type(RemoveAnnotation)
        if action.key in annotations
    }
    # False when a decision was re-written since it was read: what was decided is
    # stored (and its Events go out below); the next pass reads the new value.
    removed = cluster.remove_annotations(namespace, name, removals)
    for event in plan.of_type(PostEvent):
        _log_event(namespace, name, event)
        try:
            cluster.post_event(release, event.type, event.reason, event.message, now)
        except ApiException as error:  # an Event is a report, never a reason to stop
            log.warning(
                "could not post Event %s on %s/%s: %s", event.reason, namespace, name, error.reason
            )
    return Applied(status_written=written, conflict=not removed, jobs_created=created)


def _owned_by(job: dict[str, Any], uid: str) -> bool:
    owners = job.get("metadata", {}).get("ownerReferences") or []
    return any(owner.get("uid") == uid for owner in owners)


def _log_event(namespace: str, name: str, event: PostEvent) -> None:
    level = logging.WARNING if event.type == "Warning" else logging.INFO
    log.log(
        level,
        "%s/%s: %s",
        namespace,
        name,
        event.message,
        extra={"release": f"{namespace}/{name}", "reason": str(event.reason)},
    )
