"""The QA approver: approves each release's gate the moment the bench sees it open.

Approvals are merge-PATCHes of the ``approve.appdeploy.dev/qa`` annotation,
sent from a small thread pool so that 200 gates opening together do not
queue behind one connection. The approval latency is measured from the
moment the PATCH *returned* (the API server has stored the annotation and
will notify watchers), so the approver's own queueing is not charged to the
operator.
"""

from __future__ import annotations

import time
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

from kubernetes import client

from appdeploy.k8s.labels import APPROVE_PREFIX, GROUP, PLURAL, VERSION
from bench.shape import GATE, approval_envelope
from bench.timeline import Timeline

THREADS = 4


class Approver:
    """Sends one approval per release; errors fail the run through the timeline."""

    def __init__(self, api_client: Any, namespace: str) -> None:
        self._custom = client.CustomObjectsApi(api_client)
        self._namespace = namespace
        self._pool = ThreadPoolExecutor(THREADS, thread_name_prefix="approver")
        self.timeline: Timeline | None = None

    def approve(self, name: str) -> None:
        """Queue the approval of ``name``'s gate (called from a watch thread)."""
        self._pool.submit(self._patch, name).add_done_callback(self._report)

    def _patch(self, name: str) -> None:
        patch = {"metadata": {"annotations": {APPROVE_PREFIX + GATE: approval_envelope()}}}
        sent = time.monotonic()
        self._custom.patch_namespaced_custom_object(
            GROUP, VERSION, self._namespace, PLURAL, name, patch
        )
        returned = time.monotonic()
        if self.timeline is not None:
            self.timeline.approval(name, sent, returned)

    def _report(self, future: Future[None]) -> None:
        error = future.exception()
        if error is not None and self.timeline is not None:
            self.timeline.fail(error)

    def close(self) -> None:
        """Stop accepting approvals; wait for those in flight."""
        self._pool.shutdown(wait=True, cancel_futures=True)
