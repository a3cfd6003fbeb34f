"""The approval identity hooks, as functions of the admission request.

The mutating hook replaces each added or changed ``approve.`` / ``reject.``
annotation with an envelope naming the authenticated caller, signed with the
operator's key; whatever identity the caller wrote is discarded. The
validating hook then refuses a decision that would not count (unknown gate,
gate not waiting, person not allowed, already decided, distinctFrom, a
service account not listed by name), with the same reason the planner gives,
so ``kubectl`` prints it and nothing is stored.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from appdeploy.api.approvals import Envelope, Target, comment_of
from appdeploy.api.pod_policy import SAFE_POLICY, StepPodPolicy
from appdeploy.engine import ObservedDecision, Release, Settings, check_decision
from appdeploy.k8s.annotations import decision_kind


def changed_decisions(
    old: Mapping[str, Any] | None, new: Mapping[str, Any]
) -> list[tuple[str, str]]:
    """(key, value) of every decision annotation the request adds or changes."""
    before = _annotations(old)
    return [
        (key, value)
        for key, value in sorted(_annotations(new).items())
        if decision_kind(key) is not None and before.get(key) != value
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
) -> dict[str, str]:
    """The envelope to store for each decision annotation the request adds or changes."""
    run = ((old or new).get("status") or {}).get("run")
    target = target_of(new)
    values = {}
    for annotation, value in changed_decisions(old, new):
        found = decision_kind(annotation)
        assert found is not None
        kind, gate = found
        envelope = Envelope(
            kind=str(kind),
            gate=gate,
            user=username,
            groups=tuple(groups),
            comment=comment_of(value),
            at=now,
            run=int(run) if run is not None else None,
        )
        values[annotation] = envelope.signed(key, target).to_annotation()
    return values


def refusals(
    old: Mapping[str, Any] | None,
    new: Mapping[str, Any],
    *,
    username: str,
    groups: list[str],
    now: datetime,
    pod_policy: StepPodPolicy = SAFE_POLICY,
) -> list[str]:
    """Why each decision in the request would not count (empty: all of them would)."""
    if old is None:
        return [
            f"{key}: a new release has no waiting gate; approve once it waits"
            for key, _ in changed_decisions(old, new)
        ]
    metadata = old.get("metadata") or {}
    release = Release(
        name=str(metadata.get("name")),
        namespace=str(metadata.get("namespace")),
        generation=int(metadata.get("generation") or 1),
        spec=old.get("spec") or {},
        status=old.get("status"),
    )
    reasons = []
    for annotation, value in changed_decisions(old, new):
        found = decision_kind(annotation)
        assert found is not None
        kind, gate = found
        decision = ObservedDecision(
            annotation,
            kind,
            gate,
            user=username,
            groups=tuple(groups),
            comment=comment_of(value),
            at=now,
            verified=True,
        )
        reason = check_decision(release, decision, now, Settings(pod_policy=pod_policy))
        if reason:
            verb = "approval" if kind == "approve" else "rejection"
            reasons.append(f"{verb} of {gate} by {username} refused: {reason}")
    return reasons
