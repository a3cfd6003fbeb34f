"""Attested approvals (docs/run-semantics.md, "Attested approvals"): approve what you read.

A gate may declare ``attest: {buildDigest: $(steps.build-ios.outputs.ipaSha256)}``.
The values are resolved from the upstream outputs when the gate opens and
shown to approvers (``status.steps[].attest``); an approval must state the
same values, which the webhook signs with it. So an approval says *what*
was approved, not only *who* approved: one made from a stale page (the build
was redone and the digest changed) is refused, naming the key and both
values, and a recorded approval counts only while its signed values are the
ones the gate attests now. Rejections need not attest: stopping a release is
safe whatever the approver read. The values are always resolved afresh from
the outputs, never read back from ``status.steps[].attest`` (which only shows
them), so an altered display cannot make an approval of something else count.
"""

from __future__ import annotations

from collections.abc import Mapping

from appdeploy.api.spec import Step
from appdeploy.api.substitutions import UnresolvedReference, substitute
from appdeploy.engine.state import RunState


def resolved_attest(state: RunState, spec: Step) -> tuple[dict[str, str], dict[str, str]]:
    """(value by name, why not by name) of the gate's ``attest`` in the current run."""
    assert spec.gate is not None
    values, unresolved = {}, {}
    substitutions = state.values(for_finally=False)
    for key, text in spec.gate.attest.items():
        try:
            values[key] = substitute(text, substitutions)
        except UnresolvedReference as error:
            unresolved[key] = str(error)
    return values, unresolved


def attest_refusal(state: RunState, spec: Step, attested: Mapping[str, str]) -> str:
    """Why an approval stating ``attested`` does not attest what the gate does ("" if it does)."""
    assert spec.gate is not None
    if not spec.gate.attest:
        if attested:
            return (
                f"{spec.name} asks nobody to attest anything, and you attested "
                f"{', '.join(sorted(attested))}; approve without --attest"
            )
        return ""
    current, unresolved = resolved_attest(state, spec)
    for key in spec.gate.attest:
        if key in unresolved:
            return (
                f"{spec.name} cannot be approved: there is no value of {key} to attest "
                f"({unresolved[key]}); reject it, or retry the step that produces it"
            )
        if key not in attested:
            return (
                f"{spec.name} asks you to attest {key}={current[key]}, and you did not: "
                f"read it (kubectl appdeploy status) and approve with --attest {key}=VALUE"
            )
        if attested[key] != current[key]:
            return (
                f"you attested {key}={attested[key]}, but the gate now attests "
                f"{current[key]}: read it again"
            )
    extra = sorted(set(attested) - set(spec.gate.attest))
    if extra:
        asked = ", ".join(spec.gate.attest)
        return f"{spec.name} does not ask to attest {', '.join(extra)} (it asks for {asked})"
    return ""


def attest_holds(state: RunState, spec: Step, attested: Mapping[str, str]) -> bool:
    """True when a recorded approval's signed values are the ones the gate attests now."""
    return spec.gate is None or not spec.gate.attest or not attest_refusal(state, spec, attested)
