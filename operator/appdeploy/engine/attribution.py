"""Who wrote a run's spec, as recorded in ``status.author`` when the run starts.

The webhook's signed ``spec-author`` claim counts only when it verified and
names exactly the spec the run executes (its hash); otherwise the run is
recorded as unattributed, with the reason, never as anyone's. Pure.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from appdeploy.api.spec_hash import spec_hash
from appdeploy.engine.inputs import ObservedAuthor

UNATTRIBUTED = "unattributed: "
NO_ANNOTATION = UNATTRIBUTED + "no signed spec-author annotation (was the webhook down?)"
OTHER_SPEC = UNATTRIBUTED + "signed for another spec"


def run_author(author: ObservedAuthor | None, spec: Mapping[str, Any]) -> tuple[str, str]:
    """(``status.author``, ``status.specHash``) for a run of ``spec``."""
    digest = spec_hash(spec)
    if author is None:
        return NO_ANNOTATION, digest
    if not author.verified:
        return UNATTRIBUTED + (author.problem or "the signature does not match"), digest
    if author.spec_hash != digest:
        return OTHER_SPEC, digest
    return author.user, digest
