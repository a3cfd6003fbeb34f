"""At the door: ReleasePolicies and who may use what, on the real control plane.

Release authors write with kubectl as themselves; the operator's
validate-spec webhook judges each spec by the ReleasePolicies in force and
asks the API server (SubjectAccessReview) whether the author may read the
Secrets and use the ServiceAccounts the steps reference. Every loophole of
issue #13's Why is refused with the policy, the rule and the field named, and
a refused write changes nothing.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from tests.integration.admission_setup import Admission, admission
from tests.integration.policy_door import (
    ACCOUNT,
    AUTHORS,
    DENIED,
    MANAGERS,
    SECRET,
    Door,
    bind,
    grant_authors,
    rbac_subject,
)
from tests.integration.releases import gate_step, release_spec, run_step

__all__ = ["admission"]

ERIN = ("erin", [AUTHORS, MANAGERS])
"""A release engineer: may edit releases and use the store credentials."""
STORE_POLICY = {
    "apps": ["store-*"],
    "protect": {"serviceAccountNames": [ACCOUNT], "secretNames": [SECRET]},
    "requireGates": [
        {
            "name": "compliance",
            "approverGroups": ["compliance"],
            "minRequired": 2,
            "distinctFrom": ["qa-signoff"],
        }
    ],
    "forbid": {"namedApprovers": True, "onTimeoutApprove": True},
    "enforcement": "Deny",
}


def upload(needs: list[str]) -> dict[str, Any]:
    """The protected step: runs as the store account and reads the store key."""
    return using(
        run_step("upload-testflight", needs),
        serviceAccountName=ACCOUNT,
        envFrom=[{"secretRef": {"name": SECRET}}],
    )


def using(step: dict[str, Any], **run: Any) -> dict[str, Any]:
    """``step`` with more fields in its ``run``."""
    step["run"].update(run)
    return step


def store_release(app: str = "store-ios") -> dict[str, Any]:
    """A release that meets STORE_POLICY."""
    return release_spec(
        run_step("build"),
        gate_step("qa-signoff", ["build"]),
        gate_step(
            "compliance",
            ["qa-signoff"],
            approvers={"groups": ["compliance"]},
            required=2,
            distinctFrom=["qa-signoff"],
        ),
        upload(["compliance"]),
        app=app,
    )


@pytest.fixture(scope="module")
def door(
    admission: Admission, cluster: Any, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Door]:
    grant_authors(admission.api_client, admission.namespace)
    directory = tmp_path_factory.mktemp("door")
    door = Door(admission.api_client, admission.namespace, cluster.kubeconfig, directory)
    door.install_policy("production-store", **STORE_POLICY)
    yield door
    door.cleanup()


def without_gate(spec: dict[str, Any]) -> None:
    spec["steps"] = [s for s in spec["steps"] if s["name"] != "compliance"]
    spec["steps"][-1]["needs"] = ["qa-signoff"]


def gate_of(spec: dict[str, Any]) -> dict[str, Any]:
    gate: dict[str, Any] = spec["steps"][2]["gate"]
    return gate


def pass_by_timeout(spec: dict[str, Any]) -> None:
    gate_of(spec)["onTimeout"] = "Approve"
    spec["steps"][2]["timeout"] = "1s"


LOOPHOLES: dict[str, tuple[Callable[[dict[str, Any]], None], str, str]] = {
    "delete the compliance gate": (without_gate, "requireGates", "spec.steps"),
    "lower required": (
        lambda spec: gate_of(spec).update(required=1),
        "requireGates.minRequired",
        "spec.steps[2].gate.required",
    ),
    "add yourself as an approver": (
        lambda spec: gate_of(spec)["approvers"].update(users=["erin"]),
        "forbid.namedApprovers",
        "spec.steps[2].gate.approvers.users[0]",
    ),
    "pass by timeout": (
        pass_by_timeout,
        "forbid.onTimeoutApprove",
        "spec.steps[2].gate.onTimeout",
    ),
    "drop distinctFrom": (
        lambda spec: gate_of(spec).pop("distinctFrom"),
        "requireGates.distinctFrom",
        "spec.steps[2].gate.distinctFrom",
    ),
}


@pytest.mark.parametrize("loophole", list(LOOPHOLES))
def test_each_loophole_is_refused_naming_policy_rule_and_field(door: Door, loophole: str) -> None:
    name = "store-" + loophole.lower().replace(" ", "-")[:30].rstrip("-")
    created = door.apply(name, store_release(), user=ERIN[0], groups=ERIN[1])
    assert created.returncode == 0, created.stderr
    change, rule, field = LOOPHOLES[loophole]
    weakened = copy.deepcopy(store_release())
    change(weakened)

    refused = door.apply(name, weakened, user=ERIN[0], groups=ERIN[1])

    assert refused.returncode != 0
    policy = door.policies[0]
    assert f"{DENIED}ReleasePolicy {policy} (rule {rule}): {field}: " in refused.stderr
    assert door.spec(name) == store_release(), "a refused write changes nothing"


def test_a_protected_step_without_the_gate_upstream_is_refused_at_create(door: Door) -> None:
    spec = release_spec(run_step("build"), upload(["build"]), app="store-android")
    refused = door.apply("store-ungated", spec, user=ERIN[0], groups=ERIN[1])
    assert refused.returncode != 0
    assert (
        f"spec.steps[1]: upload-testflight uses ServiceAccount {ACCOUNT} and Secret {SECRET}, "
        f"protected by ReleasePolicy {door.policies[0]}, and needs gate compliance upstream"
    ) in refused.stderr
    assert door.spec("store-ungated") is None


def test_a_warn_policy_admits_with_the_warning_and_an_audit_policy_silently(door: Door) -> None:
    warn = door.install_policy(
        "beta-warn", **{**STORE_POLICY, "apps": ["beta-*"], "enforcement": "Warn"}
    )
    audit = door.install_policy(
        "internal-audit", **{**STORE_POLICY, "apps": ["internal-*"], "enforcement": "Audit"}
    )
    ungated = release_spec(run_step("build"), upload(["build"]))

    warned = door.apply("beta", {**ungated, "app": "beta-ios"}, user=ERIN[0], groups=ERIN[1])
    assert warned.returncode == 0, warned.stderr
    assert (
        f"Warning: ReleasePolicy {warn} (rule protect): spec.steps[1]: upload-testflight uses "
    ) in warned.stderr
    assert door.spec("beta") is not None

    audited = door.apply(
        "internal", {**ungated, "app": "internal-ios"}, user=ERIN[0], groups=ERIN[1]
    )
    assert audited.returncode == 0, audited.stderr
    assert "Warning" not in audited.stderr, f"Audit ({audit}) admits silently"
    assert door.spec("internal") is not None


def test_a_secret_reference_needs_get_on_it(door: Door, admission: Admission) -> None:
    spec = release_spec(using(run_step("upload"), env=[secret_env()]))
    refused = door.apply("reads-key", spec, user="dave", groups=[AUTHORS])
    assert refused.returncode != 0
    assert (
        f"{DENIED}spec.steps[0].run.env[0].valueFrom.secretKeyRef.name: upload reads Secret "
        f"{SECRET}, but dave may not get it (RBAC: "
    ) in refused.stderr
    assert door.spec("reads-key") is None

    bind(
        admission.api_client,
        admission.namespace,
        "dave-store",
        "store",
        rbac_subject("User", "dave"),
    )
    admitted = door.apply("reads-key", spec, user="dave", groups=[AUTHORS])
    assert admitted.returncode == 0, admitted.stderr
    assert door.spec("reads-key") == spec


def test_a_service_account_needs_use_on_it(door: Door, admission: Admission) -> None:
    spec = release_spec(run_step("publish"), serviceAccountName=ACCOUNT)
    refused = door.apply("runs-as", spec, user="frank", groups=[AUTHORS])
    assert refused.returncode != 0
    assert (
        f"{DENIED}spec.serviceAccountName: publish runs as ServiceAccount {ACCOUNT}, but frank "
        "may not use it (RBAC: "
    ) in refused.stderr
    assert door.spec("runs-as") is None

    bind(
        admission.api_client,
        admission.namespace,
        "frank-store",
        "store",
        rbac_subject("User", "frank"),
    )
    admitted = door.apply("runs-as", spec, user="frank", groups=[AUTHORS])
    assert admitted.returncode == 0, admitted.stderr
    assert door.spec("runs-as") == spec


def secret_env() -> dict[str, Any]:
    return {"name": "KEY", "valueFrom": {"secretKeyRef": {"name": SECRET, "key": "k"}}}


def test_the_default_account_needs_no_grant(door: Door) -> None:
    plain = release_spec(run_step("build"))
    admitted = door.apply("plain", plain, user="gina", groups=[AUTHORS])
    assert admitted.returncode == 0, admitted.stderr
