"""The gate panel (pure): what the gate asks, who may decide, who is barred and why, the
deadline and its escalation ladder, the notifications sent, and the person's own verdict."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from appdeploy.api.durations import format_duration
from appdeploy.api.naming import run_id_for
from appdeploy.api.spec import AppDeploymentSpec, GateSpec
from appdeploy.api.status import AppDeploymentStatus, StepPhase, StepStatus
from appdeploy.api.substitutions import UnresolvedReference, Values, substitute
from appdeploy.api.timestamps import later
from appdeploy.console.person import Person, Verdict, decision_verdict, shown_attest
from appdeploy.engine import DecisionKind
from appdeploy.engine.gates import distinct_gates, who_may_decide


@dataclass(frozen=True)
class Decided:
    """One recorded approval (or the rejection)."""

    user: str
    groups: str
    comment: str
    at: str
    verified: bool
    attest: str = ""
    """What the approval attested, ``buildDigest=sha256:…`` (signed with it)."""


@dataclass(frozen=True)
class Barred:
    """Someone who may not decide this gate, and why (separation of duties)."""

    user: str
    because: str


@dataclass(frozen=True)
class Level:
    """One rung of the escalation ladder."""

    at: str
    does: str
    reached: bool


@dataclass(frozen=True)
class Sent:
    """A notification about this gate."""

    event: str
    channel: str
    state: str
    at: str
    title: str


@dataclass(frozen=True)
class GatePanel:
    """Everything a person needs to decide a gate, or to see why they cannot."""

    name: str
    phase: str
    description: str
    who: str
    required: int
    on_timeout: str
    approvals: tuple[Decided, ...]
    rejection: Decided | None
    barred: tuple[Barred, ...]
    deadline: str
    ladder: tuple[Level, ...]
    sent: tuple[Sent, ...]
    approve: Verdict
    reject: Verdict
    attest: tuple[tuple[str, str], ...] = ()
    """What an approval attests (the gate's ``attest`` as resolved when it opened), by name:
    shown, and sent back with the approval as hidden fields, so a stale page is refused."""

    @property
    def waiting(self) -> bool:
        return self.phase == str(StepPhase.WAITING)


def gate_panel(
    body: Mapping[str, Any],
    spec: AppDeploymentSpec,
    status: AppDeploymentStatus,
    gate: str,
    *,
    person: Person,
    now: datetime,
) -> GatePanel:
    """The panel of ``gate`` as ``person`` sees it now."""
    step = spec.step(gate)
    decided = step.decision_gate()  # a gate, or an inconclusive check's onInconclusive.gate
    assert decided is not None
    state = next((s for s in status.steps if s.name == gate), None)
    name = str((body.get("metadata") or {}).get("name") or "")
    description = _description(decided, spec, status, name)
    if step.check is not None and state is not None and state.message:
        description = f"{description}: {state.message}"
    return GatePanel(
        name=gate,
        phase=str(state.phase if state else StepPhase.PENDING),
        description=description,
        who=who_may_decide(decided, state),
        required=decided.required,
        on_timeout=str(decided.on_timeout),
        approvals=tuple(
            _decided(a.user, a.groups, a.comment, a.at, a.verified, attest=a.attest)
            for a in (state.approvals if state else [])
        ),
        rejection=_rejection(state),
        barred=tuple(_barred(spec, status, gate)),
        deadline=_stamp(state.deadline) if state and state.deadline else "",
        ladder=tuple(_ladder(decided, state, now)),
        sent=tuple(
            Sent(n.event, n.channel, str(n.state), _stamp(n.sent_at or n.created_at), n.title)
            for n in status.notifications
            if n.step == gate
        ),
        approve=decision_verdict(body, gate, person, now, DecisionKind.APPROVE),
        reject=decision_verdict(body, gate, person, now, DecisionKind.REJECT),
        attest=tuple(sorted(shown_attest(body, gate).items())),
    )


def _description(
    gate: GateSpec, spec: AppDeploymentSpec, status: AppDeploymentStatus, name: str
) -> str:
    """The description with ``$(…)`` resolved from this run's values, as the operator does."""
    values = Values(
        app=spec.app,
        version=spec.version,
        params=spec.params,
        run_id=run_id_for(name, status.run or 0),
        run_phase=None,
        outputs={step.name: step.outputs for step in status.steps if step.outputs},
    )
    try:
        return substitute(gate.description, values)
    except UnresolvedReference as error:
        return f"{gate.description} ({error})"


def _barred(spec: AppDeploymentSpec, status: AppDeploymentStatus, gate: str) -> list[Barred]:
    recorded = {step.name: step for step in status.steps}
    found: list[Barred] = []
    for other in distinct_gates(spec, gate):
        for approval in recorded[other].approvals if other in recorded else []:
            if all(b.user != approval.user for b in found):
                found.append(
                    Barred(approval.user, f"approved {other}, and {gate} is distinctFrom it")
                )
    return found


def _ladder(gate: GateSpec, state: StepStatus | None, now: datetime) -> list[Level]:
    levels = gate.notify.escalate if gate.notify is not None else []
    started = state.started_at if state is not None else None
    rungs = []
    for level in levels:
        does = []
        if level.notify is not None:
            does.append("notify " + ", ".join(level.notify.channels))
        if level.add_approvers is not None:
            added = [*level.add_approvers.groups, *level.add_approvers.users]
            does.append("add approvers " + ", ".join(added))
        if level.extend_deadline is not None:
            does.append(f"extend the deadline by {format_duration(level.extend_deadline)}")
        at = later(started, level.after) if started is not None else None
        rungs.append(
            Level(
                at=_stamp(at) if at else f"{format_duration(level.after)} after it opens",
                does="; ".join(does),
                reached=at is not None and now >= at,
            )
        )
    return rungs


def _rejection(state: StepStatus | None) -> Decided | None:
    if state is None or state.rejection is None:
        return None
    r = state.rejection
    return _decided(r.user, r.groups, r.reason, r.at, r.verified)


def _decided(
    user: str,
    groups: list[str],
    comment: str,
    at: datetime,
    verified: bool,
    *,
    attest: Mapping[str, str] | None = None,
) -> Decided:
    attested = ", ".join(f"{key}={value}" for key, value in sorted((attest or {}).items()))
    return Decided(user, ", ".join(groups), comment, _stamp(at), verified, attested)


def _stamp(value: datetime) -> str:
    return value.strftime("%Y-%m-%d %H:%M:%SZ")
