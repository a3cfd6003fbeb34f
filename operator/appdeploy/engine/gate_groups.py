"""Which approver group a gate waited on: one group per gate, so that waits add up.

The console's insights ("median wait per gate and group") and the operator's
``appdeploy_gate_wait_seconds{group}`` credit each gate's wait to the same
single group, so the two tell the same story and summing over groups never
counts a wait twice. The rule (docs/console.md, "Insights"):

1. the first of the gate's ``approvers.groups`` (in spec order) that someone
   who decided it (an approval or the rejection) belonged to;
2. else the first of its ``approvers.groups``: nobody in a group decided
   (a timeout, a cancel, a named user or an escalation's extra approver);
3. else ``(users)``: the gate names only users.

Pure; the spec is read leniently (a stored spec the webhook let through may
be invalid, and insights must still show what is there).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from appdeploy.api.status import StepStatus

NO_GROUP = "(users)"
"""The group of a gate whose approvers name no group."""


def approver_groups(spec: Mapping[str, Any]) -> dict[str, tuple[str, ...]]:
    """Each gate's ``approvers.groups`` by gate name, from a stored spec (main steps only)."""
    groups: dict[str, tuple[str, ...]] = {}
    steps = spec.get("steps")
    for step in steps if isinstance(steps, list) else ():
        if not isinstance(step, Mapping) or not isinstance(step.get("gate"), Mapping):
            continue
        approvers = step["gate"].get("approvers")
        named = approvers.get("groups") if isinstance(approvers, Mapping) else None
        listed = named if isinstance(named, list) else []
        groups[str(step.get("name"))] = tuple(g for g in listed if isinstance(g, str) and g)
    return groups


def waited_on(groups: Sequence[str], step: StepStatus) -> str:
    """The one group the gate's wait is credited to (the module docstring's rule)."""
    deciders: set[str] = set()
    for approval in step.approvals:
        deciders.update(approval.groups)
    if step.rejection is not None:
        deciders.update(step.rejection.groups)
    for group in groups:
        if group in deciders:
            return group
    return groups[0] if groups else NO_GROUP
