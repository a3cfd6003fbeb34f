"""How a release reads in a terminal: the step, condition and audit tables of ``status``,
the rows of ``list``.

Pure formatting of the stored object, so what ``kubectl appdeploy status``
shows is exactly what the operator recorded.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from appdeploy.api.durations import format_duration
from appdeploy.api.spec import AppDeploymentSpec
from appdeploy.api.status import AppDeploymentStatus, StepPhase, StepStatus
from appdeploy.api.stored import read_release
from appdeploy.api.text import escape_line
from appdeploy.api.timestamps import format_timestamp
from appdeploy.cli.attribution_view import attribution_lines, history_rows
from appdeploy.engine.gates import who_may_decide


def table(rows: list[list[str]]) -> str:
    """Left-aligned columns, two spaces apart, like kubectl."""
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return "\n".join(
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        for row in rows
    )


def _duration(step: StepStatus, now: datetime) -> str:
    if step.started_at is None:
        return "-"
    end = step.finished_at or now
    return format_duration(end - step.started_at)


def _detail(step: StepStatus, spec: AppDeploymentSpec | None) -> str:
    gate = spec.step(step.name).decision_gate() if spec and step.name in _names(spec) else None
    if gate is not None and step.phase is StepPhase.WAITING:
        approvers = (
            ", ".join(a.user + ("" if a.verified else " (unverified)") for a in step.approvals)
            or "nobody yet"
        )
        until = format_timestamp(step.deadline) if step.deadline else "no deadline"
        attests = "".join(
            f"; attests {key}={escape_line(value)}" for key, value in sorted(step.attest.items())
        )
        return (
            f"{len(step.approvals)} of {gate.required} from {who_may_decide(gate, step)} until "
            f"{until}; approved: {approvers}{attests}"
        )
    if step.phase is StepPhase.RUNNING and step.deadline is not None:
        return f"until {format_timestamp(step.deadline)}"
    if step.phase is StepPhase.RETRYING and step.next_attempt_at is not None:
        return f"next attempt at {format_timestamp(step.next_attempt_at)}: {step.message}"
    outputs = " ".join(f"{key}={value}" for key, value in sorted(step.outputs.items()))
    return "; ".join(part for part in (outputs, step.message) if part)


def _names(spec: AppDeploymentSpec) -> set[str]:
    return {step.name for step in spec.all_steps()}


def status_text(body: Mapping[str, Any], now: datetime) -> str:
    """The header, step table, conditions, policy verdicts and audit trail of one release."""
    spec, status = read_release(body)
    metadata = body.get("metadata") or {}
    source = body.get("spec") or {}
    header = (
        f"{metadata.get('name')}  {source.get('app')} {source.get('version')}  "
        f"run {status.run or '-'}  {status.phase}"
    )
    lines = [header]
    if status.message:
        lines.append(escape_line(status.message))
    lines += attribution_lines(body, status)
    finally_names = {step.name for step in spec.finally_} if spec else set()
    rows = [["STEP", "TYPE", "PHASE", "ATTEMPTS", "DURATION", "DETAIL"]]
    for step in status.steps:
        name = f"{step.name} (finally)" if step.name in finally_names else step.name
        attempts = str(step.attempts) if step.type == "run" else "-"
        rows.append(
            [
                name,
                str(step.type),
                str(step.phase),
                attempts,
                _duration(step, now),
                _detail(step, spec),
            ]
        )
    if len(rows) > 1:
        lines += ["", table(rows)]
    if status.conditions:
        lines += ["", conditions_table(status)]
    if status.policies:
        lines += ["", policies_table(status)]
    if status.decisions:
        lines += ["", decisions_table(status)]
    if status.notifications:
        lines += ["", notifications_table(status)]
    if status.history:
        lines += ["", table(history_rows(status))]
    return "\n".join(lines)


def conditions_table(status: AppDeploymentStatus) -> str:
    """What ``kubectl wait --for=condition=…`` sees: each condition, since when, and why."""
    rows = [["CONDITION", "STATUS", "REASON", "SINCE", "MESSAGE"]]
    for condition in status.conditions:
        rows.append(
            [
                condition.type,
                str(condition.status),
                condition.reason,
                format_timestamp(condition.last_transition_time),
                _shortened(escape_line(condition.message), 80),
            ]
        )
    return table(rows)


def policies_table(status: AppDeploymentStatus) -> str:
    """Each ReleasePolicy's verdict on the run: one line, with its first violation."""
    rows = [["POLICY", "ENFORCEMENT", "OUTCOME", "FIRST VIOLATION"]]
    for result in status.policies:
        detail = result.violations[0] if result.violations else "-"
        if result.break_glass is not None:
            detail = f"break-glass by {result.break_glass.user}: {result.break_glass.reason}"
        more = len(result.violations) - 1
        if more > 0 and result.break_glass is None:
            detail += f" (and {more} more)"
        rows.append(
            [
                result.policy,
                result.enforcement,
                str(result.outcome),
                _shortened(escape_line(detail), 100),
            ]
        )
    return table(rows)


def _shortened(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."


def decisions_table(status: AppDeploymentStatus) -> str:
    """The run's audit trail: every accepted approve, reject, retry and cancel, oldest first."""
    rows = [["AT", "ACTION", "TARGET", "BY", "VERIFIED", "COMMENT"]]
    for decision in status.decisions:
        rows.append(
            [
                format_timestamp(decision.at),
                str(decision.kind),
                decision.target or "-",
                decision.user,
                "yes" if decision.verified else "no",
                _shortened(escape_line(decision.comment), 60),
            ]
        )
    return table(rows)


NOTIFICATIONS_SHOWN = 10


def notifications_table(status: AppDeploymentStatus) -> str:
    """Who was told what: the latest outbox records, each with its delivery state."""
    rows = [["AT", "EVENT", "STEP", "CHANNEL", "STATE", "MESSAGE"]]
    for record in status.notifications[-NOTIFICATIONS_SHOWN:]:
        detail = record.title if record.state != "Failed" else f"{record.title}: {record.error}"
        state = str(record.state) + (f" ({record.attempts})" if record.attempts > 1 else "")
        rows.append(
            [
                format_timestamp(record.sent_at or record.created_at),
                str(record.event),
                record.step or "-",
                record.channel,
                state,
                _shortened(escape_line(detail), 70),
            ]
        )
    return table(rows)


def list_rows(items: list[Mapping[str, Any]]) -> str:
    """One row per release: name, app, version, phase, and what it waits on."""
    rows = [["NAME", "APP", "VERSION", "PHASE", "WAITING ON / RESULT"]]
    for body in sorted(items, key=lambda item: str(item["metadata"]["name"])):
        _, status = read_release(body)
        spec = body.get("spec") or {}
        message = _shortened(escape_line(status.message), 90)
        rows.append(
            [
                str(body["metadata"]["name"]),
                str(spec.get("app", "")),
                str(spec.get("version", "")),
                str(status.phase),
                message,
            ]
        )
    return table(rows)
