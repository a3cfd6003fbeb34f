"""Without a ValidatingAdmissionPolicy, the operator's own webhook refuses forged step objects.

The admission fixture configures check-step-jobs and check-step-pods (no
policy is involved: every refusal below names the webhook). Mallory may
create Jobs and pods in the release's namespace; she copies a running step's
labels into a Job of her own, and the real Job's controller-uid into a pod
the Job controller would adopt. Both are refused, and so is relabelling a
plain pod into one; the operator's own Job and the Job controller's pod went
through, and the real Job decides the step.

And while the operator is down (the hooks point at a closed port), forged
pods are still refused, and unrelated Jobs still get their pods: only
labelled objects from someone other than their rightful creator reach the
hooks.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from kubernetes import client
from kubernetes.client.exceptions import ApiException

from appdeploy.admission.configurations import webhook_configurations
from appdeploy.k8s.identity import own_username
from tests.cluster.certs import create_webhook_pki
from tests.cluster.ports import LOOPBACK, free_ports
from tests.cluster.wait import wait_for
from tests.forgery import REAL_OUTPUTS, forged_job, forged_pod
from tests.integration.admission_setup import Admission, admission, releases
from tests.integration.releases import Releases, release_spec, run_step

__all__ = ["admission", "releases"]  # fixtures

MALLORY = "mallory@example.com"


def let_mallory_create_jobs_and_pods(api_client: Any, namespace: str) -> None:
    rbac = client.RbacAuthorizationV1Api(api_client)
    rbac.create_namespaced_role(
        namespace,
        {
            "metadata": {"name": "workloads"},
            "rules": [
                {"apiGroups": ["batch"], "resources": ["jobs"], "verbs": ["create", "get"]},
                {"apiGroups": [""], "resources": ["pods"], "verbs": ["create", "get", "patch"]},
            ],
        },
    )
    rbac.create_namespaced_role_binding(
        namespace,
        {
            "metadata": {"name": "mallory-workloads"},
            "roleRef": {
                "apiGroup": "rbac.authorization.k8s.io",
                "kind": "Role",
                "name": "workloads",
            },
            "subjects": [
                {"apiGroup": "rbac.authorization.k8s.io", "kind": "User", "name": MALLORY}
            ],
        },
    )


def refused(call: Callable[[], Any]) -> str:
    with pytest.raises(ApiException) as refusal:
        call()
    assert refusal.value.status in (403, 500), refusal.value.body
    return str(json.loads(refusal.value.body)["message"])


def test_forged_jobs_and_pods_are_refused_by_the_operators_webhook(
    admission: Admission, releases: Releases, api_client: Any, as_user: Callable[..., Any]
) -> None:
    namespace = admission.namespace
    let_mallory_create_jobs_and_pods(api_client, namespace)
    mallory = as_user(MALLORY)
    batch, core = client.BatchV1Api(mallory), client.CoreV1Api(mallory)
    # Given a release whose build step runs for a while and then reports 412
    releases.apply("forged", release_spec(run_step("build", seconds=10, outputs=REAL_OUTPUTS)))
    releases.wait_for("forged", steps={"build": "Running"})
    (real,) = releases.jobs("forged")

    # When mallory creates a Job with the step's labels and owner reference
    message = refused(lambda: batch.create_namespaced_job(namespace, forged_job(real, "fj")))
    assert 'admission webhook "check-step-jobs.appdeploy.dev" denied' in message
    assert "only the appdeploy operator may create Jobs labelled" in message
    # ... or a pod the Job controller would adopt as the real Job's
    message = refused(lambda: core.create_namespaced_pod(namespace, forged_pod(real, "fp")))
    assert 'admission webhook "check-step-pods.appdeploy.dev" denied' in message
    assert "only the Job controller may create pods labelled" in message
    # ... or relabels a pod of her own into one
    plain = forged_pod(real, "plain-pod")
    plain["metadata"]["labels"] = {"app": "mine"}
    core.create_namespaced_pod(namespace, plain)
    labels = forged_pod(real, "x")["metadata"]["labels"]
    message = refused(
        lambda: core.patch_namespaced_pod("plain-pod", namespace, {"metadata": {"labels": labels}})
    )
    assert "batch.kubernetes.io/controller-uid=" in message

    # Then the operator's Job and the Job controller's pod went through, and decide the step
    status = releases.wait_for("forged", phase="Succeeded")
    assert status.step("build").outputs == REAL_OUTPUTS
    assert status.step("build").job_uid == real["metadata"]["uid"]


def test_a_down_operator_refuses_forged_pods_and_blocks_no_unrelated_job(
    api_client: Any, unwatched_namespace: str, as_user: Callable[..., Any], tmp_path: Path
) -> None:
    namespace = unwatched_namespace
    let_mallory_create_jobs_and_pods(api_client, namespace)
    ca, _ = create_webhook_pki(tmp_path / "pki")
    closed = free_ports(1)[0]  # nothing listens: the operator is down
    _, validating = webhook_configurations(
        base64.b64encode(Path(ca.cert).read_bytes()).decode(),
        base_url=f"https://{LOOPBACK}:{closed}",
        namespace_selector={"matchLabels": {"kubernetes.io/metadata.name": namespace}},
        name=f"appdeploy-down-{namespace}",
        operator_user=own_username(api_client),
    )
    validating["webhooks"] = validating["webhooks"][2:]  # only the step-object hooks
    registration = client.AdmissionregistrationV1Api(api_client)
    registration.create_validating_webhook_configuration(validating)
    core, batch = client.CoreV1Api(as_user(MALLORY)), client.BatchV1Api(as_user(MALLORY))
    pod = {
        "metadata": {"name": "forged", "labels": {"batch.kubernetes.io/controller-uid": "x"}},
        "spec": {"restartPolicy": "Never", "containers": [{"name": "c", "image": "busybox"}]},
    }
    try:

        def refused_by_the_hook() -> bool:
            try:
                core.create_namespaced_pod(namespace, pod, dry_run="All")
            except ApiException as error:
                return "check-step-pods.appdeploy.dev" in str(error.body)
            return False

        # The API server picks up the new configuration from a watch, a moment later.
        wait_for(refused_by_the_hook, 60, "the step-object hooks to be live (and fail closed)")
        # An unrelated Job: its pod, created by the Job controller, never reaches the hook.
        batch.create_namespaced_job(
            namespace,
            {
                "metadata": {"name": "unrelated"},
                "spec": {
                    "backoffLimit": 0,
                    "template": {
                        "metadata": {"annotations": {"kwok.appdeploy.dev/duration": "0ms"}},
                        "spec": {
                            "restartPolicy": "Never",
                            "containers": [{"name": "c", "image": "busybox"}],
                        },
                    },
                },
            },
        )
        wait_for(
            lambda: (
                (
                    client.BatchV1Api(api_client).read_namespaced_job("unrelated", namespace)
                ).status.succeeded
            ),
            60,
            "the unrelated Job to succeed while the hooks are down",
        )
    finally:
        registration.delete_validating_webhook_configuration(validating["metadata"]["name"])
