"""Step pods ask for no more than their release may: no token by default, no
tolerate-everything tolerations and labels only under user.appdeploy.dev/, unless the admin allows.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import yaml

from appdeploy.api.pod_policy import StepPodPolicy
from appdeploy.api.problems import InvalidSpec
from appdeploy.api.validation import parse_spec
from appdeploy.cli.main import main
from appdeploy.engine import Settings
from tests.unit.harness import Simulation

TOLERATE_ALL = {"operator": "Exists"}
ALLOW_ALL = StepPodPolicy(allow_tolerate_all_taints=True, allow_any_pod_labels=True)


def _spec(**run: Any) -> dict[str, Any]:
    return {"app": "shop", "version": "1", "steps": [{"name": "b", "run": {"image": "i", **run}}]}


def _problems(policy: StepPodPolicy | None = None, **run: Any) -> list[str]:
    try:
        parse_spec(_spec(**run), policy) if policy else parse_spec(_spec(**run))
    except InvalidSpec as invalid:
        return [str(problem) for problem in invalid.problems]
    return []


def test_a_token_is_a_boolean_the_step_asks_for() -> None:
    # The Job side (automountServiceAccountToken false unless true) is in test_k8s_translation.py.
    assert _problems(automountServiceAccountToken="yes") == [
        "spec.steps[0].run.automountServiceAccountToken: Input should be a valid boolean"
    ]


@pytest.mark.parametrize("toleration", [TOLERATE_ALL, {**TOLERATE_ALL, "effect": "NoSchedule"}])
def test_a_toleration_of_every_taint_is_refused(toleration: dict[str, str]) -> None:
    [problem] = _problems(tolerations=[{"key": "acme.dev/macos", "operator": "Exists"}, toleration])
    assert problem.startswith(
        "spec.steps[0].run.tolerations[1]: operator Exists without a key tolerates every taint"
    )
    assert "--allow-tolerate-all-taints" in problem
    assert _problems(ALLOW_ALL, tolerations=[toleration]) == []


def test_pod_labels_live_under_the_user_prefix() -> None:
    assert _problems(podMetadata={"labels": {"user.appdeploy.dev/team": "mobile"}}) == []
    assert _problems(podMetadata={"labels": {"app": "checkout"}}) == [
        'spec.steps[0].run.podMetadata.labels.app: "app" is outside user.appdeploy.dev/: other '
        "labels could join the pod to Services and NetworkPolicies; use user.appdeploy.dev/app, "
        "or ask the cluster admin to allow any (--allow-any-pod-labels)"
    ]
    assert _problems(ALLOW_ALL, podMetadata={"labels": {"app": "checkout"}}) == []


@pytest.mark.parametrize(
    "key",
    [
        "controller-uid",
        "job-name",
        "batch.kubernetes.io/job-name",
        "batch.kubernetes.io/controller-uid",
        "appdeploy.dev/step",
        "app.kubernetes.io/managed-by",
    ],
)
def test_labels_that_identify_a_jobs_pods_are_refused_even_when_any_are_allowed(key: str) -> None:
    [problem] = _problems(ALLOW_ALL, podMetadata={"labels": {key: "x"}})
    assert problem.startswith(f'spec.steps[0].run.podMetadata.labels.{key}: "{key}" is reserved')


def test_the_operator_judges_with_the_admins_policy() -> None:
    spec = _spec(tolerations=[TOLERATE_ALL], podMetadata={"labels": {"team": "mobile"}})
    refused = Simulation(copy.deepcopy(spec))
    refused.reconcile()
    assert refused.phase == "Invalid"
    assert "tolerations[0]" in refused.model.message and "labels.team" in refused.model.message
    allowed = Simulation(spec, settings=Settings(pod_policy=ALLOW_ALL))
    allowed.reconcile()
    assert allowed.phase == "Running"
    assert allowed.created[0].spec.tolerations[0].operator == "Exists"


def test_appdeploy_validate_takes_the_same_flags(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    document = {
        "apiVersion": "appdeploy.dev/v1alpha1",
        "kind": "AppDeployment",
        "metadata": {"name": "shop"},
        "spec": _spec(tolerations=[TOLERATE_ALL], podMetadata={"labels": {"team": "m"}}),
    }
    path = tmp_path / "shop.yaml"
    path.write_text(yaml.safe_dump(document))
    assert main(["validate", str(path)]) == 1
    out = capsys.readouterr().out
    assert "tolerations[0]" in out and "labels.team" in out
    assert main(["validate", "--allow-any-pod-labels", str(path)]) == 1
    assert "labels.team" not in capsys.readouterr().out
    flags = ["--allow-tolerate-all-taints", "--allow-any-pod-labels"]
    assert main(["validate", *flags, str(path)]) == 0
