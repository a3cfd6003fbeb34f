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

A create the API server refuses for good (``REFUSED``: the request itself is
wrong, or forbidden, or the name belongs to someone else's Job) is not an
error to retry with backoff: it stops the pass before the status write and is
reported in ``Applied.refused``, for the planner to record (docs/operator.md,
"Which API answers heal"). Any other error propagates and the worker retries.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from kubernetes.client.exceptions import ApiException

from appdeploy.engine import CreateJob, DeleteJob, Plan, PostEvent, RefusedJob, RemoveAnnotation
from appdeploy.k8s.cluster import CONFLICT, Cluster, api_message
from appdeploy.k8s.failpoints import failpoint
from appdeploy.k8s.jobs import build_job

log = logging.getLogger("appdeploy")


REFUSED = frozenset({400, 403, 404, 422})
"""Create answers that the same request will get again: bad request, forbidden, no
such namespace, invalid. 409 (adopted or refused below), 429, 5xx and timeouts heal."""


@dataclass(frozen=True)
class Applied:
    """What happened: whether status was written, whether it lost a race, what was refused."""

    status_written: bool
    conflict: bool
    jobs_created: int
    refused: tuple[RefusedJob, ...] = ()
    """Jobs the API server refused; nothing after the creates was applied."""


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
    refused: list[RefusedJob] = []
    for action in plan.of_type(CreateJob):
        manifest = build_job(action, name, uid, job_ttl_seconds)
        try:
            job, fresh = cluster.create_job(namespace, manifest)
        except ApiException as error:
            if error.status not in REFUSED:
                raise
            refused.append(RefusedJob(action.name, api_message(error)))
            continue
        if not fresh and not _ours(job, uid, manifest):
            refused.append(
                RefusedJob(
                    action.name,
                    f"a Job of that name exists in {namespace} that AppDeployment {name} "
                    "did not create; delete or rename it",
                )
            )
            continue
        created += fresh
        # Only the API server knows the uid; from now on no other Job counts for this attempt.
        step = next((s for s in planned.steps if s.name == action.step), None)
        if step is not None and step.job == action.name:
            step.job_uid = job["metadata"]["uid"]
    if created:
        failpoint("after-job-create")
    if refused:  # the planned status claims those Jobs run: the planner must decide again
        return Applied(False, False, created, tuple(refused))

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

    for delete in plan.of_type(DeleteJob):
        cluster.delete_job(namespace, delete.name)
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


def _ours(job: dict[str, Any], uid: str, manifest: dict[str, Any]) -> bool:
    """A Job found under an attempt's name is adopted only if it is what we would have made.

    An owner reference can be copied by anyone who may create Jobs; the labels
    of a step's Job cannot be written by anyone but the operator where the
    step-objects admission policy (or webhook) is installed. So a Job is ours
    when it names this release as owner and carries every label of the attempt.
    """
    metadata = job.get("metadata") or {}
    owners = metadata.get("ownerReferences") or []
    if not any(owner.get("uid") == uid for owner in owners):
        return False
    labels = metadata.get("labels") or {}
    wanted = manifest["metadata"].get("labels") or {}
    return all(labels.get(key) == value for key, value in wanted.items())


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
