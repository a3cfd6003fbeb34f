"""Applying a Plan to the cluster, idempotently and in a crash-safe order.

Order: create Jobs, write status, delete Jobs, remove annotations, post
Events. A Job created before a crash is adopted by the next pass (its name is
deterministic); a status write that loses the optimistic-concurrency race
skips the rest, so annotations are only removed once their effect is stored
and Events (derived from the status change) are posted exactly when it lands.
Jobs are deleted only once the status that explains the deletion (a timeout,
a cancel, a superseded run) is stored: deleted first, a lost race would leave
a status that still says Running and a Job that is gone, which the next pass
must read as "deleted before it finished". A crash between the write and the
delete is safe because the planner asks again for every active Job that is
not a running attempt (engine/runs.py delete_orphans).
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
    for action in plan.of_type(CreateJob):
        manifest = build_job(action, name, uid, job_ttl_seconds)
        job, fresh = cluster.create_job(namespace, manifest)
        if not fresh and not _owned_by(job, uid):
            raise JobNameTaken(
                f"Job {action.name} exists in {namespace} but is not owned by AppDeployment "
                f"{name} (uid {uid}); delete or rename it"
            )
        created += fresh
    if created:
        failpoint("after-job-create")

    status = plan.status.to_wire()
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

    for delete in plan.of_type(DeleteJob):
        cluster.delete_job(namespace, delete.name)
    removals = [action.key for action in plan.of_type(RemoveAnnotation)]
    if removals:
        cluster.remove_annotations(namespace, name, removals)
    for event in plan.of_type(PostEvent):
        _log_event(namespace, name, event)
        try:
            cluster.post_event(release, event.type, event.reason, event.message, now)
        except ApiException as error:  # an Event is a report, never a reason to stop
            log.warning(
                "could not post Event %s on %s/%s: %s", event.reason, namespace, name, error.reason
            )
    return Applied(status_written=written, conflict=False, jobs_created=created)


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
