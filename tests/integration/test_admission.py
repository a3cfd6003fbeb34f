"""The admission webhooks on the real control plane, with people acting as themselves.

The operator serves the webhooks on 127.0.0.1 (the API server dials
https://127.0.0.1:PORT, never a Service), signs every approval with the
caller's authenticated identity, and refuses decisions that would not count,
so kubectl prints the reason and nothing is stored.
"""

from __future__ import annotations

import base64
import json
import subprocess
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml
from kubernetes import client
from kubernetes.client.exceptions import ApiException

from appdeploy.admission.configurations import webhook_configurations
from tests.cluster.certs import create_webhook_pki
from tests.cluster.operator import OperatorProcess
from tests.cluster.ports import LOOPBACK, free_ports
from tests.cluster.wait import wait_for
from tests.integration.releases import (
    Releases,
    gate_step,
    grant_approvers,
    release_spec,
    run_cli,
    run_step,
)

GITOPS = "system:serviceaccount:argocd:argocd-application-controller"
LABEL = "appdeploy.dev/admission-test"


@dataclass
class Admission:
    namespace: str
    operator: OperatorProcess
    configurations: list[dict[str, Any]]
    api_client: Any

    def remove_webhooks(self) -> None:
        registration = client.AdmissionregistrationV1Api(self.api_client)
        name = self.configurations[0]["metadata"]["name"]
        registration.delete_mutating_webhook_configuration(name)
        registration.delete_validating_webhook_configuration(name)

    def install_webhooks(self) -> None:
        registration = client.AdmissionregistrationV1Api(self.api_client)
        mutating, validating = self.configurations
        registration.create_mutating_webhook_configuration(mutating)
        registration.create_validating_webhook_configuration(validating)
        custom = client.CustomObjectsApi(self.api_client)
        probe = {
            "apiVersion": "appdeploy.dev/v1alpha1",
            "kind": "AppDeployment",
            "metadata": {"name": "probe"},
            "spec": release_spec(run_step("a", ["b"]), run_step("b", ["a"])),
        }

        def refused() -> bool:
            try:
                custom.create_namespaced_custom_object(
                    "appdeploy.dev",
                    "v1alpha1",
                    self.namespace,
                    "appdeployments",
                    probe,
                    dry_run="All",
                )
            except ApiException as error:
                return "invalid AppDeployment" in str(error.body)
            return False

        wait_for(refused, 60, "the webhooks to answer")


@pytest.fixture(scope="module")
def admission(
    cluster: Any, api_client: Any, crd: None, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Admission]:
    suffix = uuid.uuid4().hex[:8]
    namespace = f"adm-{suffix}"
    core = client.CoreV1Api(api_client)
    core.create_namespace({"metadata": {"name": namespace, "labels": {LABEL: suffix}}})
    wait_for(
        lambda: core.list_namespaced_service_account(namespace).items,
        30,
        f"ServiceAccount {namespace}/default",
    )
    grant_approvers(api_client, namespace)
    client.RbacAuthorizationV1Api(api_client).create_namespaced_role_binding(
        namespace,
        {
            "metadata": {"name": "gitops"},
            "roleRef": {
                "apiGroup": "rbac.authorization.k8s.io",
                "kind": "Role",
                "name": "release-approver",
            },
            "subjects": [
                {
                    "kind": "ServiceAccount",
                    "name": "argocd-application-controller",
                    "namespace": "argocd",
                }
            ],
        },
    )
    directory = tmp_path_factory.mktemp("admission")
    ca, serving = create_webhook_pki(directory / "pki")
    port = free_ports(1)[0]
    operator = OperatorProcess(
        cluster.kubeconfig,
        directory / "operator.log",
        [
            "-n",
            namespace,
            "--approval-key-secret",
            f"{namespace}/appdeploy-approval-key",
            "--webhook-address",
            f"{LOOPBACK}:{port}",
            "--webhook-cert",
            str(serving.cert),
            "--webhook-key",
            str(serving.key),
        ],
    ).start()
    configurations = webhook_configurations(
        base64.b64encode(Path(ca.cert).read_bytes()).decode(),
        base_url=f"https://{LOOPBACK}:{port}",
        namespace_selector={"matchLabels": {LABEL: suffix}},
        name=f"appdeploy-test-{suffix}",
    )
    state = Admission(namespace, operator, configurations, api_client)
    state.install_webhooks()
    yield state
    operator.stop()
    state.remove_webhooks()
    core.delete_namespace(namespace)


