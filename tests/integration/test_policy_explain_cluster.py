"""``appdeploy policy explain`` against the real control plane, as the people who run it.

The release, the namespace's labels and the ReleasePolicies are read from
the API server as the (impersonated) caller, so RBAC decides what they may
see; the explanation itself is the offline command's.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from kubernetes import client

from appdeploy.api.policy import POLICY_PLURAL
from appdeploy.k8s.labels import GROUP, PLURAL, VERSION
from tests.integration.releases import gate_step, release_spec, run_cli, run_step

SECRET = "asc-api-key"
ENGINEER = "rita"  # may list policies and read the namespace
DEVELOPER = "dave"  # may read releases only (group dev, as grant_approvers allows)


def upload_step(needs: list[str]) -> dict[str, Any]:
    step = run_step("upload", needs)
    secret = {"secretKeyRef": {"name": SECRET, "key": "key.p8"}}
    step["run"]["env"] = [{"name": "ASC_KEY", "valueFrom": secret}]
    return step


def release(*steps: dict[str, Any]) -> dict[str, Any]:
    return {
        "apiVersion": f"{GROUP}/{VERSION}",
        "kind": "AppDeployment",
        "metadata": {"name": "shop-4-12-0"},
        "spec": release_spec(*steps),
    }


@pytest.fixture
def story(api_client: Any, unwatched_namespace: str) -> Iterator[str]:
    """A production namespace, a policy selecting only it, and who may read what.

    The policy's selector names this namespace, so policies other tests leave
    on the (shared, cluster-scoped) API server do not select it, nor it theirs.
    """
    namespace = unwatched_namespace
    core = client.CoreV1Api(api_client)
    labels = {"appdeploy.dev/tier": "production", "explain.appdeploy.dev/story": namespace}
    core.patch_namespace(namespace, {"metadata": {"labels": labels}})
    custom = client.CustomObjectsApi(api_client)
    policy = {
        "apiVersion": f"{GROUP}/{VERSION}",
        "kind": "ReleasePolicy",
        "metadata": {"name": f"store-{namespace}"},
        "spec": {
            "namespaceSelector": {"matchLabels": labels},
            "protect": {"secretNames": [SECRET]},
            "requireGates": [{"name": "compliance", "approverGroups": ["compliance"]}],
        },
    }
    custom.create_cluster_custom_object(GROUP, VERSION, POLICY_PLURAL, policy)
    rbac = client.RbacAuthorizationV1Api(api_client)
    reader = f"policy-reader-{namespace}"
    rules = [
        {"apiGroups": [GROUP], "resources": [POLICY_PLURAL], "verbs": ["list"]},
        {"apiGroups": [""], "resources": ["namespaces"], "verbs": ["get"]},
    ]
    rbac.create_cluster_role({"metadata": {"name": reader}, "rules": rules})
    role_ref = {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": reader}
    subject = {"apiGroup": "rbac.authorization.k8s.io", "kind": "User", "name": ENGINEER}
    binding = {"metadata": {"name": reader}, "roleRef": role_ref, "subjects": [subject]}
    rbac.create_cluster_role_binding(binding)
    body = release(run_step("build"), upload_step(["build"]))
    custom.create_namespaced_custom_object(GROUP, VERSION, namespace, PLURAL, body)
    yield namespace
    rbac.delete_cluster_role_binding(reader)
    rbac.delete_cluster_role(reader)
    custom.delete_cluster_custom_object(GROUP, VERSION, POLICY_PLURAL, f"store-{namespace}")


def explain(cluster: Any, namespace: str, *args: str, user: str) -> Any:
    r = run_cli(
        cluster.kubeconfig, namespace, "policy", "explain", *args, user=user, groups=("dev",)
    )
    print("PEEK", args, user, r.returncode, r.stdout, r.stderr)
    return r


def test_explain_by_name_reads_the_release_labels_and_policies_from_the_cluster(
    cluster: Any, story: str
) -> None:
    shown = explain(cluster, story, "shop-4-12-0", user=ENGINEER)
    assert shown.returncode == 1, shown.stderr
    lines = shown.stdout.splitlines()
    assert lines[0] == f"appdeployment {story}/shop-4-12-0: shop-4-12-0 (app shop)"
    assert f"kubernetes.io/metadata.name={story}" in lines[1]
    assert "appdeploy.dev/tier=production" in lines[1]
    mine = lines.index(f"  ReleasePolicy store-{story} (Deny): applies")
    assert lines[mine + 1] == "    - namespaceSelector matches the namespace labels"
    assert f"      spec.steps[1] upload: Secret {SECRET} " in shown.stdout
    assert (
        f"      spec.steps[1]: upload uses Secret {SECRET}, protected by ReleasePolicy "
        f"store-{story}, and needs gate compliance upstream [protect, Deny]"
    ) in lines
    assert lines[-1] == "  => denied"


def test_explain_a_file_against_the_cluster_policies(
    cluster: Any, story: str, tmp_path: Path
) -> None:
    fixed = release(
        run_step("build"),
        gate_step("compliance", ["build"], approvers={"groups": ["compliance"]}),
        upload_step(["compliance"]),
    )
    path = tmp_path / "shop.yaml"
    path.write_text(yaml.safe_dump(fixed))
    shown = explain(cluster, story, "-f", str(path), user=ENGINEER)
    assert shown.returncode == 0, shown.stdout + shown.stderr
    lines = shown.stdout.splitlines()
    mine = lines.index(f"  ReleasePolicy store-{story} (Deny): applies")
    assert "    violations: none" in lines[mine:]
    assert lines[-1] == "  => allowed"


def test_who_may_not_list_policies_is_told_so_and_what_to_do(
    cluster: Any, story: str, tmp_path: Path
) -> None:
    refused = explain(cluster, story, "shop-4-12-0", user=DEVELOPER)
    assert refused.returncode == 1
    assert refused.stdout == ""
    error = refused.stderr.strip()
    assert len(refused.stderr.splitlines()) == 1, error
    assert error.startswith(
        "appdeploy policy explain: error: cannot list ReleasePolicies "
        "(releasepolicies.appdeploy.dev): "
    ), error
    assert f'User "{DEVELOPER}" cannot list resource "releasepolicies"' in error
    assert error.endswith(
        "ask a cluster admin for list on releasepolicies, "
        "or explain with the policies from git: --policies DIR"
    )

    policies = tmp_path / "policies"
    policies.mkdir()
    policy = {
        "apiVersion": f"{GROUP}/{VERSION}",
        "kind": "ReleasePolicy",
        "metadata": {"name": "from-git"},
        "spec": {"protect": {"secretNames": [SECRET]}, "requireGates": [{"name": "compliance"}]},
    }
    (policies / "store.yaml").write_text(yaml.safe_dump(policy))
    no_labels = explain(cluster, story, "shop-4-12-0", "--policies", str(policies), user=DEVELOPER)
    assert no_labels.returncode == 1
    assert no_labels.stdout == ""
    assert no_labels.stderr.startswith(
        f"appdeploy policy explain: error: cannot read the labels of namespace {story}: "
    ), no_labels.stderr
    assert no_labels.stderr.strip().endswith("give them with --namespace-labels K=V,...")

    given = explain(
        cluster,
        story,
        "shop-4-12-0",
        "--policies",
        str(policies),
        "--namespace-labels",
        "appdeploy.dev/tier=production",
        user=DEVELOPER,
    )
    assert given.returncode == 1, given.stderr
    assert "  ReleasePolicy from-git (Deny): applies" in given.stdout
    assert "needs gate compliance upstream [protect, Deny]" in given.stdout
