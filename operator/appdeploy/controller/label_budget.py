"""A bound on the values a metric label may take, whoever writes the releases.

``app`` and ``group`` labels come from release specs, which anyone allowed to
create an AppDeployment writes. Each new value is a new set of time series
that the operator keeps until it restarts; without a bound, a script creating
releases with random app names would grow the operator's memory and every
Prometheus that scrapes it. So the first ``limit`` distinct values are kept
as they are and every later one is reported as ``OTHER`` (docs/operator.md,
"Metrics").
"""

from __future__ import annotations

import threading

OTHER = "_other"
"""The value reported for every label value past the budget."""


class LabelBudget:
    """Admits up to ``limit`` distinct label values; safe from any worker thread."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._lock = threading.Lock()
        self._seen: set[str] = set()

    def value(self, raw: str) -> str:
        """``raw`` while it is one of the first ``limit`` values seen, else ``OTHER``."""
        with self._lock:
            if raw in self._seen:
                return raw
            if len(self._seen) < self.limit:
                self._seen.add(raw)
                return raw
            return OTHER


APPS = LabelBudget(100)
"""``app`` label values: the apps a cluster releases (tens, not thousands)."""
GROUPS = LabelBudget(50)
"""``group`` label values: the approver groups gates name (a handful per organisation)."""
