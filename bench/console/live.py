"""Live updates: a status write → the release page's DOM in a real browser, and its parts.

The release page is open in headless Chromium. The bench writes one step's
message (``bench-write-N``) into the release's status with the admin
client (a JSON patch of the status subresource, as the operator's writes
are status writes), then waits until the page shows it before the next
write. Each write is seen three times:

  watch    by a plain watch of the release in this process (the API server
           alone: the floor under any watch-fed page)
  message  in the page, when the SSE event carrying the new steps table reached
           htmx (+ the console's own watch, re-render and write, EventSource)
  DOM      in the page, when the step's cell showed it (+ htmx's swap)

Each is timed from the moment the PATCH was sent: the watch on this
process's monotonic clock, message and DOM on the wall clock (the page's
``performance.timeOrigin + now()`` against ``time.time()``; same machine,
the offset between them measured before and after). Only the browser's
stream is open on the console, so each write is rendered once.
"""

from __future__ import annotations

import contextlib
import re
import threading
import time
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from kubernetes import client
from tests.cluster.wait import wait_for

from appdeploy.k8s.labels import GROUP, PLURAL, VERSION
from bench.console import browser
from bench.watch import Stream

STEP = "ui-tests"
MARK = "bench-write-{}"
PATTERN = re.compile(r"bench-write-(\d+)")
CELL = f"#step-{STEP} .message"
EVENT = "steps"
"""The SSE event (``sse-swap`` name) that brings the steps table, CELL included."""
JSON_PATCH = "application/json-patch+json"
UPDATE_TIMEOUT = 30.0


@dataclass
class Update:
    """One write and when each reader saw it."""

    seq: int
    sent_wall: float
    sent: float
    returned: float
    watch: float | None = None
    message_wall: float | None = None
    dom_wall: float | None = None


@dataclass
class LiveRun:
    """What the live rounds measured."""

    release: str
    warmup: int
    updates: list[Update] = field(default_factory=list)
    clock_offsets: list[tuple[float, float]] = field(default_factory=list)
    """(page - bench, ± bound) in seconds, before and after the writes."""


def latencies(updates: list[Update]) -> dict[str, list[float]]:
    """Seconds from PATCH sent to each reader (and the PATCH's own round trip)."""
    return {
        "patch": [u.returned - u.sent for u in updates],
        "watch": [u.watch - u.sent for u in updates if u.watch is not None],
        "message": [u.message_wall - u.sent_wall for u in updates if u.message_wall is not None],
        "dom": [u.dom_wall - u.sent_wall for u in updates if u.dom_wall is not None],
    }


class Seen:
    """First arrival of each sequence number at one reader (thread-safe)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.at: dict[int, float] = {}

    def record(self, seq: int, at: float) -> None:
        with self._lock:
            self.at.setdefault(seq, at)

    def get(self, seq: int) -> float | None:
        with self._lock:
            return self.at.get(seq)


def seq_in(text: str, pattern: re.Pattern[str] = PATTERN) -> int | None:
    """The sequence number ``pattern`` (group 1) finds in ``text``, if any."""
    found = pattern.search(text)
    return int(found.group(1)) if found else None


def _message_seq(body: dict[str, Any]) -> int | None:
    steps = (body.get("status") or {}).get("steps") or []
    message = next((str(s.get("message") or "") for s in steps if s.get("name") == STEP), "")
    return seq_in(message)


def measure(
    api: Any, console_url: str, namespace: str, name: str, *, updates: int, warmup: int, pace: float
) -> LiveRun:
    """``warmup`` uncounted writes, then ``updates`` counted ones, ``pace`` seconds apart."""
    custom: Any = client.CustomObjectsApi(api)
    body = custom.get_namespaced_custom_object(GROUP, VERSION, namespace, PLURAL, name)
    index = [s["name"] for s in body["status"]["steps"]].index(STEP)
    watched = Seen()
    failures: list[BaseException] = []

    def on_event(kind: str, obj: dict[str, Any], at: float) -> None:
        seq = _message_seq(obj)
        if seq is not None:
            watched.record(seq, at)

    run = LiveRun(release=f"{namespace}/{name}", warmup=warmup)
    page = f"{console_url}/releases/{namespace}/{name}"
    with contextlib.ExitStack() as cleanup:
        watch = Stream(
            "release",
            partial(
                custom.list_namespaced_custom_object,
                *(GROUP, VERSION, namespace, PLURAL),
                field_selector=f"metadata.name={name}",
            ),
            on_event,
            failures.append,
        )
        watch.start()
        cleanup.callback(watch.stop)
        driver = cleanup.enter_context(browser.open_browser())
        driver.get(page)
        browser.observe(driver, PATTERN.pattern, EVENT, CELL)
        run.clock_offsets.append(browser.clock_offset(driver))

        def write(seq: int) -> Update:
            patch = [
                {"op": "test", "path": f"/status/steps/{index}/name", "value": STEP},
                {
                    "op": "replace",
                    "path": f"/status/steps/{index}/message",
                    "value": MARK.format(seq),
                },
            ]
            sent_wall, sent = time.time(), time.monotonic()
            custom.patch_namespaced_custom_object_status(
                GROUP, VERSION, namespace, PLURAL, name, patch, _content_type=JSON_PATCH
            )
            update = Update(seq, sent_wall, sent, time.monotonic())
            update.message_wall, update.dom_wall = browser.seen_at(driver, seq, UPDATE_TIMEOUT)
            update.watch = wait_for(partial(watched.get, seq), UPDATE_TIMEOUT, f"watch {seq}")
            if failures:
                raise RuntimeError(f"the release watch failed: {failures[0]}")
            return update

        for seq in range(warmup + updates):
            update = write(seq)
            if seq >= warmup:
                run.updates.append(update)
            time.sleep(pace)  # pacing between writes, not synchronisation: each was seen
        run.clock_offsets.append(browser.clock_offset(driver))
    return run
