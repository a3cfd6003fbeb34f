"""Human actions as annotations (DESIGN.md §5): what the planner sees of them.

An approval's value is either a signed envelope written by the admission
webhook (verified when the HMAC checks out for this release, gate and kind;
refused as forged when it does not), an unsigned JSON envelope (identity as
claimed, unverified: counts only with ``--trust-unverified-approvals``), or
plain text (a comment with no identity at all).
"""

from __future__ import annotations

from collections.abc import Mapping

from appdeploy.api.approvals import Target, read_envelope
from appdeploy.engine import DecisionKind, ObservedDecision, ObservedRequest
from appdeploy.k8s.labels import APPROVE_PREFIX, CANCEL_ANNOTATION, REJECT_PREFIX, RETRY_ANNOTATION

FORGED = (
    "its signature does not match: the envelope was forged, altered, or copied from "
    "another release or gate; approve again with kubectl"
)


def decision_kind(key: str) -> tuple[DecisionKind, str] | None:
    """(approve|reject, gate) for a decision annotation key, else None."""
    if key.startswith(APPROVE_PREFIX):
        return DecisionKind.APPROVE, key.removeprefix(APPROVE_PREFIX)
    if key.startswith(REJECT_PREFIX):
        return DecisionKind.REJECT, key.removeprefix(REJECT_PREFIX)
    return None


def read_decision(
    key: str, value: str, target: Target | None = None, signing_key: bytes | None = None
) -> ObservedDecision | None:
    """The decision an ``approve.``/``reject.appdeploy.dev/<gate>`` annotation holds, if any."""
    found = decision_kind(key)
    if found is None:
        return None
    kind, gate = found
    try:
        envelope = read_envelope(str(kind), gate, value)
    except (TypeError, ValueError) as error:
        return ObservedDecision(key, kind, gate, user=None, problem=f"unreadable envelope: {error}")
    if envelope is None:
        return ObservedDecision(key, kind, gate, user=None, comment=value.strip())
    verified = False
    if envelope.signature:
        if signing_key is None or target is None or not envelope.verify(signing_key, target):
            return ObservedDecision(key, kind, gate, user=envelope.user, problem=FORGED)
        verified = True
    return ObservedDecision(
        key,
        kind,
        gate,
        user=envelope.user,
        groups=envelope.groups,
        comment=envelope.comment,
        at=envelope.at,
        verified=verified,
        run=envelope.run if verified else None,
    )


def read_requests(
    annotations: Mapping[str, str],
    target: Target | None = None,
    signing_key: bytes | None = None,
) -> tuple[tuple[ObservedDecision, ...], ObservedRequest | None, ObservedRequest | None]:
    """Every decision, and the retry and cancel requests, among an object's annotations."""
    decisions = tuple(
        decision
        for key, value in sorted(annotations.items())
        if (decision := read_decision(key, value, target, signing_key)) is not None
    )
    retry = annotations.get(RETRY_ANNOTATION)
    cancel = annotations.get(CANCEL_ANNOTATION)
    return (
        decisions,
        ObservedRequest(RETRY_ANNOTATION, retry) if retry is not None else None,
        ObservedRequest(CANCEL_ANNOTATION, cancel) if cancel is not None else None,
    )
