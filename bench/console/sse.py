"""A plain Server-Sent Events client of a release page's stream, stamping each update.

It reads the same ``/events`` stream the browser's page reads, so the time
an update reaches it is the console's share (API watch, re-render, write),
without the browser's parsing and swapping. Lines are stamped with this
process's monotonic clock as they arrive.
"""

from __future__ import annotations

import contextlib
import logging
import re
import threading
import time
from collections.abc import Callable

import httpx

log = logging.getLogger("bench")

OnSeq = Callable[[int, float], None]
"""Called with (sequence number, monotonic arrival) for every data line carrying one."""


def seq_in(text: str, pattern: re.Pattern[str]) -> int | None:
    """The sequence number ``pattern`` (group 1) finds in ``text``, if any."""
    found = pattern.search(text)
    return int(found.group(1)) if found else None


class EventStream:
    """Reads one SSE stream in a thread until ``stop``."""

    def __init__(self, url: str, pattern: re.Pattern[str], on_seq: OnSeq) -> None:
        self._url = url
        self._pattern = pattern
        self._on_seq = on_seq
        self._stopped = threading.Event()
        self._opened = threading.Event()
        self._http = httpx.Client(trust_env=False, timeout=httpx.Timeout(10.0, read=None))
        self._thread = threading.Thread(target=self._run, name="sse", daemon=True)
        self.error: BaseException | None = None

    def start(self, timeout: float) -> None:
        """Connect; returns once the console answered the stream's request."""
        self._thread.start()
        if not self._opened.wait(timeout) or self.error is not None:
            raise RuntimeError(f"the console's event stream did not open: {self.error}")

    def _run(self) -> None:
        try:
            with self._http.stream("GET", self._url) as response:
                response.raise_for_status()
                self._opened.set()
                for line in response.iter_lines():
                    arrived = time.monotonic()
                    if (
                        line.startswith("data:")
                        and (seq := seq_in(line, self._pattern)) is not None
                    ):
                        self._on_seq(seq, arrived)
        except BaseException as error:
            if not self._stopped.is_set():
                log.exception("the event stream failed")
                self.error = error
        finally:
            self._opened.set()

    def stop(self) -> None:
        """Close the connection (wakes the reader) and wait for the thread."""
        self._stopped.set()
        with contextlib.suppress(Exception):
            self._http.close()
        self._thread.join(timeout=5)
