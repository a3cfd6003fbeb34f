"""The attribution hooks, as functions of the admission request (docs/security.md).

``sign-spec`` records who wrote each spec: on CREATE, and on an UPDATE that
changes the spec, it sets ``appdeploy.dev/spec-author`` to a claim naming the
authenticated caller and the hash of the spec they sent, signed with the
operator's key, whatever the request wrote there. A request that sets or
changes that annotation without changing the spec is refused (it can only be
a forgery); one that drops it (a tool replacing the whole object) gets the old
value back, so the current run stays attributed.

``sign-break-glass`` signs ``appdeploy.dev/break-glass`` for the spec the
release will have after the request, only when the caller is in the
``breakGlass.groups`` of a ReleasePolicy in force for the release; anyone else
is refused, with the groups that may. Removing it is for the operator and
those groups; anyone else's removal (a whole-object replace by a GitOps tool)
puts it back with a warning, so no sync is blocked by it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from appdeploy.api.approvals import comment_problem
from appdeploy.api.attribution import BREAK_GLASS, SPEC_AUTHOR, SpecClaim, reason_of
from appdeploy.api.spec_hash import spec_hash
from appdeploy.api.timestamps import utc_seconds
from appdeploy.engine.inputs import PolicyFacts
from appdeploy.k8s.labels import BREAK_GLASS_ANNOTATION, SPEC_AUTHOR_ANNOTATION


class ClaimRefused(ValueError):
    """The request may not carry this annotation; the message says why (kubectl prints it)."""


@dataclass(frozen=True)
class Caller:
    """Who sent the request, as the API server authenticated them."""

    username: str
    groups: tuple[str, ...]


def spec_changed(old: Mapping[str, Any] | None, new: Mapping[str, Any]) -> bool:
    """True for a CREATE, and for an UPDATE whose spec differs from the stored one."""
    return old is None or old.get("spec") != new.get("spec")


def next_generation(old: Mapping[str, Any] | None, new: Mapping[str, Any]) -> int:
    """The generation the object will have once stored: the API server bumps it on a spec
    change (the status subresource keeps status writes out of it)."""
    if old is None:
        return 1
    stored = int((old.get("metadata") or {}).get("generation") or 1)
    return stored + 1 if spec_changed(old, new) else stored


def spec_author_patch(
    old: Mapping[str, Any] | None,
    new: Mapping[str, Any],
    caller: Caller,
    *,
    key: bytes | None,
    now: datetime,
) -> dict[str, str | None]:
    """The annotation patch that attributes the request's spec to ``caller``.

    ``key`` None (the operator has not loaded it yet) lets a spec change through
    unattributed, with whatever the request wrote there removed, rather than
    refusing it: this hook must not block deploys.
    """
    before = _annotations(old).get(SPEC_AUTHOR_ANNOTATION)
    after = _annotations(new).get(SPEC_AUTHOR_ANNOTATION)
    if spec_changed(old, new) and key is None:
        return {} if after is None else {SPEC_AUTHOR_ANNOTATION: None}
    if spec_changed(old, new):
        assert key is not None
        claim = SpecClaim(
            kind=SPEC_AUTHOR,
            user=caller.username,
            groups=caller.groups,
            spec_hash=spec_hash(new.get("spec")),
            generation=next_generation(old, new),
            at=utc_seconds(now),
        )
        namespace, name = _identity(new)
        return {SPEC_AUTHOR_ANNOTATION: claim.signed(key, namespace, name).to_annotation()}
    if after == before:
        return {}
    if after is None:
        return {SPEC_AUTHOR_ANNOTATION: before}  # dropped by a whole-object replace: kept
    raise ClaimRefused(
        f"{SPEC_AUTHOR_ANNOTATION}: only the admission webhook writes it, when the spec "
        f"changes; {caller.username} may not set or change it (leave it out of the request)"
    )


def break_glass_patch(
    old: Mapping[str, Any] | None,
    new: Mapping[str, Any],
    caller: Caller,
    *,
    key: bytes,
    now: datetime,
    facts: PolicyFacts | None,
    operator: str = "",
    warnings: list[str] | None = None,
) -> dict[str, str | None]:
    """The annotation patch that signs a break-glass for the request's spec (or refuses it).

    ``facts`` are the ReleasePolicies in force (``PolicyCache.facts``); None: not
    known yet (the operator is starting), so nothing is signed or removed.

    A removal by someone who may not remove it puts it back, with a warning in
    ``warnings`` (kubectl prints it).
    """
    before = _annotations(old).get(BREAK_GLASS_ANNOTATION)
    after = _annotations(new).get(BREAK_GLASS_ANNOTATION)
    if after == before:
        return {}
    namespace, name = _identity(new)
    release = f"{namespace}/{name}"
    if facts is None or facts.unknown:
        why = facts.unknown if facts is not None else "the operator is starting"
        raise ClaimRefused(
            f"{BREAK_GLASS_ANNOTATION}: the ReleasePolicies in force for {release} cannot be "
            f"known now ({why}); try again in a moment"
        )
    allowed = _allowed(facts)
    member = any(set(caller.groups) & set(groups) for _, groups in allowed)
    if after is None:
        if member or not allowed or (operator and caller.username == operator):
            return {}
        if warnings is not None:
            warnings.append(
                f"{BREAK_GLASS_ANNOTATION} kept on {release}: only the operator and members of "
                f"{_who(allowed)} may remove it; {caller.username} is in none of these groups"
            )
        # Kept rather than refused: a tool replacing the whole object (GitOps) must not
        # be blocked by an override it does not know about.
        return {BREAK_GLASS_ANNOTATION: before}
    if not allowed:
        names = ", ".join(p.name for p in facts.applicable)
        raise ClaimRefused(
            f"{BREAK_GLASS_ANNOTATION}: no ReleasePolicy in force for {release} has "
            f"breakGlass.groups (in force: {names or 'none'}), so there is no glass to break"
        )
    if not member:
        raise ClaimRefused(
            f"{BREAK_GLASS_ANNOTATION}: only members of {_who(allowed)} may break the glass on "
            f"{release}; {caller.username} is in none of these groups"
        )
    reason = reason_of(after)
    if not reason:
        raise ClaimRefused(
            f'{BREAK_GLASS_ANNOTATION}: say why, e.g. {{"reason": "CVE-2026-1234 hotfix"}}'
        )
    if problem := comment_problem(reason):
        raise ClaimRefused(f"{BREAK_GLASS_ANNOTATION}: {problem.replace('comment', 'reason')}")
    claim = SpecClaim(
        kind=BREAK_GLASS,
        user=caller.username,
        groups=caller.groups,
        spec_hash=spec_hash(new.get("spec")),
        generation=next_generation(old, new),
        at=utc_seconds(now),
        reason=reason,
    )
    return {BREAK_GLASS_ANNOTATION: claim.signed(key, namespace, name).to_annotation()}


def _allowed(facts: PolicyFacts) -> list[tuple[str, list[str]]]:
    """(policy, its breakGlass.groups) of each policy in force that allows breaking glass."""
    return [
        (policy.name, [str(group) for group in policy.spec.break_glass.groups])
        for policy in facts.applicable
        if policy.spec.break_glass is not None
    ]


def _who(allowed: list[tuple[str, list[str]]]) -> str:
    return " or ".join(
        f"{', '.join(groups)} (ReleasePolicy {policy} breakGlass.groups)"
        for policy, groups in allowed
    )


def _identity(body: Mapping[str, Any]) -> tuple[str, str]:
    metadata = body.get("metadata") or {}
    return str(metadata.get("namespace") or ""), str(metadata.get("name") or "")


def _annotations(body: Mapping[str, Any] | None) -> dict[str, str]:
    if not body:
        return {}
    return dict((body.get("metadata") or {}).get("annotations") or {})
