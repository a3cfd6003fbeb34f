"""Values polled while the run lasts: the operator's queue depth and CPU use over time.

Totals over the run hide bursts (200 releases arrive in one second); a
series sampled every half second shows whether the operator saturated a
core or let work queue up. The poll interval paces a sampler; nothing waits
on its results.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

Reader = Callable[[], float]
RATE_WINDOW = 2.0


class Sampler:
    """Polls named readers in a thread; keeps (seconds since start, value) per reader."""

    def __init__(self, readers: dict[str, Reader], interval: float) -> None:
        self._readers = readers
        self._interval = interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="sampler", daemon=True)
        self._start = 0.0
        self.series: dict[str, list[tuple[float, float]]] = {name: [] for name in readers}

    def _run(self) -> None:
        while not self._stop.is_set():
            for name, read in self._readers.items():
                # Stamped per reader: one slow scrape must not skew the others' rates.
                at = time.monotonic() - self._start
                try:
                    self.series[name].append((round(at, 3), read()))
                except OSError:  # a failed scrape or read is a missing point, not an error
                    continue
            self._stop.wait(self._interval)

    def start(self) -> None:
        """Start polling."""
        self._start = time.monotonic()
        self._thread.start()

    def stop(self) -> None:
        """Stop polling (idempotent)."""
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=10)

    def maximum(self, name: str) -> float:
        """The largest value seen."""
        return max((value for _, value in self.series[name]), default=0.0)

    def max_rate(self, name: str, window: float = RATE_WINDOW) -> float:
        """The largest increase per second over ``window`` seconds (cumulative readers).

        Over windows much shorter than a second, /proc's tick-based CPU
        accounting overshoots (a 0.5 s window can show more busy time than
        the host has cores), so rates are taken over a couple of seconds.
        """
        points = self.series[name]
        rates = []
        for start, (t1, v1) in enumerate(points):
            end = next(((t2, v2) for t2, v2 in points[start + 1 :] if t2 - t1 >= window), None)
            if end is not None:
                rates.append((end[1] - v1) / (end[0] - t1))
        return max(rates, default=0.0)
