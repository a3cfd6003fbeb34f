"""The chart's roles for people, on the real API server.

appdeploy-approve lets a person approve a gate and nothing else: RBAC
refuses an update (403), and the chart's ValidatingAdmissionPolicy refuses a
patch that touches anything but approve./reject. annotations. view and edit
no longer reach the built-in roles by default (userRoles.aggregateToDefaultRoles):
editing a namespace does not make anyone a release author.
"""

from __future__ import annotations

import json
import subprocess
from typing import Any

import pytest
from kubernetes import client
from kubernetes.client.exceptions import ApiException

from tests.cluster.clients import kubectl_argv
from tests.cluster.wait import wait_for
from tests.helm import install
from tests.helm.installation import Installation, bind
from tests.integration.releases import Releases, gate_step, release_spec, run_step

pytestmark = pytest.mark.integration

GROUP, VERSION, PLURAL = "appdeploy.dev", "v1alpha1", "appdeployments"


def _kubectl(
    cluster: Any, namespace: str, *args: str, user: str
) -> subprocess.CompletedProcess[str]:
    argv = kubectl_argv(cluster.kubeconfig, "-n", namespace, *args, as_user=user, groups=["qa"])
    return subprocess.run(argv, capture_output=True, text=True, check=False)


@pytest.fixture(scope="module")
def waiting_release(watched_releases: Releases) -> str:
    """A release waiting at gate qa (approvers: group qa)."""
    watched_releases.apply(
        "roles",
        release_spec(run_step("build"), gate_step("qa", ["build"]), run_step("ship", ["qa"])),
    )
    watched_releases.wait_for("roles", phase="AwaitingApproval")
    return "roles"


def test_an_approver_cannot_change_the_spec(
    waiting_release: str, watched_releases: Releases, as_user: Any, cluster: Any
) -> None:
    namespace = watched_releases.namespace
    body = watched_releases.get(waiting_release)
    body["spec"]["version"] = "6.6.6"
    alice = client.CustomObjectsApi(as_user("alice", groups=["qa"]))
    with pytest.raises(ApiException) as refused:
        alice.replace_namespaced_custom_object(
            GROUP, VERSION, namespace, PLURAL, waiting_release, body
        )
    assert refused.value.status == 403
    assert 'cannot update resource "appdeployments"' in json.loads(refused.value.body)["message"]

    # A patch is allowed by RBAC (annotating is a patch): the admission policy refuses it.
    spec_patch = _kubectl(
        cluster, namespace, "patch", f"ad/{waiting_release}", "--type=merge",
        "-p", '{"spec": {"version": "6.6.6"}}', user="alice",
    )  # fmt: skip
    assert spec_patch.returncode != 0
    assert "may change, not the spec" in spec_patch.stderr
    cancel = _kubectl(
        cluster, namespace, "annotate", f"ad/{waiting_release}", "appdeploy.dev/cancel=mine",
        user="alice",
    )  # fmt: skip
    assert "may change, not appdeploy.dev/cancel" in cancel.stderr
    label = _kubectl(cluster, namespace, "label", f"ad/{waiting_release}", "x=y", user="alice")
    assert "not labels" in label.stderr
    assert watched_releases.get(waiting_release)["spec"]["version"] == "1.0.0"


def test_an_approver_approves_a_gate(waiting_release: str, watched_releases: Releases) -> None:
    watched_releases.approve(waiting_release, "qa", as_user="alice", groups=["qa"], comment="ok")
    done = watched_releases.wait_for(waiting_release, phase="Succeeded")
    assert [approval.user for approval in done.step("qa").approvals] == ["alice"]


def test_a_viewer_cannot_annotate(
    waiting_release: str, watched_releases: Releases, api_client: Any, cluster: Any
) -> None:
    namespace = watched_releases.namespace
    bind(api_client, namespace, "appdeploy-view", {"kind": "User", "name": "victor"})
    wait_for(
        lambda: install.is_allowed(
            api_client, "victor", "list", PLURAL, namespace=namespace, group=GROUP
        ),
        10,
        "victor's view binding",
    )
    argv = kubectl_argv(cluster.kubeconfig, "-n", namespace, "get", "ad", as_user="victor")
    assert subprocess.run(argv, capture_output=True, check=False).returncode == 0
    annotation = "approve.appdeploy.dev/qa=x"
    annotate = kubectl_argv(
        cluster.kubeconfig, "-n", namespace, "annotate", f"ad/{waiting_release}", annotation,
        as_user="victor",
    )  # fmt: skip
    refused = subprocess.run(annotate, capture_output=True, text=True, check=False)
    assert 'cannot patch resource "appdeployments"' in refused.stderr


@pytest.mark.parametrize(
    ("builtin", "verb", "allowed"),
    [("view", "list", False), ("view", "patch", False), ("edit", "update", False),
     ("admin", "delete", False), ("edit", "update-status", False)],
)  # fmt: skip
def test_view_and_edit_do_not_reach_the_builtin_roles_by_default(
    namespaced_install: Installation, api_client: Any, builtin: str, verb: str, allowed: bool
) -> None:
    # The clusterrole-aggregation controller would copy the chart's rules into
    # view/edit/admin if the roles carried the aggregate labels (they do not by default).
    for role in ("appdeploy-view", "appdeploy-edit"):
        labels = client.RbacAuthorizationV1Api(api_client).read_cluster_role(role).metadata.labels
        assert not [key for key in labels if key.startswith("rbac.authorization.k8s.io/aggr")]
    namespace = namespaced_install.watched[0]
    user = f"builtin-{builtin}"
    try:
        bind(api_client, namespace, builtin, {"kind": "User", "name": user})
    except ApiException as error:
        if error.status != 409:
            raise
    resource = f"{PLURAL}/status" if verb == "update-status" else PLURAL
    verb = verb.removesuffix("-status")
    wait_for(
        lambda: (
            install.is_allowed(api_client, user, verb, resource, namespace=namespace, group=GROUP)
            == allowed
        ),
        30,
        f"built-in {builtin} to {'allow' if allowed else 'refuse'} {verb} {resource}",
    )


@pytest.mark.parametrize(
    ("role", "verb", "allowed"),
    [("appdeploy-view", "get", True), ("appdeploy-view", "create", False),
     ("appdeploy-edit", "create", True), ("appdeploy-edit", "delete", True),
     ("appdeploy-approve", "create", False)],
)  # fmt: skip
def test_channels_are_read_by_viewers_and_managed_by_editors(
    namespaced_install: Installation, api_client: Any, role: str, verb: str, allowed: bool
) -> None:
    namespace = namespaced_install.watched[0]
    user = f"channels-{role}"
    try:
        bind(api_client, namespace, role, {"kind": "User", "name": user})
    except ApiException as error:
        if error.status != 409:
            raise
    wait_for(
        lambda: (
            install.is_allowed(
                api_client, user, verb, "notificationchannels", namespace=namespace, group=GROUP
            )
            == allowed
        ),
        30,
        f"{role} to {'allow' if allowed else 'refuse'} {verb} notificationchannels",
    )
    # Nobody but the operator writes a channel's status (its Ready is the operator's word).
    assert not install.is_allowed(
        api_client, user, "patch", "notificationchannels/status", namespace=namespace, group=GROUP
    )
