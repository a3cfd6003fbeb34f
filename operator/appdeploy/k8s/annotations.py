"""Human actions as annotations (DESIGN.md §5): what the planner sees of them.

Approval values are either plain text (a comment, with no identity: refused
unless a webhook signed it) or a JSON envelope ``{"user", "groups",
"comment", "at"}``. Until the admission webhook signs envelopes, every
envelope is unverified and counts only with ``--trust-unverified-approvals``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from appdeploy.engine import DecisionKind, ObservedDecision, ObservedRequest
from appdeploy.k8s.labels import APPROVE_PREFIX, CANCEL_ANNOTATION, REJECT_PREFIX, RETRY_ANNOTATION
from appdeploy.k8s.observe import parse_time


def read_decision(key: str, value: str) -> ObservedDecision | None:
    """The decision an ``approve.``/``reject.appdeploy.dev/<gate>`` annotation holds, if any."""
    if key.startswith(APPROVE_PREFIX):
        kind, gate = DecisionKind.APPROVE, key.removeprefix(APPROVE_PREFIX)
    elif key.startswith(REJECT_PREFIX):
        kind, gate = DecisionKind.REJECT, key.removeprefix(REJECT_PREFIX)
    else:
        return None
    envelope = _envelope(value)
    if envelope is None:
        return ObservedDecision(key, kind, gate, user=None, comment=value.strip())
    try:
        groups = tuple(str(group) for group in envelope.get("groups") or ())
        at = parse_time(envelope.get("at"))
    except (TypeError, ValueError) as error:
        return ObservedDecision(key, kind, gate, user=None, problem=f"unreadable envelope: {error}")
    return ObservedDecision(
        key,
        kind,
        gate,
        user=str(envelope["user"]) if envelope.get("user") else None,
        groups=groups,
        comment=str(envelope.get("comment") or ""),
        at=at,
        verified=False,
    )


def _envelope(value: str) -> dict[str, Any] | None:
    text = value.strip()
    if not text.startswith("{"):
        return None
    try:
        parsed = json.loads(text)
    except ValueError:
        return None
    return parsed if isinstance(parsed, dict) else None


def read_requests(
    annotations: Mapping[str, str],
) -> tuple[tuple[ObservedDecision, ...], ObservedRequest | None, ObservedRequest | None]:
    """Every decision, and the retry and cancel requests, among an object's annotations."""
    decisions = tuple(
        decision
        for key, value in sorted(annotations.items())
        if (decision := read_decision(key, value)) is not None
    )
    retry = annotations.get(RETRY_ANNOTATION)
    cancel = annotations.get(CANCEL_ANNOTATION)
    return (
        decisions,
        ObservedRequest(RETRY_ANNOTATION, retry) if retry is not None else None,
        ObservedRequest(CANCEL_ANNOTATION, cancel) if cancel is not None else None,
    )
