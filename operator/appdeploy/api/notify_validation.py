"""The rules of a gate's ``notify`` that its fields alone cannot check (docs/notifications.md).

The schedule must make sense against the gate's deadline: reminders not more
often than ``REMIND_FLOOR``, escalation levels in order and each before the
deadline it would find (earlier levels may have extended it), extensions that
add up to at most the gate's timeout, and messages that have somewhere to go.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

from appdeploy.api.durations import format_duration
from appdeploy.api.notify import REMIND_FLOOR, EscalationLevel
from appdeploy.api.problems import Problem
from appdeploy.api.spec import AppDeploymentSpec, Step


def gate_notify_problems(
    path: str, step: Step, spec: AppDeploymentSpec, floor: timedelta = REMIND_FLOOR
) -> Iterator[Problem]:
    """Problems of ``step.gate.notify`` (``path`` is the gate's field path; ``floor`` the
    shortest reminder interval the operator accepts)."""
    assert step.gate is not None
    notify = step.gate.notify
    if notify is None:
        return
    path = f"{path}.notify"
    timeout = step.timeout or spec.defaults.gate_timeout
    has_channel = bool(notify.channels) or bool(spec.notify and spec.notify.channels)
    remind = notify.remind
    if remind is not None:
        if remind.every is not None and remind.every < floor:
            yield Problem(
                f"{path}.remind.every",
                f"{format_duration(remind.every)} is too often: remind at most every "
                f"{format_duration(floor)}",
            )
        if remind.before_deadline is not None and remind.before_deadline >= timeout:
            yield Problem(
                f"{path}.remind.beforeDeadline",
                f"{format_duration(remind.before_deadline)} before the deadline is before the "
                f"gate opens (its timeout is {format_duration(timeout)})",
            )
        if remind.every is None and remind.before_deadline is None:
            yield Problem(f"{path}.remind", "set every, beforeDeadline, or both")
        if not has_channel:
            yield Problem(
                f"{path}.remind",
                "reminders need a channel: set notify.channels here or spec.notify.channels",
            )
    yield from _ladder_problems(path, notify.escalate, timeout)


def _ladder_problems(
    path: str, levels: list[EscalationLevel], timeout: timedelta
) -> Iterator[Problem]:
    deadline = timeout
    extended = timedelta(0)
    previous: timedelta | None = None
    for index, level in enumerate(levels):
        where = f"{path}.escalate[{index}]"
        if level.notify is None and level.add_approvers is None and level.extend_deadline is None:
            yield Problem(where, "a level must notify, addApprovers or extendDeadline")
        if previous is not None and level.after <= previous:
            yield Problem(
                f"{where}.after",
                f"{format_duration(level.after)} is not after the level before it "
                f"({format_duration(previous)}); levels fire in order",
            )
        if level.after >= deadline:
            yield Problem(
                f"{where}.after",
                f"{format_duration(level.after)} is at or beyond the gate's deadline "
                f"({format_duration(deadline)} after it opens): it would never fire",
            )
        adders = level.add_approvers
        if adders is not None and not adders.users and not adders.groups:
            yield Problem(f"{where}.addApprovers", "name at least one user or group")
        if level.extend_deadline is not None:
            extended += level.extend_deadline
            deadline = timeout + min(extended, timeout)
            if extended > timeout:
                yield Problem(
                    f"{where}.extendDeadline",
                    f"extensions add up to {format_duration(extended)}, more than the gate's "
                    f"timeout {format_duration(timeout)} (a gate waits at most twice its timeout)",
                )
        previous = level.after


def named_channels(spec: AppDeploymentSpec) -> list[tuple[str, str]]:
    """(field path, channel name) of every NotificationChannel the release names."""
    found: list[tuple[str, str]] = []
    if spec.notify is not None:
        found += [(f"spec.notify.channels[{i}]", c) for i, c in enumerate(spec.notify.channels)]
    for index, step in enumerate(spec.steps):
        notify = step.gate.notify if step.gate is not None else None
        if notify is None:
            continue
        path = f"spec.steps[{index}].gate.notify"
        found += [(f"{path}.channels[{i}]", c) for i, c in enumerate(notify.channels)]
        for level_index, level in enumerate(notify.escalate):
            channels = level.notify.channels if level.notify is not None else []
            where = f"{path}.escalate[{level_index}].notify.channels"
            found += [(f"{where}[{i}]", c) for i, c in enumerate(channels)]
    return found


def missing_channel_warnings(
    spec: AppDeploymentSpec, namespace: str, existing: set[str]
) -> list[str]:
    """Admission warnings for channels that do not exist (yet): the release is still accepted."""
    return [
        f'{path}: no NotificationChannel "{name}" in {namespace} yet; the release runs, and '
        "NotificationsReady stays False until it exists"
        for path, name in named_channels(spec)
        if name not in existing
    ]
