"""Recorded decisions are evidence, not facts: every pass verifies them again.

Status can be written by anyone with ``update`` on ``appdeployments/status``
(a namespace admin, a compromised controller), so a gate's approvals in
status are only believed while the webhook's signature over each still
verifies with the operator's key; ``verified`` is recomputed, never read.
A gate stored as Succeeded whose verified approvals no longer pass it (and
that did not pass by ``onTimeout: Approve``) fails the run, closed, with a
Warning: something altered the record. The audit trail of accepted actions
(``status.decisions``) is appended here too. Pure: the key is a setting.
"""

from __future__ import annotations

from datetime import datetime

from appdeploy.api.approvals import Envelope, Target, attest_pairs
from appdeploy.api.spec import OnTimeout, StepType
from appdeploy.api.status import DECISIONS_LIMIT, ActionKind, Approval, DecisionRecord, StepPhase
from appdeploy.engine.attestation import attest_holds
from appdeploy.engine.reasons import Reason
from appdeploy.engine.run_steps import finish
from appdeploy.engine.state import RunState

UNVERIFIED_START = "its recorded approvals no longer verify"
"""How the message of a gate failed by ``reverify_gates`` begins (its condition says why)."""


def signature_verifies(state: RunState, envelope: Envelope) -> bool:
    """True when ``envelope`` carries the webhook's signature for exactly it, on this release."""
    key = state.settings.signing_key
    if key is None or not envelope.signature:
        return False
    release = state.release
    return envelope.verify(key, Target(release.namespace, release.name, release.uid))


def signed_run_problem(signed_run: int | None, current_run: int) -> str:
    """Why a signed decision or request does not apply to ``current_run`` ("" if it does).

    An envelope names the run it was signed for; one naming none (signed
    before the release had ``status.run``) would count in every run.
    """
    if signed_run is None:
        return (
            "it was signed without a run (before the release started one), "
            "so it could count in any run"
        )
    if signed_run != current_run:
        return (
            f"it was made for run {signed_run}, and the current run is {current_run} "
            "(the spec changed)"
        )
    return ""


def approval_verifies(state: RunState, gate: str, approval: Approval) -> bool:
    """True when a recorded approval carries the webhook's valid signature for this run.

    The signature covers the attested values; those must also be what the gate
    attests now (a changed upstream output makes earlier approvals stop counting).
    """
    envelope = Envelope(
        "approve",
        gate,
        approval.user,
        tuple(approval.groups),
        approval.comment,
        approval.at,
        approval.run,
        approval.signature,
        attest_pairs(approval.attest),
    )
    return (
        approval.run == state.run
        and signature_verifies(state, envelope)
        and attest_holds(state, state.spec_step(gate), approval.attest)
    )


def reverify_gates(state: RunState) -> None:
    """Recompute every recorded approval's ``verified``; fail passed gates that no longer pass."""
    trusted = state.settings.trust_unverified_approvals
    for spec in state.spec.steps:
        if spec.decision_gate() is None:
            continue
        status = state.step(spec.name)
        for approval in status.approvals:
            approval.verified = approval_verifies(state, spec.name, approval)
        if spec.type is not StepType.GATE or spec.gate is None:
            continue  # a decided check is not re-judged (docs/rollouts.md)
        if status.phase is not StepPhase.SUCCEEDED:
            continue
        counted = {a.user for a in status.approvals if a.verified or trusted}
        timed_out = (
            spec.gate.on_timeout is OnTimeout.APPROVE
            and status.deadline is not None
            and status.finished_at is not None
            and status.finished_at >= status.deadline
        )
        if len(counted) >= spec.gate.required or timed_out:
            continue
        message = (
            f"{UNVERIFIED_START} ({len(counted)} of {spec.gate.required} "
            "signed by the webhook): the status was altered or the signing key changed; "
            f"retry {spec.name} to decide it again"
        )
        finish(state, status, StepPhase.FAILED, message)
        state.warn(Reason.DECISIONS_UNVERIFIED, f"{spec.name} failed: {message}")


def record(
    state: RunState,
    kind: ActionKind,
    *,
    target: str,
    user: str | None,
    groups: tuple[str, ...],
    comment: str,
    at: datetime | None,
    verified: bool,
    attest: dict[str, str] | None = None,
) -> None:
    """Append an accepted human action to the run's audit trail (the latest ones are kept)."""
    state.status.decisions.append(
        DecisionRecord(
            kind=kind,
            target=target,
            user=user or "unknown",
            groups=list(groups),
            comment=comment,
            at=at or state.now,
            run=state.run,
            verified=verified,
            attest=attest or {},
        )
    )
    del state.status.decisions[:-DECISIONS_LIMIT]
