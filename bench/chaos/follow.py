"""Following the releases through the chaos: a watch that outlives API server restarts.

The chaos process watches its AppDeployments (raw JSON lines, like the
bench) and keeps, per release, the last body it saw. From that it learns
when a gate opens (the approvers' cue), when a release finishes, and when
the operator wrote status (a status that differs from the one seen before):
the "next status write" after each operator restart is its recovery.

When the API server goes away the watch reconnects from its last
resourceVersion; after a 410 (a restarted API server's watch cache starts
at etcd's current revision) it re-lists, and a status changed meanwhile
counts as written at the re-list, which is as late as it could have been.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable
from typing import Any

from kubernetes import client
from kubernetes.client.exceptions import ApiException
from kubernetes.watch.watch import iter_resp_lines
from tests.cluster.outages import watch_through_outages

from appdeploy.k8s.labels import GROUP, PLURAL, VERSION

log = logging.getLogger("chaos.follow")

WATCH_SECONDS = 30
TERMINAL = ("Succeeded", "Failed", "Cancelled", "Invalid")

OnGateWaiting = Callable[[str, str, float], None]
"""(release, gate, monotonic time seen Waiting)."""


class Follower:
    """The latest body of each release, status-write times, and gates as they open."""

    def __init__(self, api: Any, namespace: str, on_gate_waiting: OnGateWaiting) -> None:
        self._custom = client.CustomObjectsApi(api)
        self._namespace = namespace
        self._on_gate_waiting = on_gate_waiting
        self._lock = threading.Lock()
        self._changed = threading.Condition(self._lock)
        self._bodies: dict[str, dict[str, Any]] = {}
        self._gates_seen: set[tuple[str, str]] = set()
        self.status_writes: list[float] = []
        """Monotonic times at which some release's status was seen changed."""
        self.outages = 0
        """Reconnects after the API server went away."""
        self.relists = 0
        self._version = ""
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._run, name="chaos-follow", daemon=True)

    def start(self) -> None:
        self._relist()
        self._thread.start()

    def stop(self) -> None:
        self._stopping.set()
        self._thread.join(WATCH_SECONDS + 5)

    # --- reading -------------------------------------------------------------------
    def bodies(self) -> dict[str, dict[str, Any]]:
        with self._lock:
            return dict(self._bodies)

    def phase(self, name: str) -> str:
        with self._lock:
            return str((self._bodies.get(name, {}).get("status") or {}).get("phase") or "")

    def wait_all_finished(self, names: list[str], timeout: float) -> dict[str, str]:
        """Wait until every release is in a terminal phase; return the phases (also on timeout)."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while True:
                phases = {
                    name: str((self._bodies.get(name, {}).get("status") or {}).get("phase") or "")
                    for name in names
                }
                remaining = deadline - time.monotonic()
                if all(phase in TERMINAL for phase in phases.values()) or remaining <= 0:
                    return phases
                self._changed.wait(remaining)

    # --- watching ------------------------------------------------------------------
    def _relist(self) -> None:
        listed = self._custom.list_namespaced_custom_object(GROUP, VERSION, self._namespace, PLURAL)
        for body in listed["items"]:
            self._seen(body, time.monotonic())
        self._version = str(listed["metadata"]["resourceVersion"])

    def _run(self) -> None:
        watch_through_outages(self._watch_once, self._counted_relist, self._stopping, self._outage)

    def _outage(self, error: BaseException) -> None:
        self.outages += 1
        log.info("release watch interrupted (%s); reconnecting", type(error).__name__)

    def _counted_relist(self) -> None:
        self._relist()
        self.relists += 1

    def _watch_once(self) -> None:
        response = self._custom.list_namespaced_custom_object(
            GROUP,
            VERSION,
            self._namespace,
            PLURAL,
            watch=True,
            resource_version=self._version,
            allow_watch_bookmarks=True,
            timeout_seconds=WATCH_SECONDS,
            _preload_content=False,
            _request_timeout=WATCH_SECONDS + 10,
        )
        try:
            for line in iter_resp_lines(response):  # type: ignore[no-untyped-call]
                arrived = time.monotonic()
                if not line:
                    continue
                event = json.loads(line)
                body = event["object"]
                if event["type"] == "ERROR":
                    raise ApiException(status=body.get("code"), reason=body.get("message"))
                self._version = body["metadata"]["resourceVersion"]
                if event["type"] in ("ADDED", "MODIFIED"):
                    self._seen(body, arrived)
        finally:
            response.release_conn()

    def _seen(self, body: dict[str, Any], at: float) -> None:
        name = body["metadata"]["name"]
        status = body.get("status") or {}
        opened = []
        with self._changed:
            before = self._bodies.get(name, {}).get("status")
            if status and status != before:
                self.status_writes.append(at)
            self._bodies[name] = body
            for step in status.get("steps") or []:
                key = (name, step["name"])
                waiting = step.get("type") == "gate" and step.get("phase") == "Waiting"
                if waiting and key not in self._gates_seen:
                    self._gates_seen.add(key)
                    opened.append(step["name"])
            self._changed.notify_all()
        for gate in opened:
            self._on_gate_waiting(name, gate, at)
