"""In-memory Jobs and pods of each release, fed by watches, read by reconcile workers.

Thread-safe: watch handlers and reconciles run in different threads. The
cache may lag behind the API server; reconcile confirms with a GET whatever
the planner would otherwise take as deleted.

Bounded by what exists: only a slim record of each object is kept (what
``k8s/observe.py`` reads, no spec, no managedFields), a delete removes every
trace of it (no empty per-key dicts stay behind), and ``prune`` reconciles
the cache against a fresh LIST, so objects deleted while a watch was down
(a 410 re-list, a reconnect) do not stay as ghosts. kopf re-lists without
telling its handlers which objects vanished, hence the separate LIST.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from appdeploy.k8s.labels import (
    ATTEMPT,
    CONTROLLER_UID,
    DEPLOYMENT,
    MANAGED_BY,
    RUN,
    STEP,
    STEP_CONTAINER,
)

Key = tuple[str, str]
"""(namespace, AppDeployment name)."""

JOB_LABELS = (DEPLOYMENT, STEP, RUN, ATTEMPT, MANAGED_BY)
POD_LABELS = (DEPLOYMENT, CONTROLLER_UID)


@dataclass
class _Entry:
    body: dict[str, Any]
    written: int
    """The cache's write counter when this entry was last written (see ``prune``)."""


class ReleaseCache:
    """Jobs by release, pods by the uid of the Job that controls them."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._writes = 0
        self._jobs: dict[Key, dict[str, _Entry]] = {}
        self._pods: dict[tuple[str, str], dict[str, _Entry]] = {}
        self._releases: set[Key] = set()
        """Releases seen and not deleted: those a namespace's channel change concerns."""

    @staticmethod
    def release_of(body: Mapping[str, Any]) -> Key | None:
        """The release an object belongs to, from its labels."""
        metadata = body.get("metadata") or {}
        deployment = (metadata.get("labels") or {}).get(DEPLOYMENT)
        return (metadata.get("namespace", ""), deployment) if deployment else None

    def put_job(self, body: Mapping[str, Any], deleted: bool) -> Key | None:
        """Record (or forget) a Job; returns the release it belongs to."""
        key = self.release_of(body)
        if key is None:
            return None
        with self._lock:
            _put(self._jobs, key, slim_job(body), deleted, self._tick())
        return key

    def put_pod(self, body: Mapping[str, Any], deleted: bool) -> Key | None:
        """Record (or forget) a pod of a Job; returns the release it belongs to."""
        key = self.release_of(body)
        metadata = body.get("metadata") or {}
        job_uid = (metadata.get("labels") or {}).get(CONTROLLER_UID)
        if key is None or not job_uid:
            return None
        with self._lock:
            _put(self._pods, (key[0], job_uid), slim_pod(body), deleted, self._tick())
        return key

    def jobs(self, key: Key) -> dict[str, dict[str, Any]]:
        """A snapshot of a release's Jobs by name."""
        with self._lock:
            return {name: entry.body for name, entry in self._jobs.get(key, {}).items()}

    def pods(self, namespace: str, job_uid: str) -> list[dict[str, Any]]:
        """A snapshot of the pods labelled with a Job's controller uid."""
        with self._lock:
            return [entry.body for entry in self._pods.get((namespace, job_uid), {}).values()]

    def saw_release(self, key: Key) -> None:
        """Note that a release exists (its watch event arrived)."""
        with self._lock:
            self._releases.add(key)

    def releases_in(self, namespace: str) -> list[Key]:
        """The releases of a namespace that exist, as far as the watch told."""
        with self._lock:
            return sorted(key for key in self._releases if key[0] == namespace)

    def releases(self) -> list[Key]:
        """Every release that exists, as far as the watch told."""
        with self._lock:
            return sorted(self._releases)

    def forget(self, key: Key) -> None:
        """Drop a deleted release's Jobs and their pods."""
        with self._lock:
            self._releases.discard(key)
            for entry in self._jobs.pop(key, {}).values():
                self._pods.pop((key[0], entry.body["metadata"]["uid"]), None)

    # --- re-list reconciliation --------------------------------------------------
    def mark(self) -> int:
        """Call before a LIST whose result goes to ``prune``."""
        with self._lock:
            return self._tick()

    def namespaces(self) -> set[str]:
        """Namespaces the cache holds objects of."""
        with self._lock:
            return {key[0] for key in self._jobs} | {key[0] for key in self._pods}

    def prune(
        self, namespace: str, job_uids: Iterable[str], pod_uids: Iterable[str], mark: int
    ) -> int:
        """Drop what a LIST (started at ``mark``) of ``namespace`` lacks; how many were dropped.

        Entries written after the mark are kept: their event is at least as
        new as the LIST, so the LIST's silence about them means nothing.
        """
        live_jobs, live_pods = set(job_uids), set(pod_uids)
        with self._lock:
            dropped = _prune(self._jobs, namespace, live_jobs, mark)
            return dropped + _prune(self._pods, namespace, live_pods, mark)

    def sizes(self) -> dict[str, int]:
        """How many Jobs and pods the cache holds (a metric, and the leak tests)."""
        with self._lock:
            return {
                "jobs": sum(len(jobs) for jobs in self._jobs.values()),
                "pods": sum(len(pods) for pods in self._pods.values()),
                "keys": len(self._jobs) + len(self._pods),
            }

    def _tick(self) -> int:
        self._writes += 1
        return self._writes


