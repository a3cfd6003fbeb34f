"""How long runs take, by app and outcome: ``appdeploy_release_duration_seconds``.

Observed like the gate waits (appdeploy.controller.gate_metrics): from the
status a reconcile wrote, compared with the one it read, so each end of a run
is counted once. A run ends when its phase becomes Succeeded, Failed or
Cancelled (with ``finishedAt``), or when a new spec supersedes it (Superseded,
read from the history entry the new run wrote). An invalid spec does not end
the run (the planner keeps its times and only marks the phase Invalid). A run
that is retried after it ended and ends again is observed again, with its
whole duration.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from prometheus_client import Histogram

from appdeploy.api.status import TERMINAL_PHASES, AppDeploymentStatus
from appdeploy.api.timestamps import format_timestamp
from appdeploy.controller.label_budget import APPS
from appdeploy.engine.runs import SUPERSEDED

# A run takes minutes (all automated) to weeks (soaks and slow approvers).
_BUCKETS = (60, 300, 900, 1800, 3600, 7200, 14400, 28800, 86400, 172800, 604800, 1209600)

RELEASE_DURATION = Histogram(
    "appdeploy_release_duration_seconds",
    "Time a run took, from its start to its end, by app and outcome "
    "(Succeeded, Failed, Cancelled, Superseded)",
    ["app", "outcome"],
    buckets=_BUCKETS,
)

_TERMINAL = {str(phase) for phase in TERMINAL_PHASES}


def observe_release(
    before: Mapping[str, Any] | None, after: AppDeploymentStatus, spec: Mapping[str, Any]
) -> None:
    """Record the run that ended in this write of ``spec``'s status, if one did."""
    before = before or {}
    app = APPS.value(str(spec.get("app") or ""))
    if before.get("run") != after.run:
        _observe_superseded(before, after, app)
    if str(after.phase) not in _TERMINAL or after.started_at is None or after.finished_at is None:
        return
    ended_before = (
        before.get("run") == after.run
        and before.get("phase") in _TERMINAL
        and before.get("finishedAt") == format_timestamp(after.finished_at)
    )
    if not ended_before:
        _observe(app, str(after.phase), after.started_at, after.finished_at)


def _observe_superseded(before: Mapping[str, Any], after: AppDeploymentStatus, app: str) -> None:
    if before.get("run") is None or before.get("phase") in _TERMINAL:
        return  # no run, or it ended (and was observed) before the new one started
    for entry in after.history:
        if entry.run == before.get("run") and entry.phase == SUPERSEDED:
            if entry.started_at is not None and entry.finished_at is not None:
                _observe(app, SUPERSEDED, entry.started_at, entry.finished_at)
            return


def _observe(app: str, outcome: str, started: datetime, finished: datetime) -> None:
    RELEASE_DURATION.labels(app, outcome).observe(max((finished - started).total_seconds(), 0))
