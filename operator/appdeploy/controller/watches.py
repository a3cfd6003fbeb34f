"""The watches of the Jobs and pods that step attempts create.

The API server filters them (``settings.watching.label_selectors``, set in
``configure_kopf``) to objects labelled ``app.kubernetes.io/managed-by=appdeploy``;
the handlers count what arrives by that label, so a selector that stopped
working shows as ``appdeploy_watch_events_total{managed="false"}`` > 0, and
still ignore such objects.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import kopf

from appdeploy.controller import metrics
from appdeploy.controller.cache import ReleaseCache
from appdeploy.k8s.labels import MANAGED_BY, MANAGER


def register_child_watches(
    registry: kopf.OperatorRegistry,
    cache: ReleaseCache,
    enqueue: Callable[[str | None, str | None], None],
    relisted: Callable[[], None],
) -> None:
    """Feed the cache from Job and pod events; ``relisted`` is called while kopf (re-)lists."""

    def received(resource: str, event: kopf.RawEvent) -> bool:
        labels = (event["object"].get("metadata") or {}).get("labels") or {}
        managed = labels.get(MANAGED_BY) == MANAGER
        metrics.WATCH_EVENTS.labels(resource, str(managed).lower()).inc()
        if event.get("type") is None:  # kopf replays a LIST: prune what vanished meanwhile
            relisted()
        return managed

    @kopf.on.event("batch", "v1", "jobs", registry=registry)
    def on_job(event: kopf.RawEvent, **_: Any) -> None:
        if received("jobs", event):
            key = cache.put_job(event["object"], deleted=event.get("type") == "DELETED")
            if key is not None:
                enqueue(*key)

    @kopf.on.event("", "v1", "pods", registry=registry)
    def on_pod(event: kopf.RawEvent, **_: Any) -> None:
        if received("pods", event):
            key = cache.put_pod(event["object"], deleted=event.get("type") == "DELETED")
            if key is not None:
                enqueue(*key)
