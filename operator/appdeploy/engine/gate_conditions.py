"""Conditions people and scripts wait on: ``AwaitingApproval``, and one per gate.

``kubectl wait --for=condition=AwaitingApproval ad/NAME`` returns when the
release needs people; ``--for=condition=gates.appdeploy.dev/qa-signoff`` when
that gate passed, ``…=False`` when it never will. A gate's condition is
Unknown while it is undecided (Pending or Waiting): it has neither passed nor
failed, which is what Unknown means for a metav1.Condition.

The type ``gates.appdeploy.dev/<gate>`` is a valid metav1.Condition type: a
DNS-subdomain prefix and a name of at most 63 characters (gate names are DNS
labels of at most 63). Reasons must match ``[A-Za-z][A-Za-z0-9_,:]*``, so
AwaitingApproval names its gates in CamelCase (``QaSignoff,Compliance``); the
exact names are in its message and in ``status.waitingOn``.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from appdeploy.api.spec import OnTimeout, Step, StepType
from appdeploy.api.status import ActionKind, ConditionStatus, StepPhase, StepStatus
from appdeploy.engine.gates import counted_approvers, describe_waiting_gate, waiting_tally
from appdeploy.engine.state import RunState
from appdeploy.engine.verification import UNVERIFIED_START

AWAITING_APPROVAL = "AwaitingApproval"
GATE_CONDITION_PREFIX = "gates.appdeploy.dev/"
REASON_LIMIT = 1024  # metav1.Condition.reason's maxLength


class GateReason(StrEnum):
    """The ``reason`` of a ``gates.appdeploy.dev/<gate>`` condition."""

    PENDING = "Pending"
    WAITING = "Waiting"
    APPROVED = "Approved"
    REJECTED = "Rejected"
    TIMED_OUT = "TimedOut"
    SKIPPED = "Skipped"
    CANCELLED = "Cancelled"
    DECISIONS_UNVERIFIED = "DecisionsUnverified"


@dataclass(frozen=True)
class WantedCondition:
    """A condition as this pass decides it; its transition time is settled in ``summary``."""

    type: str
    status: ConditionStatus
    reason: str
    message: str = ""


def gate_condition_type(gate: str) -> str:
    """``gates.appdeploy.dev/qa-signoff``."""
    return GATE_CONDITION_PREFIX + gate


def waiting_gates(state: RunState) -> list[str]:
    """The gates waiting for people now, in spec order."""
    return [s.name for s in state.main_steps() if s.phase is StepPhase.WAITING]


def approval_conditions(state: RunState, not_waiting_reason: str) -> list[WantedCondition]:
    """AwaitingApproval (reason ``not_waiting_reason`` when False), then one per gate."""
    waiting = waiting_gates(state)
    if waiting:
        names = ",".join(camel_case(gate) for gate in waiting)
        tallies = [describe_waiting_gate(state, state.spec_step(g), state.step(g)) for g in waiting]
        awaiting = WantedCondition(
            AWAITING_APPROVAL,
            ConditionStatus.TRUE,
            names[:REASON_LIMIT].rstrip(","),
            "; ".join(tallies),
        )
    else:
        awaiting = not_awaiting_approval(not_waiting_reason)
    gates = [spec for spec in state.spec.steps if spec.type is StepType.GATE]
    return [awaiting, *(gate_condition(state, spec, state.step(spec.name)) for spec in gates)]


def not_awaiting_approval(reason: str) -> WantedCondition:
    """AwaitingApproval=False, e.g. with the phase as its reason."""
    return WantedCondition(AWAITING_APPROVAL, ConditionStatus.FALSE, reason)


def gate_condition(state: RunState, spec: Step, status: StepStatus) -> WantedCondition:
    """Unknown while undecided, True once passed, False once it cannot pass in this run."""
    kind = gate_condition_type(spec.name)
    unknown, true, false = ConditionStatus.UNKNOWN, ConditionStatus.TRUE, ConditionStatus.FALSE
    match status.phase:
        case StepPhase.WAITING:
            tally = waiting_tally(state, spec, status)
            if approvers := counted_approvers(state, status):
                tally += "; approved by " + ", ".join(approvers)
            return WantedCondition(kind, unknown, GateReason.WAITING, tally)
        case StepPhase.SUCCEEDED:
            assert spec.gate is not None
            approvers = counted_approvers(state, status)
            if (
                len(approvers) >= spec.gate.required
                or spec.gate.on_timeout is not OnTimeout.APPROVE
            ):
                return WantedCondition(kind, true, GateReason.APPROVED, status.message)
            return WantedCondition(kind, true, GateReason.TIMED_OUT, status.message)
        case StepPhase.FAILED if status.rejection is not None:
            return WantedCondition(kind, false, GateReason.REJECTED, status.message)
        case StepPhase.FAILED if status.message.startswith(UNVERIFIED_START):
            return WantedCondition(kind, false, GateReason.DECISIONS_UNVERIFIED, status.message)
        case StepPhase.FAILED:
            return WantedCondition(kind, false, GateReason.TIMED_OUT, status.message)
        case StepPhase.SKIPPED:
            return WantedCondition(kind, false, GateReason.SKIPPED, status.message)
        case StepPhase.CANCELLED:
            return WantedCondition(kind, false, GateReason.CANCELLED, _cancelled(state, status))
        case _:
            verb = "succeeds" if len(spec.needs) == 1 else "succeed"
            opens = f"when {', '.join(spec.needs)} {verb}" if spec.needs else "as the run starts"
            return WantedCondition(kind, unknown, GateReason.PENDING, f"opens {opens}")


def _cancelled(state: RunState, status: StepStatus) -> str:
    # A cancel annotation ends a waiting gate with "cancelled: <reason>"; say who asked.
    cancels = [d for d in state.status.decisions if d.kind is ActionKind.CANCEL]
    if status.message.startswith("cancelled:") and cancels:
        return f"{status.message} (by {cancels[-1].user})"
    return status.message


def camel_case(name: str) -> str:
    """``qa-signoff`` -> ``QaSignoff``: a DNS label as a reason (``1st`` -> ``Gate1st``)."""
    text = "".join(part[:1].upper() + part[1:] for part in name.split("-"))
    return text if text[:1].isalpha() else "Gate" + text
