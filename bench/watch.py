"""A watch stream in a thread that stamps each event with the moment it arrived.

Latencies are differences between such stamps (or between a stamp and the
moment one of our own requests returned), all on this process's monotonic
clock, so no clock skew and no second-precision API timestamps enter the
figures. Events are parsed as plain JSON (no client model deserialization)
so the bench stays cheap next to the operator it measures.
"""

from __future__ import annotations

import contextlib
import json
import logging
import threading
import time
from collections.abc import Callable
from typing import Any

from kubernetes.watch.watch import iter_resp_lines

log = logging.getLogger("bench.watch")

ListCall = Callable[..., Any]
"""A client ``list_*`` method, with its positional arguments bound."""
OnEvent = Callable[[str, dict[str, Any], float], None]
"""Called with (type, object, monotonic arrival time) for every event but bookmarks."""
OnError = Callable[[BaseException], None]

SERVER_TIMEOUT = 300
GONE = 410


class Stream:
    """Watches one collection from the resourceVersion of a list taken at ``start``.

    Starting from that list's version means no event after ``start`` returns
    can be missed, however late the watch connection itself is established.
    """

    def __init__(self, name: str, list_call: ListCall, on_event: OnEvent, on_error: OnError):
        self.name = name
        self._list = list_call
        self._on_event = on_event
        self._on_error = on_error
        self._stopped = threading.Event()
        self._response: Any = None
        self._thread = threading.Thread(target=self._run, name=f"watch-{name}", daemon=True)
        self._version = ""
        self.events = 0
        """Events received so far (bookmarks excluded)."""

    def start(self) -> None:
        """List (to learn the current resourceVersion), then watch from it in a thread."""
        response = self._list(_preload_content=False)
        self._version = str(json.loads(response.data)["metadata"]["resourceVersion"])
        self._thread.start()

    def stop(self) -> None:
        """Stop watching; closing the connection wakes the blocked reader."""
        if self._stopped.is_set():
            return
        self._stopped.set()
        response = self._response
        if response is not None:
            with contextlib.suppress(ValueError, OSError):  # already closed: nothing to wake
                response.shutdown()
        self._thread.join(timeout=5)

    def _run(self) -> None:
        try:
            while not self._stopped.is_set():
                self._watch_once()
        except BaseException as error:
            if not self._stopped.is_set():
                log.exception("watch %s failed", self.name)
                self._on_error(error)

    def _watch_once(self) -> None:
        self._response = self._list(
            watch=True,
            resource_version=self._version,
            allow_watch_bookmarks=True,
            timeout_seconds=SERVER_TIMEOUT,
            _preload_content=False,
        )
        try:
            for line in iter_resp_lines(self._response):  # type: ignore[no-untyped-call]
                arrived = time.monotonic()
                if not line:
                    continue
                event = json.loads(line)
                kind, body = event["type"], event["object"]
                if kind == "ERROR":
                    code = body.get("code")
                    hint = " (the bench fell behind the watch cache)" if code == GONE else ""
                    raise RuntimeError(f"watch {self.name}: {body.get('message')}{hint}")
                self._version = body["metadata"]["resourceVersion"]
                if kind != "BOOKMARK":
                    self.events += 1
                    self._on_event(kind, body, arrived)
        finally:
            self._response.release_conn()
