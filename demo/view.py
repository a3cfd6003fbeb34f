"""The live view: one compact line per step change, readable in any terminal.

The release is level-triggered (status is rewritten as a whole), so the view
keeps the last state of each step and prints a line only for what changed:
a step's phase or attempt, and one line per new approval of a gate (who,
their groups, whether the operator verified its signature), even when the
same update already shows the gate passed. Plain text with optional
ANSI colour (only on a terminal, and never with NO_COLOR), no cursor tricks,
so CI logs read the same as a terminal.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TextIO

from appdeploy.api.durations import format_duration
from appdeploy.api.spec import AppDeploymentSpec, StepType
from appdeploy.api.status import AppDeploymentStatus, Approval, Phase, StepPhase, StepStatus
from appdeploy.engine.gates import who_may_decide

COLOURS = {
    "Succeeded": "32",
    "approved": "32",
    "Running": "36",
    "Waiting": "33",
    "Retrying": "33",
    "AwaitingApproval": "33",
    "Failed": "31",
    "Cancelled": "31",
    "Invalid": "31",
    "Skipped": "2",
    "Pending": "2",
}
PHASE_WIDTH = 10


def wants_colour(stream: TextIO) -> bool:
    """Colour only for a person at a terminal (https://no-color.org)."""
    return stream.isatty() and not os.environ.get("NO_COLOR") and os.environ.get("TERM") != "dumb"


def clock(moment: datetime | None = None) -> str:
    """Local wall-clock time, to the second."""
    return (moment or datetime.now()).astimezone().strftime("%H:%M:%S")


class Printer:
    """Writes the demo's lines (flushed at once: the view is live, also through a pipe)."""

    def __init__(self, stream: TextIO = sys.stdout, colour: bool | None = None) -> None:
        self.stream = stream
        self.colour = wants_colour(stream) if colour is None else colour

    def paint(self, text: str, code: str) -> str:
        return f"\033[{code}m{text}\033[0m" if self.colour and code else text

    def phase(self, phase: str, *, pad: bool = True) -> str:
        """The phase (padded to its column), in its colour."""
        return self.paint(phase.ljust(PHASE_WIDTH) if pad else phase, COLOURS.get(phase, ""))

    def bold(self, text: str) -> str:
        return self.paint(text, "1")

    def dim(self, text: str) -> str:
        return self.paint(text, "2")

    def line(self, text: str = "") -> None:
        print(text, file=self.stream, flush=True)


@dataclass(frozen=True)
class _Seen:
    phase: StepPhase
    attempts: int
    approvals: int


class ReleaseView:
    """Turns successive versions of the stored release into lines about what changed."""

    def __init__(self, spec: AppDeploymentSpec, printer: Printer) -> None:
        self.spec = spec
        self.printer = printer
        self.width = max(len(step.name) for step in spec.all_steps())
        self.seen: dict[str, _Seen] = {}
        self.phase: Phase | None = None

    def show(self, body: dict[str, Any]) -> None:
        """Print a line for every change since the last call."""
        status = AppDeploymentStatus.model_validate(body.get("status") or {})
        if status.run != (body.get("metadata") or {}).get("generation"):
            return  # not yet (or no longer) the status of this spec's run
        now = clock()
        for step in status.steps:
            seen = _Seen(step.phase, step.attempts, len(step.approvals))
            before = self.seen.get(step.name)
            self.seen[step.name] = seen
            # Fewer than before: a retry cleared them, so every one now is new.
            known = before.approvals if before and before.approvals <= len(step.approvals) else 0
            for number, approval in enumerate(step.approvals[known:], start=known + 1):
                self.step_line(now, step.name, "approved", self._approval(step, number, approval))
            if before is not None and (before.phase, before.attempts) == (
                seen.phase,
                seen.attempts,
            ):
                continue
            if before is None and step.phase is StepPhase.PENDING:
                continue
            self.step_line(now, step.name, str(step.phase), self.detail(step))
        if status.phase != self.phase:
            self.phase = status.phase
            label = self.printer.bold("release".ljust(self.width))
            self.printer.line(
                f"  {now}  {label}  {self.printer.phase(str(status.phase))}  {status.message}"
            )

    def step_line(self, now: str, name: str, phase: str, detail: str) -> None:
        self.printer.line(
            f"  {now}  {name.ljust(self.width)}  {self.printer.phase(phase)}  {detail}"
        )

    def detail(self, step: StepStatus) -> str:
        """What a person wants to know about the step in its new state."""
        kind = step.type
        took = _took(step)
        if step.phase is StepPhase.RUNNING and kind is StepType.RUN:
            return f"attempt {step.attempts}"
        if step.phase is StepPhase.RUNNING and kind is StepType.WAIT:
            if step.deadline is None or step.started_at is None:
                return "soaking"
            soak = format_duration(step.deadline - step.started_at)
            return f"soaking {soak} until {clock(step.deadline)}"
        if step.phase is StepPhase.RETRYING:
            at = f"; next attempt at {clock(step.next_attempt_at)}" if step.next_attempt_at else ""
            return f"attempt {step.attempts} failed: {step.message}{at}"
        if step.phase is StepPhase.WAITING:
            return self._gate_detail(step)
        if step.phase is StepPhase.SUCCEEDED:
            outputs = " ".join(f"{key}={value}" for key, value in sorted(step.outputs.items()))
            if kind is StepType.GATE:
                return step.message
            return "  ".join(part for part in (outputs, took) if part)
        return step.message

    def _gate_detail(self, step: StepStatus) -> str:
        gate = self.spec.step(step.name).gate
        assert gate is not None
        needs = f"{gate.required} approval{'s' if gate.required > 1 else ''}"
        return f"needs {needs} from {who_may_decide(gate)}: {step.message}"

    def _approval(self, step: StepStatus, number: int, approval: Approval) -> str:
        """Who approved, whether the signature checked out, and what they said."""
        gate = self.spec.step(step.name).gate
        required = gate.required if gate is not None else number
        groups = f" ({', '.join(approval.groups)})" if approval.groups else ""
        trust = "signature verified" if approval.verified else "NOT verified"
        said = f": {approval.comment}" if approval.comment else ""
        return f"{number} of {required}: {approval.user}{groups}, {trust}{said}"

    def event(self, kind: str, reason: str, message: str) -> None:
        """A Warning Event (e.g. a refused approval): the only news status does not carry."""
        mark = self.printer.paint("!", "31" if kind == "Warning" else "")
        self.printer.line(f"  {clock()}  {mark} {reason}: {message}")


def _took(step: StepStatus) -> str:
    if step.started_at is None or step.finished_at is None:
        return ""
    return f"({format_duration(step.finished_at - step.started_at)})"
