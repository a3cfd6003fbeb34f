"""The demo's loop: follow the release, show it, and get its gates approved.

It reacts only to what it is told (watch events, the operator exiting, an
approval ending) and never polls. At each waiting gate it either prints the
commands a person runs (from any terminal: the watch sees what the operator
records like any other change) and the gate's page in each approver's web
console, or, with auto-approve, approves by itself, all of a gate's
approvers at the same moment: the webhook moves each decision to its
author's own key, so they never collide. It runs the commands, except at
one gate (``consoles.BY_CONSOLE``), which it approves through the
approver's console as a browser would. The QA approvers first wait for the
gate's first reminder to be delivered, so the hand-off lines show one.
Once the run ended, it follows the release until every notification is
settled (sent or given up), so the providers' tally that follows is complete.
"""

from __future__ import annotations

import queue
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from appdeploy.api.durations import format_duration
from appdeploy.api.notifications import DeliveryState
from appdeploy.api.notify import NotifyEvent
from appdeploy.api.spec import StepType
from appdeploy.api.status import AppDeploymentStatus, StepPhase
from appdeploy.engine.gates import who_may_decide
from demo.approvers import (
    REMINDED_FIRST,
    Approver,
    Approving,
    Outcome,
    RunningApproval,
    approvers_for,
    members_by_group,
)
from demo.consoles import BY_CONSOLE, ConsoleApproval
from demo.handoffs import HandoffView
from demo.prompt import Prompt
from demo.release import DemoRelease
from demo.view import Printer, ReleaseView
from demo.watch import EventSeen, Item, OperatorExited, ReleaseChanged, Watches, WatchTrouble

REFUSED_REASONS = ("ApprovalRefused", "RejectionRefused")


class DemoFailed(RuntimeError):
    """The demo cannot go on; the message says what happened and where to look."""