@pytest.fixture
def releases(admission: Admission, kubectl: Callable[..., list[str]]) -> Releases:
    return Releases(admission.api_client, admission.namespace, kubectl)


def decide(
    releases: Releases,
    name: str,
    gate: str,
    user: str,
    groups: list[str],
    *,
    comment: str = "ok",
    kind: str = "approve",
) -> subprocess.CompletedProcess[str]:
    """What an approver types: kubectl annotate, plain comment, as themselves."""
    return releases.annotate(
        name, f"{kind}.appdeploy.dev/{gate}", comment, as_user=user, groups=groups
    )


def consumed(releases: Releases, name: str, gate: str, kind: str = "approve") -> None:
    key = f"{kind}.appdeploy.dev/{gate}"
    wait_for(lambda: key not in releases.annotations(name), 60, f"{key} to be consumed")


def qa_and_compliance() -> dict[str, Any]:
    return release_spec(
        run_step("build"),
        gate_step(
            "qa-signoff",
            ["build"],
            required=2,
            approvers={"groups": ["qa"], "users": ["system:serviceaccount:ci:release-bot"]},
        ),
        gate_step(
            "compliance",
            ["qa-signoff"],
            approvers={"groups": ["compliance", "qa"]},
            distinctFrom=["qa-signoff"],
        ),
        run_step("ship", ["compliance"]),
    )


def test_approvals_are_counted_under_the_callers_verified_names(releases: Releases) -> None:
    releases.apply("verified", qa_and_compliance())
    releases.wait_for("verified", steps={"qa-signoff": "Waiting"})
    for user in ("alice", "bob"):
        result = decide(
            releases,
            "verified",
            "qa-signoff",
            user,
            ["qa"],
            comment=f'{{"user": "ceo", "comment": "{user} tested it"}}',
        )
        assert result.returncode == 0, result.stderr
        consumed(releases, "verified", "qa-signoff")
    status = releases.wait_for("verified", steps={"qa-signoff": "Succeeded"})
    approvals = status.step("qa-signoff").approvals
    assert [(a.user, a.groups[:1], a.comment, a.verified) for a in approvals] == [
        ("alice", ["qa"], "alice tested it", True),
        ("bob", ["qa"], "bob tested it", True),
    ]


def test_refusals_are_printed_by_kubectl_and_change_nothing(releases: Releases) -> None:
    releases.apply("refusals", qa_and_compliance())
    releases.wait_for("refusals", steps={"qa-signoff": "Waiting"})

    mallory = decide(releases, "refusals", "qa-signoff", "mallory", ["dev"])
    assert mallory.returncode != 0
    assert (
        "approval of qa-signoff by mallory refused: mallory is not an approver of "
        "qa-signoff: it needs group qa or user system:serviceaccount:ci:release-bot"
    ) in mallory.stderr

    gitops = decide(
        releases,
        "refusals",
        "qa-signoff",
        GITOPS,
        ["system:serviceaccounts", "system:serviceaccounts:argocd", "qa"],
    )
    assert gitops.returncode != 0
    assert f"{GITOPS} is not an approver of qa-signoff" in gitops.stderr

    early = decide(releases, "refusals", "compliance", "carol", ["compliance"])
    assert early.returncode != 0
    assert "compliance is Pending: it waits for qa-signoff (Waiting)" in early.stderr

    assert decide(releases, "refusals", "qa-signoff", "alice", ["qa"]).returncode == 0
    consumed(releases, "refusals", "qa-signoff")
    twice = decide(releases, "refusals", "qa-signoff", "alice", ["qa"], comment="again")
    assert twice.returncode != 0
    assert "alice already approved qa-signoff" in twice.stderr

    assert decide(releases, "refusals", "qa-signoff", "bob", ["qa"]).returncode == 0
    releases.wait_for("refusals", steps={"compliance": "Waiting"})
    both = decide(releases, "refusals", "compliance", "alice", ["qa", "compliance"])
    assert both.returncode != 0
    assert "alice approved qa-signoff, and compliance must be decided by someone else" in (
        both.stderr
    )
    status = releases.status("refusals")
    assert [a.user for a in status.step("qa-signoff").approvals] == ["alice", "bob"]
    assert status.step("compliance").approvals == []
    assert not [key for key in releases.annotations("refusals") if "appdeploy.dev/" in key]


