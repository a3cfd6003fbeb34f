"""The floor: the API server's own create → watch round trip, with plain ConfigMaps.

No operator can turn a Job completion into a new Job faster than one watch
notification plus one create, so this round trip (create request sent →
ADDED event received, same process, same clock) is the yardstick for the
operator's latencies. It is sampled twice in the same run: on the idle
cluster before the releases start, and under load, paced while the
releases run (a ConfigMap every ``interval`` seconds, each after the
previous one came back), so the floor sees the same contention as the
operator. ConfigMaps have no controller: nothing but the API server, etcd
and the watch cache is in the loop.
"""

from __future__ import annotations

import threading
import time
from functools import partial
from typing import Any

from kubernetes import client

from bench.watch import OnError, Stream

ROUND_TRIP_TIMEOUT = 30.0


class Floor:
    """Creates ConfigMaps in its own namespace and times their watch round trip."""

    def __init__(self, api_client: Any, namespace: str, on_error: OnError) -> None:
        self._core = client.CoreV1Api(api_client)
        self._namespace = namespace
        self._lock = threading.Lock()
        self._seen: dict[str, tuple[threading.Event, list[float]]] = {}
        self._count = 0
        self._stream = Stream(
            "configmaps",
            partial(self._core.list_namespaced_config_map, namespace),
            self._on_event,
            on_error,
        )
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.idle: list[float] = []
        self.loaded: list[float] = []

    def start(self) -> None:
        """Start the ConfigMap watch."""
        self._stream.start()

    def _on_event(self, kind: str, body: dict[str, Any], at: float) -> None:
        if kind != "ADDED":
            return
        with self._lock:
            waiter = self._seen.get(body["metadata"]["name"])
        if waiter is not None:
            waiter[1].append(at)
            waiter[0].set()

    def sample(self) -> float:
        """One round trip: create a ConfigMap, wait for its ADDED event."""
        with self._lock:
            self._count += 1
            name = f"floor-{self._count:05d}"
            waiter: tuple[threading.Event, list[float]] = (threading.Event(), [])
            self._seen[name] = waiter
        sent = time.monotonic()
        body = {"metadata": {"name": name}, "data": {"sample": name}}
        self._core.create_namespaced_config_map(self._namespace, body)  # type: ignore[arg-type]
        if not waiter[0].wait(ROUND_TRIP_TIMEOUT):
            raise TimeoutError(f"ConfigMap {name}: no ADDED event after {ROUND_TRIP_TIMEOUT:g}s")
        with self._lock:
            del self._seen[name]
        return waiter[1][0] - sent

    def measure_idle(self, samples: int) -> None:
        """Back-to-back round trips before the releases start."""
        self.idle = [self.sample() for _ in range(samples)]

    def start_under_load(self, interval: float, on_error: OnError) -> None:
        """Sample every ``interval`` seconds in a thread until ``stop``."""

        def loop() -> None:
            try:
                while not self._stop.is_set():
                    self.loaded.append(self.sample())
                    self._stop.wait(interval)  # pacing, not synchronisation
            except BaseException as error:
                on_error(error)

        self._thread = threading.Thread(target=loop, name="floor", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop sampling and watching."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=ROUND_TRIP_TIMEOUT)
        self._stream.stop()
