"""``appdeploy break-glass``: override the ReleasePolicies for the release's current spec.

The command writes ``appdeploy.dev/break-glass`` with the reason only; the
admission webhook signs it with the caller's authenticated identity and the
hash of the spec the release has at that moment, or refuses it (naming the
policies and the groups that may). It then reads back what was stored: an
unsigned value (no webhook) is reported as an error, since the operator
never honours it (docs/policies.md, "Break-glass").
"""

from __future__ import annotations

import json
from typing import Any, cast

from kubernetes.client.exceptions import ApiException

from appdeploy.api.attribution import BREAK_GLASS, read_claim
from appdeploy.cli.release_actions import ActionError, ReleaseClient, api_reason
from appdeploy.k8s.labels import BREAK_GLASS_ANNOTATION, GROUP, PLURAL, VERSION


def break_glass(release: ReleaseClient, reason: str) -> str:
    """Write the override; what the webhook signed, as one line, or ActionError."""
    if not reason.strip():
        raise ActionError("--reason is required: say why the policies are overridden")
    release.get()  # a missing release is named as such, not as a failed patch
    patch = {"metadata": {"annotations": {BREAK_GLASS_ANNOTATION: json.dumps({"reason": reason})}}}
    try:
        stored = cast(
            dict[str, Any],
            release.custom.patch_namespaced_custom_object(
                GROUP, VERSION, release.namespace, PLURAL, release.name, patch
            ),
        )
    except ApiException as error:
        raise ActionError(api_reason(error)) from None
    metadata = stored.get("metadata") or {}
    value = (metadata.get("annotations") or {}).get(BREAK_GLASS_ANNOTATION, "")
    try:
        claim = read_claim(BREAK_GLASS, value)
    except ValueError:
        claim = None
    if claim is None or not claim.signature:
        raise ActionError(
            f"{BREAK_GLASS_ANNOTATION} was written but not signed: the admission webhook is "
            "not installed, so the operator will not honour it; remove it with kubectl "
            f"annotate appdeployment/{release.name} {BREAK_GLASS_ANNOTATION}-"
        )
    spec = stored.get("spec") or {}
    return (
        f"broke the glass on {release.namespace}/{release.name} as {claim.user} "
        f"({', '.join(claim.groups) or 'no groups'}) for {spec.get('app')} {spec.get('version')} "
        f"(spec {claim.spec_hash[:19]}…, generation {claim.generation}): {claim.reason}; "
        "a changed spec needs the glass broken again"
    )
