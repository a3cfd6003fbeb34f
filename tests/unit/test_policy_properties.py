"""Properties of ReleasePolicy evaluation over random release DAGs and random policies.

Whatever the DAG and the policy, a protected step that ``violations`` lets
through has every required gate among its ancestors (computed here
independently of the engine), a protected finally step is never let
through, and protecting more never lets more through.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from appdeploy.api.policy import ReleasePolicy, ReleasePolicySpec
from appdeploy.api.spec import AppDeploymentSpec
from appdeploy.api.validation import parse_spec
from appdeploy.engine.policies import Rule, protected_steps, violations

SECRETS = ["asc-api-key", "play-publisher", "ios-signing"]
ACCOUNTS = ["store-publisher", "release-runner"]


@st.composite
def releases(draw: st.DrawFn) -> AppDeploymentSpec:
    """1-7 steps, needs only on earlier ones; run steps use random Secrets and accounts."""
    steps: list[dict[str, Any]] = []
    for index in range(draw(st.integers(1, 7))):
        earlier = [step["name"] for step in steps]
        needs = draw(st.lists(st.sampled_from(earlier), unique=True, max_size=2)) if earlier else []
        step: dict[str, Any] = {"name": f"s{index}", "needs": needs}
        if draw(st.booleans()):
            step["gate"] = {"approvers": {"groups": ["compliance"]}}
        else:
            step["run"] = run_body(draw)
        steps.append(step)
    spec: dict[str, Any] = {"app": "shop", "version": "1", "steps": steps}
    if draw(st.booleans()):
        spec["serviceAccountName"] = draw(st.sampled_from(ACCOUNTS))
    if draw(st.booleans()):
        spec["finally"] = [{"name": "report", "run": run_body(draw)}]
    return parse_spec(spec)


def run_body(draw: st.DrawFn) -> dict[str, Any]:
    secrets = draw(st.lists(st.sampled_from(SECRETS), unique=True, max_size=2))
    body: dict[str, Any] = {"image": "i", "envFrom": [{"secretRef": {"name": s}} for s in secrets]}
    if draw(st.booleans()):
        body["serviceAccountName"] = draw(st.sampled_from(ACCOUNTS))
    return body


@st.composite
def policies(draw: st.DrawFn) -> dict[str, Any]:
    gates = draw(st.lists(st.sampled_from([f"s{i}" for i in range(7)]), unique=True, min_size=1))
    return {
        "protect": {
            "secretNames": draw(st.lists(st.sampled_from(SECRETS), unique=True)),
            "serviceAccountNames": draw(st.lists(st.sampled_from(ACCOUNTS), unique=True)),
        },
        "requireGates": [{"name": name} for name in gates],
    }


def made(spec: dict[str, Any]) -> ReleasePolicy:
    return ReleasePolicy("p", ReleasePolicySpec.model_validate(spec))


def upstream_gates(spec: AppDeploymentSpec, name: str) -> set[str]:
    """Gate steps reachable backwards through needs (a plain closure, not the engine's)."""
    by_name = {step.name: step for step in spec.steps}
    seen: set[str] = set()
    frontier = list(by_name[name].needs)
    while frontier:
        parent = frontier.pop()
        if parent not in seen:
            seen.add(parent)
            frontier.extend(by_name[parent].needs)
    return {parent for parent in seen if by_name[parent].gate is not None}


@settings(max_examples=300, deadline=None)
@given(releases(), policies())
def test_every_protected_step_let_through_has_all_required_gates_upstream(
    spec: AppDeploymentSpec, raw: dict[str, Any]
) -> None:
    policy = made(raw)
    refused = {v.path for v in violations(spec, [policy]) if v.rule is Rule.PROTECT}
    required = {gate.name for gate in policy.spec.require_gates}
    for protected in protected_steps(spec, policy):
        if protected.in_finally:
            assert protected.path in refused, "a protected finally step is always refused"
        elif protected.path not in refused:
            assert required <= upstream_gates(spec, protected.step.name), protected.path


@settings(max_examples=300, deadline=None)
@given(releases(), policies(), st.sampled_from(SECRETS))
def test_protecting_another_secret_never_reduces_violations(
    spec: AppDeploymentSpec, raw: dict[str, Any], secret: str
) -> None:
    before = Counter((v.rule, v.path) for v in violations(spec, [made(raw)]))
    wider = {**raw, "protect": {**raw["protect"], "secretNames": [*raw["protect"]["secretNames"]]}}
    if secret not in wider["protect"]["secretNames"]:
        wider["protect"]["secretNames"].append(secret)
    after = Counter((v.rule, v.path) for v in violations(spec, [made(wider)]))
    assert not before - after, f"lost {before - after}"
