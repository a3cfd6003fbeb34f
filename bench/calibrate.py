"""Operator CPU spent on pods that are not its own: should be nothing.

The operator watches the pods of its Jobs (for termination messages) with a
server-side label selector (``app.kubernetes.io/managed-by=appdeploy``), so
the API server never sends it the events of other pods. Before the releases
start, the bench churns plain pods *without* that label in the releases'
namespace and measures the operator's CPU meanwhile: before the selector it
was about 1 ms per event (every event passed through kopf); now the figure
should be the operator's idle CPU, and the operator's own counter of
unmanaged events (``appdeploy_watch_events_total{managed="false"}``) stays 0.
"""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from kubernetes import client
from tests.cluster.wait import wait_for

from bench.procstats import process_cpu_seconds

LABEL = "bench.appdeploy.dev/calibration"
TIMEOUT = 120.0
# The operator counts as done with the events once its CPU time stood still
# this long (the clock ticks every 10 ms; a backlog keeps it moving).
SETTLED = 0.5


@dataclass(frozen=True)
class EventCost:
    """Operator CPU spent while pods that are not its own churned."""

    pods: int
    events: int
    cpu_seconds: float

    @property
    def per_event(self) -> float:
        """CPU seconds per event."""
        return self.cpu_seconds / self.events if self.events else 0.0


class PodEvents:
    """Counts the calibration pods' events (fed by the bench's pod watch)."""

    def __init__(self) -> None:
        self._lock = threading.Condition()
        self.events = 0
        self.succeeded: set[str] = set()

    def on_event(self, kind: str, pod: dict[str, Any], at: float) -> None:
        """Pod watch callback: count ours, note the ones that finished."""
        del at
        if (pod["metadata"].get("labels") or {}).get(LABEL) is None:
            return
        with self._lock:
            self.events += 1
            if kind != "DELETED" and (pod.get("status") or {}).get("phase") == "Succeeded":
                self.succeeded.add(pod["metadata"]["name"])
                self._lock.notify_all()

    def wait_succeeded(self, count: int) -> None:
        """Block until ``count`` calibration pods succeeded."""
        with self._lock:
            if not self._lock.wait_for(lambda: len(self.succeeded) >= count, TIMEOUT):
                raise TimeoutError(f"{len(self.succeeded)} of {count} calibration pods finished")


def _pod(index: int) -> dict[str, Any]:
    return {
        "metadata": {
            "name": f"calibrate-{index:03d}",
            "labels": {LABEL: "true"},  # not managed-by appdeploy: never sent to the operator
            "annotations": {"kwok.appdeploy.dev/duration": "0s"},
        },
        "spec": {
            "restartPolicy": "Never",
            "containers": [{"name": "step", "image": "example.invalid/calibrate:1"}],
        },
    }


def _settled_cpu(pid: int) -> float:
    """The operator's CPU seconds once they stopped increasing for SETTLED seconds."""
    last = {"value": process_cpu_seconds(pid), "since": time.monotonic()}

    def settled() -> tuple[float] | None:  # a tuple: truthy even for 0.0 seconds
        now, value = time.monotonic(), process_cpu_seconds(pid)
        if value != last["value"]:
            last.update(value=value, since=now)
            return None
        return (value,) if now - last["since"] >= SETTLED else None

    found = wait_for(settled, TIMEOUT, "the operator to finish the pod events", interval=0.1)
    assert found is not None  # wait_for returns only truthy results
    return found[0]


def measure(
    api: Any, namespace: str, operator_pid: int, counter: PodEvents, pods: int
) -> EventCost:
    """Create ``pods`` plain pods, wait until they finished and the operator went idle."""
    core = client.CoreV1Api(api)
    before = _settled_cpu(operator_pid)
    events_before = counter.events
    with ThreadPoolExecutor(8, thread_name_prefix="calibrate") as pool:
        list(
            pool.map(
                lambda i: core.create_namespaced_pod(namespace, _pod(i)),  # type: ignore[arg-type]
                range(pods),
            )
        )
    counter.wait_succeeded(pods)
    after = _settled_cpu(operator_pid)
    return EventCost(pods=pods, events=counter.events - events_before, cpu_seconds=after - before)
