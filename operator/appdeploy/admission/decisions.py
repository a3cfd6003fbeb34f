"""The approval identity hooks, as functions of the admission request.

The mutating hook moves each decision a request adds or changes to a key of
its author's own (``<author>.approve.appdeploy.dev/<gate>``), with an envelope
naming the authenticated caller, signed with the operator's key; whatever
identity the caller wrote is discarded. So two people deciding at the same
moment never write the same key. The validating hook then refuses a request
that changes or removes someone else's pending decision (only the operator
consumes them), and a decision that would not count (unknown gate, gate not
waiting, person not allowed, already decided, distinctFrom, a service account
not listed by name, an approval that does not attest what the gate attests
now), with the same reason the planner gives, so ``kubectl`` prints it and
nothing is stored. The values a person attests to (``{"attest": {...}}`` in
the value they write) are signed with the decision.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from appdeploy.api.approvals import (
    Envelope,
    Target,
    attest_of,
    author_tag,
    comment_of,
    read_envelope,
)
from appdeploy.engine import ObservedDecision, Release, Settings, check_decision
from appdeploy.k8s.annotations import (
    DecisionKey,
    authored_key,
    parse_decision_key,
    request_kind,
)
from appdeploy.k8s.labels import CANCEL_ANNOTATION, RETRY_ANNOTATION


class DecisionRefused(ValueError):
    """The mutating hook will not sign this request; the message says why (kubectl prints it)."""


def changed_decisions(
    old: Mapping[str, Any] | None, new: Mapping[str, Any]
) -> list[tuple[str, str]]:
    """(key, value) of every decision annotation the request adds or changes."""
    before = _annotations(old)
    return [
        (key, value)
        for key, value in sorted(_annotations(new).items())
        if parse_decision_key(key) is not None and before.get(key) != value
    ]


def _annotations(body: Mapping[str, Any] | None) -> dict[str, str]:
    if not body:
        return {}
    return dict((body.get("metadata") or {}).get("annotations") or {})


def target_of(body: Mapping[str, Any]) -> Target:
    """The release a request is about."""
    metadata = body.get("metadata") or {}
    return Target(
        str(metadata.get("namespace") or ""),
        str(metadata.get("name") or ""),
        str(metadata.get("uid") or ""),
    )


def signed_values(
    old: Mapping[str, Any] | None,
    new: Mapping[str, Any],
    *,
    username: str,
    groups: list[str],
    key: bytes,
    now: datetime,
) -> dict[str, str | None]:
    """The annotation patch: each new decision under its author's key, signed (None: remove).

    A retry or cancel the request writes is signed in place, so it is attributed too.

    A decision written under someone else's key is left as it is: the
    validating hook refuses the request.
    """
    run = ((old or new).get("status") or {}).get("run")
    if run is None:
        # Signed for no run, an envelope would count in every run; nothing can be
        # decided before the operator starts one anyway.
        written = [key for key, _ in changed_decisions(old, new)] + _changed_requests(old, new)
        if written:
            raise DecisionRefused(
                f"{', '.join(written)}: the release has not started a run yet (no status.run), "
                "and a decision is signed for one run; wait until the operator has picked "
                "the release up"
            )
        return {}
    target = target_of(new)
    own = author_tag(username)
    patch: dict[str, str | None] = {}
    for annotation, value in changed_decisions(old, new):
        parsed = parse_decision_key(annotation)
        assert parsed is not None
        if parsed.author not in (None, own):
            continue
        try:
            attest = attest_of(value)
        except ValueError as error:
            raise DecisionRefused(f"{annotation}: {error}") from None
        envelope = Envelope(
            kind=str(parsed.kind),
            gate=parsed.gate,
            user=username,
            groups=tuple(groups),
            comment=comment_of(value),
            at=now,
            run=int(run),
            attest=attest,
        )
        destination = authored_key(parsed.kind, parsed.gate, username)
        patch[destination] = envelope.signed(key, target).to_annotation()
        if annotation != destination:
            patch[annotation] = None
    after = _annotations(new)
    for annotation in _changed_requests(old, new):
        envelope = Envelope(
            kind=request_kind(annotation),
            gate="",
            user=username,
            groups=tuple(groups),
            comment=comment_of(after[annotation]),
            at=now,
            run=int(run),
        )
        patch[annotation] = envelope.signed(key, target).to_annotation()
    return patch


def _changed_requests(old: Mapping[str, Any] | None, new: Mapping[str, Any]) -> list[str]:
    """The retry and cancel annotations the request adds or changes."""
    before, after = _annotations(old), _annotations(new)
    return [
        annotation
        for annotation in (RETRY_ANNOTATION, CANCEL_ANNOTATION)
        if annotation in after and after[annotation] != before.get(annotation)
    ]


def foreign_changes(
    old: Mapping[str, Any] | None, new: Mapping[str, Any], *, username: str
) -> list[str]:
    """Why the request may not touch other people's pending decisions (empty: it does not)."""
    before, after = _annotations(old), _annotations(new)
    own = author_tag(username)
    reasons = []
    for annotation in sorted(set(before) | set(after)):
        parsed = parse_decision_key(annotation)
        if parsed is None or parsed.author in (None, own):
            continue
        if before.get(annotation) == after.get(annotation):
            continue
        author = _author_name(before.get(annotation) or after.get(annotation) or "", parsed)
        verb = "approval" if parsed.kind == "approve" else "rejection"
        action = "remove" if annotation not in after else "change"
        reasons.append(
            f"{username} may not {action} {author}'s pending {verb} of {parsed.gate} "
            f"({annotation}); decide under your own name with kubectl appdeploy "
            f"{parsed.kind} or kubectl annotate {parsed.kind}.appdeploy.dev/{parsed.gate}"
        )
    return reasons


