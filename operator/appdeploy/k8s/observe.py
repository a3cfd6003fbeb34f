"""From Jobs and pods (as API dicts) to what the planner observes.

A Job is terminal only once its ``Complete`` or ``Failed`` condition is True;
the exit code and termination message come from the step container of its
newest pod. Jobs without appdeploy's labels are ignored, never guessed at.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any, cast

from appdeploy.engine import JobState, ObservedJob
from appdeploy.k8s.labels import ATTEMPT, CONTROLLER_UID, RUN, STEP, STEP_CONTAINER


def parse_time(value: Any) -> datetime | None:
    """An RFC 3339 timestamp from the API (string or datetime), or None."""
    if value is None or isinstance(value, datetime):
        return value
    return datetime.fromisoformat(str(value).replace("Z", "+00:00"))


def _condition(job: Mapping[str, Any], kind: str) -> Mapping[str, Any] | None:
    for condition in (job.get("status") or {}).get("conditions") or []:
        if condition.get("type") == kind and condition.get("status") == "True":
            return cast(Mapping[str, Any], condition)
    return None


def _terminated(pod: Mapping[str, Any]) -> Mapping[str, Any]:
    statuses = (pod.get("status") or {}).get("containerStatuses") or []
    for status in statuses:
        if status.get("name") == STEP_CONTAINER:
            return cast(Mapping[str, Any], (status.get("state") or {}).get("terminated") or {})
    return {}


def controlled_pods(
    job: Mapping[str, Any], pods: Iterable[Mapping[str, Any]]
) -> list[Mapping[str, Any]]:
    """The pods that ``job`` controls: its controller-uid label and a controller ownerRef to it.

    Labels alone can be copied by anyone who may create pods; the ownerRef is
    the Job controller's (admission refuses forged ones, docs/security.md).
    """
    uid = job["metadata"].get("uid")
    return [
        pod
        for pod in pods
        if uid
        and (pod["metadata"].get("labels") or {}).get(CONTROLLER_UID) == uid
        and any(
            owner.get("controller") and owner.get("uid") == uid
            for owner in pod["metadata"].get("ownerReferences") or []
        )
    ]


def newest_pod(pods: Iterable[Mapping[str, Any]]) -> Mapping[str, Any] | None:
    """The most recently created pod (a Job with backoffLimit 0 has one, unless evicted)."""
    ordered = sorted(pods, key=lambda pod: str(pod["metadata"].get("creationTimestamp") or ""))
    return ordered[-1] if ordered else None


def observed_job(job: Mapping[str, Any], pod: Mapping[str, Any] | None) -> ObservedJob | None:
    """The planner's view of a Job; None if it lacks appdeploy's labels."""
    metadata = job["metadata"]
    labels = metadata.get("labels") or {}
    try:
        step, run, attempt = labels[STEP], int(labels[RUN]), int(labels[ATTEMPT])
    except (KeyError, ValueError):
        return None
    complete, failed = _condition(job, "Complete"), _condition(job, "Failed")
    terminated = _terminated(pod) if pod is not None else {}
    if complete is not None:
        state, finished = JobState.SUCCEEDED, complete
    elif failed is not None:
        state, finished = JobState.FAILED, failed
    else:
        state, finished = JobState.ACTIVE, None
    reason = ""
    if failed is not None:
        reason = str(failed.get("reason") or "")
        if reason in ("", "BackoffLimitExceeded") and terminated.get("reason"):
            reason = str(terminated["reason"])
    completion = (job.get("status") or {}).get("completionTime")
    return ObservedJob(
        name=metadata["name"],
        step=step,
        run=run,
        attempt=attempt,
        state=state,
        uid=str(metadata.get("uid") or ""),
        created_at=parse_time(metadata.get("creationTimestamp")),
        finished_at=parse_time(completion or (finished or {}).get("lastTransitionTime")),
        reason=reason,
        exit_code=terminated.get("exitCode") if state is JobState.FAILED else None,
        termination_message=str(terminated.get("message") or ""),
    )