@dataclass
class Session:
    """One release followed from creation to its end."""

    release: DemoRelease
    uid: str
    kubeconfig: Path
    auto_approve: bool
    printer: Printer
    operator_log: Path
    transports: dict[str, str] = field(default_factory=dict)
    """Channel name -> transport, for the hand-off lines."""
    consoles: dict[str, str] = field(default_factory=dict)
    """User -> the URL of their web console (demo.consoles)."""
    view: ReleaseView = field(init=False)
    handoffs: HandoffView = field(init=False)
    body: dict[str, Any] | None = None
    announced: set[str] = field(default_factory=set)
    fired: set[tuple[str, str]] = field(default_factory=set)
    running: dict[tuple[str, str], Approving] = field(default_factory=dict)
    """Approvals in flight (commands, console forms), by (gate, user)."""
    report: Callable[[str, Callable[[], Item]], None] | None = None
    """Where an approval command's outcome goes once it ends (Watches.report)."""
    troubles: set[str] = field(default_factory=set)

    def __post_init__(self) -> None:
        self.view = ReleaseView(self.release.spec, self.printer)
        members = members_by_group(self.release.spec)
        self.handoffs = HandoffView(self.printer, self.transports, members)

    # --- the loop ---------------------------------------------------------------
    def run(self, watches: Watches, timeout: float | None) -> dict[str, Any]:
        """Follow the release until its run ends; returns the final object.

        Raises DemoFailed on timeout (naming what it waited for), when the
        operator exits, or when an auto-approval is refused.
        """
        return self._follow(watches, timeout, self.on_release)

    def settle(self, watches: Watches, timeout: float) -> dict[str, Any]:
        """Follow the ended release until no notification is on its way; the final object."""
        assert self.body is not None, "run() came first"
        if self._settled(self.body):
            return self.body
        self.printer.line(self.printer.dim("  (waiting for the last notifications to go out)"))
        return self._follow(watches, timeout, self._settled)

    def _follow(
        self, watches: Watches, timeout: float | None, done: Callable[[dict[str, Any]], bool]
    ) -> dict[str, Any]:
        deadline = None if timeout is None else time.monotonic() + timeout
        self.report = watches.report
        while True:
            remaining = None if deadline is None else max(0.0, deadline - time.monotonic())
            try:
                item = watches.get(remaining)
            except queue.Empty:
                raise DemoFailed(
                    f"timed out after {timeout:g}s waiting for {self.waiting_for()}"
                ) from None
            if isinstance(item, ReleaseChanged):
                if item.body is None:
                    raise DemoFailed(f"{self.release.name} was deleted while the demo followed it")
                if done(item.body):
                    return item.body
            elif isinstance(item, EventSeen):
                self.on_event(item)
            elif isinstance(item, Outcome):
                self.on_outcome(item)
            elif isinstance(item, OperatorExited):
                raise DemoFailed(
                    f"the operator exited with code {item.code} while {self.waiting_for()}; "
                    f"log: {self.operator_log}"
                )
            elif isinstance(item, WatchTrouble) and item.what not in self.troubles:
                self.troubles.add(item.what)
                self.printer.line(f"  (watch of {item.what} failed, retrying: {item.error})")

    def on_release(self, body: dict[str, Any]) -> bool:
        """Show the change, move the gates along; True once the run ended."""
        self.body = body
        self.view.show(body)
        status = self._status(body)
        if status is None:
            return False
        self.handoffs.show(status.notifications)
        for step in status.steps:
            if step.type is StepType.GATE and step.phase is StepPhase.WAITING:
                self._announce(step.name, status)
        if self.auto_approve:
            self._approve_next(status)
        return status.phase.is_terminal

    def _settled(self, body: dict[str, Any]) -> bool:
        """Show what was delivered since; True once every notification is Sent or Failed."""
        self.body = body
        status = AppDeploymentStatus.model_validate(body.get("status") or {})
        self.handoffs.show(status.notifications)
        return all(record.state.is_settled for record in status.notifications)

    def on_event(self, event: EventSeen) -> None:
        if event.uid != self.uid or event.type != "Warning":
            return
        self.view.event(event.type, event.reason, event.message)
        if self.auto_approve and event.reason in REFUSED_REASONS:
            raise DemoFailed(
                f"the operator refused an approval the demo made: {event.message}; "
                f"log: {self.operator_log}"
            )

    def on_outcome(self, outcome: Outcome) -> None:
        """An approval command ended: show what it printed; a failure ends the demo."""
        self.running.pop((outcome.gate, outcome.approver.user), None)
        for text in outcome.output.splitlines():
            self.printer.line(self.printer.dim(f"     {outcome.approver.user}: {text}"))
        if not outcome.ok:
            raise DemoFailed(
                f"approving {outcome.gate} as {outcome.approver.user} failed: {outcome.output}"
            )

    def stop(self) -> None:
        """End the approval commands still in flight."""
        for approval in self.running.values():
            approval.stop()
        self.running.clear()

    # --- gates ------------------------------------------------------------------
    def _approvers(self, gate: str) -> tuple[Approver, ...]:
        spec = self.release.spec.step(gate).gate
        assert spec is not None
        return approvers_for(gate, spec)

    def _announce(self, gate: str, status: AppDeploymentStatus) -> None:
        if gate in self.announced:
            return
        self.announced.add(gate)
        spec = self.release.spec.step(gate).gate
        assert spec is not None
        people = self._approvers(gate)
        names = " and ".join(a.user for a in people)
        count = f"{spec.required} approval{'s' if spec.required > 1 else ''}"
        heading = f"{gate} is waiting for {count} from {who_may_decide(spec)}"
        others = self._decided_elsewhere(gate, status)
        line = self.printer.line
        line()
        if self.auto_approve:
            together = " at the same moment" if len(people) > 1 else ""
            when = ""
            if self._waits_for_reminder(gate):
                assert spec.notify is not None and spec.notify.remind is not None
                every = spec.notify.remind.every
                when = f", once the first reminder is out (every {format_duration(every)})"
            where = " in their web console" if self._by_console(gate) else ""
            line(self.printer.bold(f"  >> {heading}; approving as {names}{where}{together}{when}"))
            return
        prompt = Prompt(self.printer, self.kubeconfig, self.release.namespace,
                        self.release.name, self.consoles)  # fmt: skip
        for text in prompt.lines(heading, gate, people, others, first=len(self.announced) == 1):
            line(text)

    def _decided_elsewhere(self, gate: str, status: AppDeploymentStatus) -> str:
        """Gates (distinctFrom, either way) already approved by someone: they may not decide."""
        spec = self.release.spec
        own = spec.step(gate).gate
        assert own is not None
        names = list(own.distinct_from)
        names += [s.name for s in spec.steps if s.gate and gate in s.gate.distinct_from]
        approved = {step.name for step in status.steps if step.approvals}
        return ", ".join(name for name in names if name in approved)

    def _approve_next(self, status: AppDeploymentStatus) -> None:
        """Start every approval a waiting gate still lacks, all at once."""
        for step in status.steps:
            if step.type is not StepType.GATE or step.phase is not StepPhase.WAITING:
                continue
            if self._waits_for_reminder(step.name) and not self._reminded(step.name, status):
                continue
            done = {approval.user for approval in step.approvals}
            for approver in self._approvers(step.name):
                if approver.user not in done and (step.name, approver.user) not in self.fired:
                    self._fire(step.name, approver)

    def _by_console(self, gate: str) -> bool:
        """Whether auto-approve decides ``gate`` through its approvers' consoles."""
        return gate == BY_CONSOLE and all(a.user in self.consoles for a in self._approvers(gate))

    def _waits_for_reminder(self, gate: str) -> bool:
        """Whether the cast of ``gate`` approves only once reminded (it has reminders)."""
        spec = self.release.spec.step(gate).gate
        remind = spec.notify.remind if spec is not None and spec.notify is not None else None
        return gate in REMINDED_FIRST and remind is not None and remind.every is not None

    def _reminded(self, gate: str, status: AppDeploymentStatus) -> bool:
        return any(
            record.event is NotifyEvent.GATE_REMINDED
            and record.step == gate
            and record.run == status.run
            and record.state is DeliveryState.SENT
            for record in status.notifications
        )

    def _fire(self, gate: str, approver: Approver) -> None:
        self.fired.add((gate, approver.user))
        namespace, name = self.release.namespace, self.release.name
        running: Approving
        if self._by_console(gate):
            url = self.consoles[approver.user]
            running = ConsoleApproval(url, namespace, name, gate, approver)
        else:
            running = RunningApproval(self.kubeconfig, namespace, name, gate, approver)
        self.running[(gate, approver.user)] = running
        self.printer.line(self.printer.dim(f"     {running.shown}"))
        assert self.report is not None, "run() sets where outcomes go"
        self.report(f"approve {gate} as {approver.user}", running.finish)

    # --- what we are waiting for (for timeouts) ----------------------------------
    def _status(self, body: dict[str, Any]) -> AppDeploymentStatus | None:
        status = AppDeploymentStatus.model_validate(body.get("status") or {})
        if status.run != (body.get("metadata") or {}).get("generation"):
            return None
        return status

    def waiting_for(self) -> str:
        """What the demo is waiting for, in words, for timeout and failure messages."""
        name = self.release.name
        if self.running:
            people = ", ".join(f"{user} ({gate})" for gate, user in self.running)
            return f"the operator to take the approvals by {people}"
        status = self._status(self.body) if self.body is not None else None
        if status is None:
            return f"the operator to start {name} (log: {self.operator_log})"
        if status.phase.is_terminal:
            on_the_way = [r for r in status.notifications if not r.state.is_settled]
            listed = ", ".join(f"{r.event} to {r.channel}" for r in on_the_way)
            return f"notifications to be delivered ({listed}; log: {self.operator_log})"
        waiting = {s.name for s in status.steps if s.phase is StepPhase.WAITING}
        for gate in sorted(waiting & REMINDED_FIRST) if self.auto_approve else ():
            if self._waits_for_reminder(gate) and not self._reminded(gate, status):
                return f"the first reminder of {gate} to be delivered (log: {self.operator_log})"
        return f"{name} to finish; it is {status.phase}: {status.message}"
