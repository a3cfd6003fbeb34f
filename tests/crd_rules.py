"""Releases the CRD's CEL rules (``x-kubernetes-validations``) refuse, as the API server says it.

Each case is an invalid-spec fixture (the models refuse it with the message in
its ``# expect:`` line) and the field and message the API server reports.
Offline JSON Schema validation cannot see these rules (jsonschema ignores
``x-kubernetes-*``), so tests/unit/test_crd.py checks that each rule says
what the models say and tests/integration/test_crd_on_cluster.py checks that
kube-apiserver enforces it with no webhook running.
"""

from __future__ import annotations

from pathlib import Path

from appdeploy.api.approvers import SOME_APPROVER
from appdeploy.api.attest import ATTEST_KEYS
from appdeploy.api.checks import ONE_PROVIDER, SOME_BOUND
from appdeploy.api.spec import (
    NO_CHECK_IN_FINALLY,
    NO_GATE_IN_FINALLY,
    ONE_KIND,
    ONLY_RUN_RETRIES,
    STEPS_OR_TEMPLATE,
    TEMPLATE_OWNS,
    WAIT_HAS_NO_TIMEOUT,
)

INVALID_SPEC = Path(__file__).resolve().parent / "fixtures" / "invalid-spec"

# fixture name -> (field the API server names, CEL message)
CEL_REFUSED: dict[str, tuple[str, str]] = {
    "two-kinds": ("spec.steps[0]", ONE_KIND),
    "no-kind": ("spec.steps[1]", ONE_KIND),
    "retries-on-gate": ("spec.steps[0].retries", ONLY_RUN_RETRIES),
    "timeout-on-wait": ("spec.steps[0].timeout", WAIT_HAS_NO_TIMEOUT),
    "no-approvers": ("spec.steps[0].gate.approvers", SOME_APPROVER),
    "gate-in-finally": ("spec", NO_GATE_IN_FINALLY),
    "attest-key": ("spec.steps[1].gate.attest", ATTEST_KEYS),
    "check-two-providers": ("spec.steps[1].check.provider", ONE_PROVIDER),
    "check-empty-condition": ("spec.steps[0].check.successCondition", SOME_BOUND),
    "check-in-finally": ("spec", NO_CHECK_IN_FINALLY),
    "no-steps": ("spec", STEPS_OR_TEMPLATE),
    "steps-with-template": ("spec", TEMPLATE_OWNS),
}


def fixture(name: str) -> Path:
    """The invalid-spec fixture of a case."""
    return INVALID_SPEC / f"{name}.yaml"
