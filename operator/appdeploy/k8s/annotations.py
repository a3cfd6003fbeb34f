"""Human actions as annotations (DESIGN.md §5): what the planner sees of them.

A person writes ``approve.appdeploy.dev/<gate>``; the mutating webhook moves
it to a key of its author's own, ``<author>.approve.appdeploy.dev/<gate>``
(``author_tag`` of the authenticated username), so decisions by different
people never share a key: none overwrites another, none needs ``--overwrite``,
and the validating webhook refuses changing or removing someone else's.

An approval's value is either a signed envelope written by the admission
webhook (verified when the HMAC checks out for this release, gate and kind;
refused as forged when it does not), an unsigned JSON envelope (identity as
claimed, unverified: counts only with ``--trust-unverified-approvals``), or
plain text (a comment with no identity at all).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from appdeploy.api.approvals import Target, author_tag, read_envelope
from appdeploy.engine import DecisionKind, ObservedDecision, ObservedRequest
from appdeploy.k8s.labels import CANCEL_ANNOTATION, GROUP, RETRY_ANNOTATION

FORGED = (
    "its signature does not match: the envelope was forged, altered, or copied from "
    "another release or gate; approve again with kubectl"
)


WRONG_AUTHOR = (
    "it is stored under another person's key: only the webhook moves a decision to its "
    "author's key; approve again with kubectl"
)

_DECISION_KEY = re.compile(
    r"^(?:(?P<author>[a-z0-9]([-a-z0-9]*[a-z0-9])?)\.)?(?P<kind>approve|reject)\."
    + re.escape(GROUP)
    + r"/(?P<gate>.+)$"
)


@dataclass(frozen=True)
class DecisionKey:
    """What a decision annotation key says: the kind, the gate, and whose key it is."""

    kind: DecisionKind
    gate: str
    author: str | None
    """The ``author_tag`` of an authored key; None for the key a person writes."""


def parse_decision_key(key: str) -> DecisionKey | None:
    """The parts of ``[<author>.]approve|reject.appdeploy.dev/<gate>``, else None."""
    found = _DECISION_KEY.match(key)
    if found is None:
        return None
    return DecisionKey(DecisionKind(found["kind"]), found["gate"], found["author"])


def decision_kind(key: str) -> tuple[DecisionKind, str] | None:
    """(approve|reject, gate) for a decision annotation key (plain or authored), else None."""
    parsed = parse_decision_key(key)
    return None if parsed is None else (parsed.kind, parsed.gate)


def written_key(kind: DecisionKind | str, gate: str) -> str:
    """The key a person writes: ``approve.appdeploy.dev/<gate>``."""
    return f"{kind}.{GROUP}/{gate}"


def authored_key(kind: DecisionKind | str, gate: str, user: str) -> str:
    """Where the webhook moves a decision: ``<author>.approve.appdeploy.dev/<gate>``."""
    return f"{author_tag(user)}.{written_key(kind, gate)}"


def read_decision(
    key: str, value: str, target: Target | None = None, signing_key: bytes | None = None
) -> ObservedDecision | None:
    """The decision an ``approve.``/``reject.appdeploy.dev/<gate>`` annotation holds, if any."""
    parsed = parse_decision_key(key)
    if parsed is None:
        return None
    kind, gate = parsed.kind, parsed.gate
    try:
        envelope = read_envelope(str(kind), gate, value)
    except (TypeError, ValueError) as error:
        return ObservedDecision(key, kind, gate, user=None, problem=f"unreadable envelope: {error}")
    if envelope is None:
        return ObservedDecision(key, kind, gate, user=None, comment=value.strip())
    if parsed.author is not None and parsed.author != author_tag(envelope.user):
        return ObservedDecision(key, kind, gate, user=envelope.user, problem=WRONG_AUTHOR)
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
        signature=envelope.signature if verified else "",
        attest=envelope.attest,
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
        read_request(RETRY_ANNOTATION, retry, target, signing_key) if retry is not None else None,
        read_request(CANCEL_ANNOTATION, cancel, target, signing_key)
        if cancel is not None
        else None,
    )


def request_kind(key: str) -> str:
    """``retry`` or ``cancel``: the kind the webhook signs a request annotation as."""
    return key.rsplit("/", 1)[-1]


def read_request(
    key: str, value: str, target: Target | None = None, signing_key: bytes | None = None
) -> ObservedRequest:
    """A retry or cancel: plain text (author unknown), or the webhook's signed envelope."""
    try:
        envelope = read_envelope(request_kind(key), "", value)
    except (TypeError, ValueError) as error:
        return ObservedRequest(key, "", problem=f"unreadable envelope: {error}")
    if envelope is None:
        return ObservedRequest(key, value.strip())
    if not envelope.signature:
        return ObservedRequest(key, envelope.comment, user=envelope.user, groups=envelope.groups)
    if signing_key is None or target is None or not envelope.verify(signing_key, target):
        return ObservedRequest(key, envelope.comment, user=envelope.user, problem=FORGED)
    return ObservedRequest(
        key,
        envelope.comment,
        user=envelope.user,
        groups=envelope.groups,
        at=envelope.at,
        verified=True,
        run=envelope.run,
    )