def test_a_forged_envelope_written_while_the_webhook_is_off_is_not_counted(
    releases: Releases, admission: Admission
) -> None:
    releases.apply("forged", qa_and_compliance())
    releases.wait_for("forged", steps={"qa-signoff": "Waiting"})
    run = releases.status("forged").run
    forged = json.dumps(
        {
            "v": 1,
            "user": "alice",
            "groups": ["qa"],
            "comment": "trust me",
            "at": "2026-11-27T10:00:00Z",
            "run": run,
            "signature": "0" * 64,
        }
    )
    admission.remove_webhooks()
    try:
        result = releases.annotate("forged", "approve.appdeploy.dev/qa-signoff", forged)
        assert result.returncode == 0, result.stderr
        consumed(releases, "forged", "qa-signoff")
    finally:
        admission.install_webhooks()
    _, _, message = releases.wait_for_event("forged", "ApprovalRefused", "signature does not match")
    assert message.startswith("approval of qa-signoff by alice refused")
    assert releases.status("forged").step("qa-signoff").approvals == []


def test_an_invalid_release_is_refused_by_kubectl_apply_and_not_stored(
    releases: Releases, kubectl: Callable[..., list[str]], tmp_path: Path
) -> None:
    manifest = tmp_path / "cycle.yaml"
    manifest.write_text(
        yaml.safe_dump(
            {
                "apiVersion": "appdeploy.dev/v1alpha1",
                "kind": "AppDeployment",
                "metadata": {"name": "cycle", "namespace": releases.namespace},
                "spec": release_spec(run_step("build", ["sign"]), run_step("sign", ["build"])),
            }
        )
    )
    applied = subprocess.run(
        kubectl("apply", "-f", str(manifest)), capture_output=True, text=True, check=False
    )
    assert applied.returncode != 0
    assert "spec.steps[0].needs: cycle build -> sign -> build" in applied.stderr
    with pytest.raises(ApiException) as missing:
        releases.get("cycle")
    assert missing.value.status == 404


def test_with_the_operator_down_specs_still_apply_but_approvals_wait(
    releases: Releases, admission: Admission
) -> None:
    spec = qa_and_compliance()
    releases.apply("down", spec)
    releases.wait_for("down", steps={"qa-signoff": "Waiting"})
    admission.operator.stop()
    try:
        releases.replace_spec("down", {**spec, "version": "1.0.1"})
        assert releases.get("down")["spec"]["version"] == "1.0.1"
        refused = decide(releases, "down", "qa-signoff", "alice", ["qa"])
        assert refused.returncode != 0
        assert "failed calling webhook" in refused.stderr
        assert "approve.appdeploy.dev/qa-signoff" not in releases.annotations("down")
    finally:
        admission.operator.start()
    releases.wait_for("down", run=2, steps={"qa-signoff": "Waiting"})


def test_the_cli_approves_through_the_webhook(
    releases: Releases, admission: Admission, cluster: Any
) -> None:
    def appdeploy(*args: str, user: str, groups: list[str]) -> subprocess.CompletedProcess[str]:
        return run_cli(cluster.kubeconfig, releases.namespace, *args, user=user, groups=groups)

    releases.apply("cli", qa_and_compliance())
    releases.wait_for("cli", steps={"qa-signoff": "Waiting"})
    done = appdeploy("approve", "cli", "qa-signoff", "-m", "ok", user="alice", groups=["qa"])
    assert done.returncode == 0, done.stderr
    [approval] = releases.status("cli").step("qa-signoff").approvals
    assert (approval.user, approval.verified) == ("alice", True)

    admission.operator.stop()
    try:
        down = appdeploy("approve", "cli", "qa-signoff", user="bob", groups=["qa"])
    finally:
        admission.operator.start()
    assert down.returncode == 1
    assert "failed calling webhook" in down.stderr, down.stderr
