"""Readings of every counter the report needs, taken before and after the run.

A reading is cumulative (CPU seconds since start, counters since start);
the report only ever shows the difference between the reading taken just
before the releases are created and the one taken once the operator went
quiet after the last release finished.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from bench import prom
from bench.procstats import CpuSnapshot, snapshot
from bench.watch import Stream


@dataclass(frozen=True)
class Reading:
    """Cumulative counters at one moment."""

    operator: prom.Samples
    apiserver: prom.Samples
    controller_manager: prom.Samples
    cpu: CpuSnapshot
    watch_events: dict[str, int]


@dataclass(frozen=True)
class Meters:
    """Where to read from."""

    api: Any
    operator_url: str
    apiserver_url: str
    controller_manager_url: str
    operator_session: int
    components: Mapping[str, int]
    streams: Mapping[str, Stream]

    def read(self, operator: prom.Samples | None = None) -> Reading:
        """Read everything now (``operator``: a scrape the caller just took)."""
        return Reading(
            operator=operator if operator is not None else prom.scrape_url(self.operator_url),
            apiserver=prom.scrape_https(self.api, self.apiserver_url),
            controller_manager=prom.scrape_https(self.api, self.controller_manager_url),
            cpu=snapshot(self.operator_session, dict(self.components)),
            watch_events={name: stream.events for name, stream in self.streams.items()},
        )