def _author_name(value: str, parsed: DecisionKey) -> str:
    try:
        envelope = read_envelope(str(parsed.kind), parsed.gate, value)
    except (TypeError, ValueError):
        envelope = None
    return envelope.user if envelope is not None else "another person"


def refusals(
    old: Mapping[str, Any] | None,
    new: Mapping[str, Any],
    *,
    username: str,
    groups: list[str],
    now: datetime,
    operator: str = "",
    settings: Settings | None = None,
) -> list[str]:
    """Why the request's decisions may not be stored (empty: all of them may).

    ``operator`` is the operator's own username: it removes the decisions it consumed;
    ``settings`` judge the release as the operator does (its pod policy, reminder floor).
    """
    if operator and username == operator:
        return []
    if old is None:
        return [
            f"{key}: a new release has no waiting gate; approve once it waits"
            for key, _ in changed_decisions(old, new)
        ]
    reasons = foreign_changes(old, new, username=username)
    metadata = old.get("metadata") or {}
    release = Release(
        name=str(metadata.get("name")),
        namespace=str(metadata.get("namespace")),
        generation=int(metadata.get("generation") or 1),
        spec=old.get("spec") or {},
        status=old.get("status"),
    )
    own = author_tag(username)
    run = (old.get("status") or {}).get("run")
    for annotation, value in changed_decisions(old, new):
        parsed = parse_decision_key(annotation)
        assert parsed is not None
        if parsed.author not in (None, own):
            continue  # refused above
        verb = "approval" if parsed.kind == "approve" else "rejection"
        try:
            attest = attest_of(value)
        except ValueError as error:
            reasons.append(f"{verb} of {parsed.gate} by {username} refused: {error}")
            continue
        decision = ObservedDecision(
            annotation,
            parsed.kind,
            parsed.gate,
            user=username,
            groups=tuple(groups),
            comment=comment_of(value),
            at=now,
            verified=True,
            run=int(run) if run is not None else None,  # what the mutating hook signed
            attest=attest,
        )
        reason = check_decision(release, decision, now, settings or Settings())
        if reason:
            reasons.append(f"{verb} of {parsed.gate} by {username} refused: {reason}")
    return reasons
