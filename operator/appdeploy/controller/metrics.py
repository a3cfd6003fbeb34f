"""Prometheus metrics of the operator (``--metrics-address``).

What an SRE asks of a release operator: is it keeping up (reconcile rate,
duration, errors, queue depth), what does it cost the API server (requests by
verb and resource), and where are the releases (count by phase, Events by
reason, so "releases waiting for approval" is one query); and are people
told (notifications by outcome, and how long they took).
"""

from __future__ import annotations

import threading

from prometheus_client import Counter, Gauge, Histogram, start_http_server

from appdeploy.controller.cache import Key, ReleaseCache

RECONCILES = Counter("appdeploy_reconciles_total", "Reconciles of releases, by result", ["result"])
RECONCILE_SECONDS = Histogram(
    "appdeploy_reconcile_duration_seconds",
    "Time to observe, plan and apply one release",
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
API_REQUESTS = Counter(
    "appdeploy_api_requests_total",
    "Requests the reconciler made to the API server (watches not included)",
    ["verb", "resource"],
)
EVENTS = Counter(
    "appdeploy_events_total", "Events posted on releases, by type and reason", ["type", "reason"]
)
RELEASES = Gauge("appdeploy_releases", "Releases known to this operator, by phase", ["phase"])
QUEUE_DEPTH = Gauge("appdeploy_queue_depth", "Releases waiting for a worker")
WATCH_EVENTS = Counter(
    "appdeploy_watch_events_total",
    "Watch events received, by resource and whether the object is managed by appdeploy "
    "(managed=false stays 0 for jobs and pods: the API server filters them)",
    ["resource", "managed"],
)
NOTIFICATIONS = Counter(
    "appdeploy_notifications_total",
    "Outbox records recorded by delivery, by channel, event and outcome "
    "(sent, retried, failed, recovered: a record a crash left in Sending, then sent)",
    ["channel", "event", "outcome"],
)
NOTIFICATION_DELIVERY_SECONDS = Histogram(
    "appdeploy_notification_delivery_seconds",
    "From the planner's decision (createdAt) to the provider taking the message (sentAt)",
    buckets=(1, 2, 5, 10, 30, 60, 120, 300, 900, 3600, 14400, 86400),
)
CACHE_OBJECTS = Gauge("appdeploy_cache_objects", "Jobs and pods held in the watch cache", ["kind"])


class PhaseTracker:
    """Keeps ``appdeploy_releases{phase}`` equal to the phases last seen per release."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._phases: dict[Key, str] = {}

    def set(self, key: Key, phase: str | None) -> None:
        """Record a release's phase (None: the release is gone)."""
        with self._lock:
            old = self._phases.pop(key, None)
            if old is not None:
                RELEASES.labels(old).dec()
            if phase is not None:
                self._phases[key] = phase
                RELEASES.labels(phase).inc()


def watch_cache(cache: ReleaseCache) -> None:
    """Let ``appdeploy_cache_objects`` read the cache's sizes at each scrape."""
    CACHE_OBJECTS.labels("jobs").set_function(lambda: cache.sizes()["jobs"])
    CACHE_OBJECTS.labels("pods").set_function(lambda: cache.sizes()["pods"])
    CACHE_OBJECTS.labels("keys").set_function(lambda: cache.sizes()["keys"])


def count_request(verb: str, resource: str) -> None:
    """Cluster's request hook."""
    API_REQUESTS.labels(verb, resource).inc()


def serve(address: str) -> None:
    """Serve /metrics on host:port."""
    host, _, port = address.rpartition(":")
    start_http_server(int(port), addr=host or "0.0.0.0")