def _put(
    table: dict[Any, dict[str, _Entry]],
    key: Any,
    body: dict[str, Any],
    deleted: bool,
    written: int,
) -> None:
    name = body["metadata"]["name"]
    if not deleted:
        table.setdefault(key, {})[name] = _Entry(body, written)
        return
    # A DELETE for something never seen (or already forgotten) creates nothing.
    entries = table.get(key)
    if entries is not None:
        entries.pop(name, None)
        if not entries:
            del table[key]


def _prune(table: dict[Any, dict[str, _Entry]], namespace: str, live: set[str], mark: int) -> int:
    dropped = 0
    for key in [key for key in table if key[0] == namespace]:
        entries = table[key]
        for name, entry in list(entries.items()):
            if entry.written <= mark and entry.body["metadata"].get("uid") not in live:
                del entries[name]
                dropped += 1
        if not entries:
            del table[key]
    return dropped


def slim_job(body: Mapping[str, Any]) -> dict[str, Any]:
    """What the planner's view of a Job needs (``k8s/observe.py``), nothing else."""
    metadata = body.get("metadata") or {}
    labels = metadata.get("labels") or {}
    status = body.get("status") or {}
    return {
        "metadata": {
            **_identity(metadata),
            "labels": {name: labels[name] for name in JOB_LABELS if name in labels},
        },
        "status": {
            "conditions": [
                {
                    field: condition.get(field)
                    for field in ("type", "status", "reason", "lastTransitionTime")
                }
                for condition in status.get("conditions") or []
            ],
            "completionTime": status.get("completionTime"),
        },
    }


def slim_pod(body: Mapping[str, Any]) -> dict[str, Any]:
    """A pod's identity, owner and its step container's termination state."""
    metadata = body.get("metadata") or {}
    labels = metadata.get("labels") or {}
    statuses = (body.get("status") or {}).get("containerStatuses") or []
    return {
        "metadata": {
            **_identity(metadata),
            "labels": {name: labels[name] for name in POD_LABELS if name in labels},
        },
        "status": {
            "containerStatuses": [
                {
                    "name": STEP_CONTAINER,
                    "state": {"terminated": _terminated(s)},
                }
                for s in statuses
                if s.get("name") == STEP_CONTAINER
            ]
        },
    }


def _terminated(container_status: Mapping[str, Any]) -> dict[str, Any]:
    terminated = (container_status.get("state") or {}).get("terminated") or {}
    return {k: terminated[k] for k in ("exitCode", "reason", "message") if k in terminated}


def _identity(metadata: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "name": metadata.get("name"),
        "namespace": metadata.get("namespace"),
        "uid": metadata.get("uid"),
        "creationTimestamp": metadata.get("creationTimestamp"),
        "ownerReferences": [
            {"uid": owner.get("uid"), "controller": bool(owner.get("controller"))}
            for owner in metadata.get("ownerReferences") or []
        ],
    }
