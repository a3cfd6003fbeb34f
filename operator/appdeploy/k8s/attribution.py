"""The ``spec-author`` and ``break-glass`` annotations, as the operator and its webhook read them.

Next to ``read_requests`` (``appdeploy.k8s.annotations``): the same rules. A
claim counts only when the webhook's signature checks out for this release
and for the generation its spec is at now; anything else is read with the
reason it does not count, so the run records "unattributed: …" and a
break-glass that cannot be honoured says why.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from appdeploy.api.attribution import BREAK_GLASS, SPEC_AUTHOR, SpecClaim, read_claim
from appdeploy.engine.inputs import ObservedAuthor, ObservedBreakGlass
from appdeploy.k8s.labels import BREAK_GLASS_ANNOTATION, SPEC_AUTHOR_ANNOTATION

UNSIGNED_AUTHOR = "no signed spec-author annotation (was the webhook down?)"
UNSIGNED_BREAK_GLASS = (
    "the break-glass annotation is not signed (was the webhook down?); break the glass "
    "again with appdeploy break-glass"
)
NO_KEY = "the operator has no signing key to check the signature"
MISMATCH = "the signature does not match"


def read_author(body: Mapping[str, Any], signing_key: bytes | None) -> ObservedAuthor | None:
    """Who the webhook says wrote the release's spec; None when the annotation is absent."""
    value = _annotations(body).get(SPEC_AUTHOR_ANNOTATION)
    if value is None:
        return None
    claim, problem = _verified(SPEC_AUTHOR, value, body, signing_key, UNSIGNED_AUTHOR)
    if claim is None:
        return ObservedAuthor(user="", groups=(), spec_hash="", problem=problem)
    return ObservedAuthor(
        user=claim.user,
        groups=claim.groups,
        spec_hash=claim.spec_hash,
        at=claim.at,
        verified=not problem,
        problem=problem,
    )


def read_break_glass(
    body: Mapping[str, Any], signing_key: bytes | None
) -> ObservedBreakGlass | None:
    """The break-glass override on the release; None when there is none.

    ``verified`` only when signed by the webhook for this release and the
    generation it is at; ``engine.policy_judgement`` also checks its spec hash
    and groups against each policy.
    """
    value = _annotations(body).get(BREAK_GLASS_ANNOTATION)
    if value is None:
        return None
    claim, problem = _verified(BREAK_GLASS, value, body, signing_key, UNSIGNED_BREAK_GLASS)
    if claim is None:
        return ObservedBreakGlass(
            user="", groups=(), reason=value.strip(), spec_hash="", problem=problem
        )
    return ObservedBreakGlass(
        user=claim.user,
        groups=claim.groups,
        reason=claim.reason,
        spec_hash=claim.spec_hash,
        at=claim.at,
        verified=not problem,
        problem=problem,
    )


def _verified(
    kind: str, value: str, body: Mapping[str, Any], key: bytes | None, unsigned: str
) -> tuple[SpecClaim | None, str]:
    """The claim and why it does not count ("" when it does)."""
    try:
        claim = read_claim(kind, value)
    except (TypeError, ValueError) as error:
        return None, f"unreadable {kind} annotation: {error}"
    if claim is None or not claim.signature:
        return claim, unsigned
    metadata = body.get("metadata") or {}
    namespace, name = str(metadata.get("namespace") or ""), str(metadata.get("name") or "")
    if key is None:
        return claim, NO_KEY
    if not claim.verify(key, namespace, name):
        return claim, MISMATCH
    generation = int(metadata.get("generation") or 1)
    if claim.generation != generation:
        return claim, (
            f"signed for another spec (generation {claim.generation}; the release is at "
            f"generation {generation})"
        )
    return claim, ""


def _annotations(body: Mapping[str, Any]) -> dict[str, str]:
    return dict((body.get("metadata") or {}).get("annotations") or {})
