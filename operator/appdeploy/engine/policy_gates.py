"""The rules a ReleasePolicy sets for its required gates (docs/policies.md, "Required gates").

Each required gate must exist in the release as a gate step and meet the
policy's floors and ceilings. Who may decide counts the escalation ladder
too: a level's ``addApprovers`` lets more people decide, and its
``extendDeadline`` lets the gate wait longer, so both are judged as if every
level fired (the worst case the release allows). ``forbid`` applies to the
required gates only: other gates of the release are its authors' own, and
cannot weaken what the required gates guarantee.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

from appdeploy.api.durations import format_duration
from appdeploy.api.policy import ReleasePolicy, RequiredGate
from appdeploy.api.spec import AppDeploymentSpec, GateSpec, OnTimeout, Step
from appdeploy.engine.identities import SERVICE_ACCOUNT_PREFIX
from appdeploy.engine.policy_violation import PolicyViolation, Rule


def gate_violations(spec: AppDeploymentSpec, policy: ReleasePolicy) -> Iterator[PolicyViolation]:
    """Every required gate of ``policy`` that ``spec`` lacks or sets below its floors."""
    positions = {step.name: index for index, step in enumerate(spec.steps)}
    for required in policy.spec.require_gates:
        index = positions.get(required.name)
        if index is None:
            message = (
                f"ReleasePolicy {policy.name} requires a gate step named {required.name}; "
                "add it upstream of the protected steps"
            )
            yield _violation(policy, Rule.REQUIRE_GATES, "spec.steps", message)
            continue
        step, where = spec.steps[index], f"spec.steps[{index}]"
        if step.gate is None:
            message = (
                f"{step.name} is a {step.type} step; ReleasePolicy {policy.name} requires "
                f"{required.name} to be a gate"
            )
            yield _violation(policy, Rule.REQUIRE_GATES, where, message)
            continue
        yield from _gate_rules(spec, policy, required, step, where)


def _violation(policy: ReleasePolicy, rule: Rule, path: str, message: str) -> PolicyViolation:
    return PolicyViolation(policy.name, rule, path, message, policy.spec.enforcement)


def _gate_rules(
    spec: AppDeploymentSpec, policy: ReleasePolicy, required: RequiredGate, step: Step, where: str
) -> Iterator[PolicyViolation]:
    gate = step.gate
    assert gate is not None
    by = f"ReleasePolicy {policy.name}"
    yield from _approver_rules(policy, required, gate, f"{where}.gate")
    if gate.required < required.min_required:
        message = f"{step.name} needs {required.min_required} approvals or more ({by}), not "
        message += str(gate.required)
        yield _violation(policy, Rule.MIN_REQUIRED, f"{where}.gate.required", message)
    for other in required.distinct_from:
        if other not in gate.distinct_from:
            message = f"{step.name} must name {other} in distinctFrom ({by})"
            yield _violation(policy, Rule.DISTINCT_FROM, f"{where}.gate.distinctFrom", message)
    for key in required.attest:
        if key not in gate.attest:
            message = f"{step.name} must ask its approvers to attest {key} ({by}); add "
            message += f"gate.attest.{key}, e.g. $(steps.STEP.outputs.NAME)"
            yield _violation(policy, Rule.ATTEST, f"{where}.gate.attest", message)
    yield from _timeout_rules(spec, policy, required, step, where)


def _timeout_rules(
    spec: AppDeploymentSpec, policy: ReleasePolicy, required: RequiredGate, step: Step, where: str
) -> Iterator[PolicyViolation]:
    gate = step.gate
    assert gate is not None
    by = f"ReleasePolicy {policy.name}"
    if required.max_timeout is not None:
        longest, text = longest_wait(spec, step)
        if longest > required.max_timeout:
            path = f"{where}.timeout" if step.timeout is not None else "spec.defaults.gateTimeout"
            message = f"{step.name} may wait {text}, longer than the maxTimeout "
            message += f"{format_duration(required.max_timeout)} of {by}"
            yield _violation(policy, Rule.MAX_TIMEOUT, path, message)
    path = f"{where}.gate.onTimeout"
    if required.on_timeout is not None and gate.on_timeout is not required.on_timeout:
        message = f"{step.name} must set onTimeout: {required.on_timeout} ({by})"
        yield _violation(policy, Rule.ON_TIMEOUT, path, message)
    elif policy.spec.forbid.on_timeout_approve and gate.on_timeout is OnTimeout.APPROVE:
        message = f"{step.name} may not pass by onTimeout: Approve ({by} forbids it); set Fail"
        yield _violation(policy, Rule.ON_TIMEOUT_APPROVE, path, message)


def longest_wait(spec: AppDeploymentSpec, step: Step) -> tuple[timedelta, str]:
    """How long a gate may wait at most, and how that adds up (for the message).

    Every escalation level's ``extendDeadline`` counts, as if each fired; the
    engine caps the extensions at the timeout itself (twice it in all;
    ``appdeploy.engine.handoffs``).
    """
    timeout = step.timeout or spec.defaults.gate_timeout
    gate = step.gate
    levels = gate.notify.escalate if gate is not None and gate.notify is not None else []
    extended = sum((level.extend_deadline or timedelta(0) for level in levels), timedelta(0))
    extended = min(extended, timeout)
    text = format_duration(timeout + extended)
    if extended:
        text += f" ({format_duration(timeout)} timeout + {format_duration(extended)} "
        text += "extended by escalation)"
    return timeout + extended, text


def _approver_rules(
    policy: ReleasePolicy, required: RequiredGate, gate: GateSpec, where: str
) -> Iterator[PolicyViolation]:
    """Groups within approverGroups; no users, or no service accounts, when forbidden."""
    by = f"ReleasePolicy {policy.name}"
    groups: list[tuple[str, str]] = [
        (group, f"{where}.approvers.groups[{index}]")
        for index, group in enumerate(gate.approvers.groups)
    ]
    users: list[tuple[str, str]] = [
        (user, f"{where}.approvers.users[{index}]")
        for index, user in enumerate(gate.approvers.users)
    ]
    levels = gate.notify.escalate if gate.notify is not None else []
    for number, level in enumerate(levels):
        added, at = level.add_approvers, f"{where}.notify.escalate[{number}].addApprovers"
        if added is not None:
            groups += [(g, f"{at}.groups[{index}]") for index, g in enumerate(added.groups)]
            users += [(u, f"{at}.users[{index}]") for index, u in enumerate(added.users)]
    allowed = required.approver_groups
    if allowed and not gate.approvers.groups:
        message = f"{required.name} must be decided by some of the groups {', '.join(allowed)} "
        message += f"({by}); name at least one"
        yield _violation(policy, Rule.APPROVER_GROUPS, f"{where}.approvers.groups", message)
    for group, path in groups if allowed else []:
        if group not in allowed:
            message = f"group {group} may not decide {required.name}: {by} allows only "
            message += ", ".join(allowed)
            yield _violation(policy, Rule.APPROVER_GROUPS, path, message)
    forbid = policy.spec.forbid
    for user, path in users:
        if forbid.named_approvers:
            message = f"{user} may not be named as an approver of {required.name}: {by} "
            message += "allows only groups"
            yield _violation(policy, Rule.NAMED_APPROVERS, path, message)
        elif forbid.service_account_approvers and user.startswith(SERVICE_ACCOUNT_PREFIX):
            message = f"service account {user} may not approve {required.name} ({by})"
            yield _violation(policy, Rule.SERVICE_ACCOUNT_APPROVERS, path, message)
