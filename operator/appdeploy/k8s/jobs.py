"""The Job manifest of one attempt of a run step (DESIGN.md §6).

Retries belong to the operator (``backoffLimit: 0``, ``restartPolicy:
Never``) so every attempt is its own visible Job. The container runs with
the restricted security defaults and no service account token unless the
step opts in; Secrets are only referenced. The
termination message falls back to the log tail on error, so a failing step
explains itself even when it wrote nothing to ``/dev/termination-log``.
"""

from __future__ import annotations

from typing import Any

from appdeploy.engine import CreateJob
from appdeploy.k8s.labels import (
    API_VERSION,
    ATTEMPT,
    DEPLOYMENT,
    KIND,
    MANAGED_BY,
    MANAGER,
    RUN,
    STEP,
    STEP_CONTAINER,
)


def job_labels(deployment: str, step: str, run: int, attempt: int) -> dict[str, str]:
    """The labels every Job (and its pod) of an attempt carries."""
    return {
        DEPLOYMENT: deployment,
        STEP: step,
        RUN: str(run),
        ATTEMPT: str(attempt),
        MANAGED_BY: MANAGER,
    }


def owner_reference(deployment: str, uid: str) -> dict[str, Any]:
    """Makes the Job garbage-collected with its AppDeployment."""
    return {
        "apiVersion": API_VERSION,
        "kind": KIND,
        "name": deployment,
        "uid": uid,
        "controller": True,
        "blockOwnerDeletion": True,
    }


def build_job(
    action: CreateJob, deployment: str, uid: str, ttl_seconds: int | None
) -> dict[str, Any]:
    """The batch/v1 Job for ``action``, owned by the AppDeployment ``deployment``/``uid``."""
    run = action.spec
    labels = job_labels(deployment, action.step, action.run, action.attempt)
    pod_labels = {**(run.pod_metadata.labels if run.pod_metadata else {}), **labels}
    pod_annotations = dict(run.pod_metadata.annotations) if run.pod_metadata else {}
    container: dict[str, Any] = {
        "name": STEP_CONTAINER,
        "image": run.image,
        "terminationMessagePolicy": "FallbackToLogsOnError",
        "securityContext": {
            "allowPrivilegeEscalation": False,
            "capabilities": {"drop": ["ALL"]},
            "seccompProfile": {"type": "RuntimeDefault"},
        },
    }
    if run.command:
        container["command"] = list(run.command)
    if run.args:
        container["args"] = list(run.args)
    if run.env:
        container["env"] = [var.to_wire() for var in run.env]
    if run.env_from:
        container["envFrom"] = [source.to_wire() for source in run.env_from]
    if run.resources is not None:
        container["resources"] = run.resources.to_wire()
    pod_spec: dict[str, Any] = {
        "restartPolicy": "Never",
        # No API token unless the step asks: a build needs none, and a leaked one is
        # the service account's rights in the hands of whatever the step runs.
        "automountServiceAccountToken": run.automount_service_account_token is True,
        "containers": [container],
        "securityContext": {"seccompProfile": {"type": "RuntimeDefault"}},
    }
    if action.service_account_name:
        pod_spec["serviceAccountName"] = action.service_account_name
    if run.node_selector:
        pod_spec["nodeSelector"] = dict(run.node_selector)
    if run.tolerations:
        pod_spec["tolerations"] = [toleration.to_wire() for toleration in run.tolerations]
    job_spec: dict[str, Any] = {
        "backoffLimit": 0,
        "activeDeadlineSeconds": action.deadline_seconds,
        "template": {
            "metadata": {"labels": pod_labels, "annotations": pod_annotations},
            "spec": pod_spec,
        },
    }
    if ttl_seconds is not None:
        job_spec["ttlSecondsAfterFinished"] = ttl_seconds
    return {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": {
            "name": action.name,
            "labels": labels,
            "ownerReferences": [owner_reference(deployment, uid)],
        },
        "spec": job_spec,
    }
