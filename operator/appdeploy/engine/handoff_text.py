"""What a hand-off message says: who can still help, the tally, the deadline, the command.

A reminder names only the people who can still decide (allowed, not yet
decided, not barred by distinctFrom), so nobody is nagged about a gate they
cannot move, and gives the exact command and the console link.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from appdeploy.api.durations import format_duration
from appdeploy.api.notifications import Mentions
from appdeploy.api.spec import Step
from appdeploy.api.status import StepStatus
from appdeploy.api.timestamps import format_timestamp
from appdeploy.engine.gates import approvers_of, conflicting_gates, counted_approvers
from appdeploy.engine.state import RunState


def who_can_help(state: RunState, spec: Step, status: StepStatus) -> Mentions:
    """The people and groups whose decision would still count, and who in them would not."""
    gate = spec.decision_gate()
    assert gate is not None
    approvers = approvers_of(gate, status)
    decided = counted_approvers(state, status)
    barred = [
        approval.user
        for other in conflicting_gates(state, spec.name)
        for approval in state.step(other).approvals
    ]
    cannot = list(dict.fromkeys([*decided, *barred]))
    return Mentions(
        users=[user for user in approvers.users if user not in cannot],
        groups=list(approvers.groups),
        except_users=cannot if approvers.groups else [],
    )


def tally_line(state: RunState, spec: Step, status: StepStatus) -> str:
    """``1 of 2 approvals (alice); 1 more from group qa or user carol, not bob``."""
    gate = spec.decision_gate()
    assert gate is not None
    decided = counted_approvers(state, status)
    line = f"{len(decided)} of {gate.required} approvals"
    if decided:
        line += f" ({', '.join(decided)})"
    missing = gate.required - len(decided)
    if missing <= 0:
        return line
    help_ = who_can_help(state, spec, status)
    who = []
    if help_.groups:
        who.append(("group " if len(help_.groups) == 1 else "groups ") + ", ".join(help_.groups))
    if help_.users:
        who.append(("user " if len(help_.users) == 1 else "users ") + ", ".join(help_.users))
    line += f"; {missing} more from {' or '.join(who) or 'nobody left who may decide'}"
    if help_.except_users:
        line += f", not {', '.join(help_.except_users)}"
    return line


def deadline_line(status: StepStatus, now: datetime) -> str:
    """``deadline 2026-12-02T10:00:00Z (in 3h)``."""
    if status.deadline is None:
        return "no deadline"
    left = max(status.deadline - now, timedelta(0))
    return f"deadline {format_timestamp(status.deadline)} (in {format_duration(left)})"


def commands(state: RunState, gate: str) -> list[str]:
    """The exact commands that decide the gate, and the console link when there is one."""
    release, namespace = state.release.name, state.release.namespace
    lines = [
        f"approve: kubectl appdeploy approve {release} {gate} -n {namespace}",
        f"reject:  kubectl appdeploy reject {release} {gate} -n {namespace} -m REASON",
    ]
    if state.settings.console_url:
        base = state.settings.console_url.rstrip("/")
        # Straight to the gate's panel: the person lands where they decide.
        lines.append(f"console: {base}/releases/{namespace}/{release}/gates/{gate}")
    return lines


def gate_body(state: RunState, spec: Step, status: StepStatus, *first: str) -> str:
    """The body of an opened, reminded or escalated gate message."""
    lines = [line for line in first if line]
    lines += [tally_line(state, spec, status), deadline_line(status, state.now)]
    return "\n".join([*lines, *commands(state, spec.name)])


def release_title(state: RunState, text: str) -> str:
    """``shop 4.12.0: <text>``."""
    return f"{state.spec.app} {state.spec.version}: {text}"
