"""In-memory Jobs and pods of each release, fed by watches, read by reconcile workers.

Thread-safe: watch handlers run in kopf's event loop, reconciles in worker
threads. The cache may lag behind the API server; reconcile confirms with a
GET whatever the planner would otherwise take as deleted.
"""

from __future__ import annotations

import copy
import threading
from collections.abc import Mapping
from typing import Any

from appdeploy.k8s.labels import DEPLOYMENT

Key = tuple[str, str]
"""(namespace, AppDeployment name)."""


class ReleaseCache:
    """Jobs by release, pods by Job."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._jobs: dict[Key, dict[str, dict[str, Any]]] = {}
        self._pods: dict[tuple[str, str], dict[str, dict[str, Any]]] = {}

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
        name = body["metadata"]["name"]
        with self._lock:
            jobs = self._jobs.setdefault(key, {})
            if deleted:
                jobs.pop(name, None)
            else:
                jobs[name] = copy.deepcopy(dict(body))
        return key

    def put_pod(self, body: Mapping[str, Any], deleted: bool) -> Key | None:
        """Record (or forget) a pod of a Job; returns the release it belongs to."""
        key = self.release_of(body)
        metadata = body.get("metadata") or {}
        job = (metadata.get("labels") or {}).get("batch.kubernetes.io/job-name")
        if key is None or not job:
            return None
        with self._lock:
            pods = self._pods.setdefault((key[0], job), {})
            if deleted:
                pods.pop(metadata["name"], None)
            else:
                pods[metadata["name"]] = copy.deepcopy(dict(body))
        return key

    def jobs(self, key: Key) -> dict[str, dict[str, Any]]:
        """A snapshot of a release's Jobs by name."""
        with self._lock:
            return dict(self._jobs.get(key, {}))

    def pods(self, namespace: str, job: str) -> list[dict[str, Any]]:
        """A snapshot of a Job's pods."""
        with self._lock:
            return list(self._pods.get((namespace, job), {}).values())

    def forget(self, key: Key) -> None:
        """Drop a deleted release's Jobs (their pods follow their own delete events)."""
        with self._lock:
            self._jobs.pop(key, None)
