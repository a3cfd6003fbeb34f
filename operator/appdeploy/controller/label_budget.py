"""A bound on the values a metric label may take, whoever writes the releases.

``app`` and ``group`` labels come from release specs, which anyone allowed to
create an AppDeployment writes. Each new value is a new set of time series
that the operator keeps until it restarts; without a bound, a script creating
releases with random app names would grow the operator's memory and every
Prometheus that scrapes it. So the first ``limit`` distinct values are kept
as they are and every later one is reported as ``OTHER`` (docs/operator.md,
"Metrics"). Budgets fill first come, first served, and reset when the
operator restarts (so do the series).
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
        return raw if self.admits(raw) else OTHER

    def admits(self, raw: str) -> bool:
        """True when ``raw`` is (or now becomes) one of the first ``limit`` values seen."""
        with self._lock:
            if raw in self._seen:
                return True
            if len(self._seen) < self.limit:
                self._seen.add(raw)
                return True
            return False


APPS = LabelBudget(100)
"""``app`` label values: the apps a cluster releases (tens, not thousands)."""
GATE_GROUPS = LabelBudget(200)
"""(app, group) pairs of gate waits: a handful of approver groups per app. A pair past
the budget is reported with group ``OTHER``, so gate-wait series stay below
(200 + 100) x 5 outcomes whatever the specs say."""
