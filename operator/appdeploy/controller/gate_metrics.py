"""How long people take: gate waits and the time to a gate's first decision (docs/operator.md).

Observed from the status a reconcile wrote, compared with the one it read,
so each gate is counted once per opening: a pass that lost its write race
wrote nothing and observes nothing. A wait is labelled with the release's app
and the one approver group it is credited to (appdeploy.engine.gate_groups),
within label budgets (appdeploy.controller.label_budget): the first 100 apps,
the first 200 (app, group) pairs.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from prometheus_client import Histogram

from appdeploy.api.spec import StepType
from appdeploy.api.status import AppDeploymentStatus, StepPhase, StepStatus
from appdeploy.controller.label_budget import APPS, GATE_GROUPS, OTHER
from appdeploy.engine.gate_groups import approver_groups, waited_on

# A gate waits minutes to days: buckets from a minute to a week.
_BUCKETS = (60, 300, 900, 1800, 3600, 7200, 14400, 28800, 86400, 172800, 604800)

GATE_WAIT = Histogram(
    "appdeploy_gate_wait_seconds",
    "Time a gate waited, from opening to its outcome "
    "(Approved, ApprovedAtDeadline, Rejected, TimedOut, Cancelled), by app and approver group",
    ["app", "group", "outcome"],
    buckets=_BUCKETS,
)
FIRST_DECISION = Histogram(
    "appdeploy_gate_first_decision_seconds",
    "Time from a gate opening to the first approval or rejection of it",
    buckets=_BUCKETS,
)


def observe_gates(
    before: Mapping[str, Any] | None,
    after: AppDeploymentStatus,
    spec: Mapping[str, Any],
) -> None:
    """Record the gates that ended, or got their first decision, in this write."""
    app = APPS.value(str(spec.get("app") or ""))
    groups = approver_groups(spec)
    old = {
        str(step.get("name")): step
        for step in ((before or {}).get("steps") or [])
        if isinstance(step, Mapping)
    }
    same_run = (before or {}).get("run") == after.run
    for step in after.steps:
        if step.type is not StepType.GATE or step.started_at is None:
            continue
        previous = old.get(step.name, {}) if same_run else {}
        was_waiting = previous.get("phase") == str(StepPhase.WAITING)
        if was_waiting and step.phase.is_done and step.finished_at is not None:
            group = waited_on(groups.get(step.name, ()), step)
            group = group if GATE_GROUPS.admits(f"{app}\n{group}") else OTHER
            GATE_WAIT.labels(app, group, _outcome(step)).observe(
                (step.finished_at - step.started_at).total_seconds()
            )
        first = _first_decision(step)
        had_decision = bool(previous.get("approvals") or previous.get("rejection"))
        if first is not None and not had_decision and (was_waiting or step.phase.is_done):
            FIRST_DECISION.observe(max((first - step.started_at).total_seconds(), 0))


def _outcome(step: StepStatus) -> str:
    if step.phase is StepPhase.SUCCEEDED:
        return "Approved" if step.approvals else "ApprovedAtDeadline"
    if step.rejection is not None:
        return "Rejected"
    if step.phase is StepPhase.FAILED:
        return "TimedOut"
    return str(step.phase)


def _first_decision(step: StepStatus) -> Any:
    moments = [approval.at for approval in step.approvals]
    if step.rejection is not None:
        moments.append(step.rejection.at)
    return min(moments) if moments else None
