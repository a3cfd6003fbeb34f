"""The chart's RBAC is enough for the operator, and each rule is needed (namespaced mode).

The operator runs as a real process with a TokenRequest token of the chart's
ServiceAccount, so every request it makes is authorized exactly as in a
cluster. Then rules are taken away one at a time, and a named story breaks
in a way the API shows; given back, the same release completes.
"""

from __future__ import annotations

import re
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from kubernetes import client
from kubernetes.client.exceptions import ApiException

from appdeploy.api.crd import UNOBSERVED_STATUS
from tests.cluster.clients import admin_client
from tests.cluster.wait import wait_for
from tests.helm import install
from tests.helm.installation import Installation, create_namespace
from tests.integration.releases import Releases, gate_step, release_spec, run_step

pytestmark = pytest.mark.integration

TIMEOUT = 60.0
REFUSAL = re.compile(
    r'cannot (\w+) resource \\?"([\w./]+)\\?" in API group \\?"([\w.]*)\\?"( at the cluster scope)?'
)
# kopf lists namespaces and CRDs to discover them; the chart does not grant
# that (the operator is told its namespaces and its CRD exists).


def refusals(log: str) -> set[tuple[str, str, str, bool]]:
    """(verb, resource, group, at cluster scope) of every request the API server refused."""
    return {(verb, res, group, bool(scope)) for verb, res, group, scope in REFUSAL.findall(log)}


def test_the_operator_runs_a_release_with_only_the_charts_rights(
    namespaced_install: Installation, watched_releases: Releases, api_client: Any
) -> None:
    releases = watched_releases
    releases.apply(
        "shop",
        release_spec(
            run_step("build", outputs={"buildNumber": "412"}),
            gate_step("qa", ["build"]),
            run_step("ship", ["qa"]),
        ),
    )
    releases.wait_for("shop", phase="AwaitingApproval")
    releases.approve("shop", "qa", as_user="alice", groups=["qa"], comment="ok on a Pixel 8")

    done = releases.wait_for("shop", phase="Succeeded")
    assert done.step("build").outputs == {"buildNumber": "412"}  # read from the Job's pod
    assert [approval.user for approval in done.step("qa").approvals] == ["alice"]
    reasons = {reason for _, reason, _ in releases.events("shop")}
    assert {"RunStarted", "ApprovalAccepted", "RunSucceeded"} <= reasons
    # The operator created the approval signing key (get + create on Secrets).
    key_flag = next(arg for arg in namespaced_install.operator.args if "approval-key" in arg)
    key_namespace, key_name = key_flag.split("=", 1)[1].split("/")
    secret = client.CoreV1Api(api_client).read_namespaced_secret(key_name, key_namespace)
    assert secret.metadata.labels == {"app.kubernetes.io/managed-by": "appdeploy"}
    # Nothing was refused: with exact namespaces kopf skips cluster-wide discovery.
    log = namespaced_install.operator.log_path.read_text(errors="replace")
    assert refusals(log) == set(), namespaced_install.operator.log_tail()


def _intruder_job() -> dict[str, Any]:
    container = {"name": "main", "image": "example.invalid/x:1"}
    pod = {"restartPolicy": "Never", "containers": [container]}
    return {"metadata": {"name": "intruder"}, "spec": {"template": {"spec": pod}}}


def test_the_operator_cannot_touch_jobs_in_a_namespace_it_does_not_watch(
    namespaced_install: Installation, api_client: Any
) -> None:
    other = create_namespace(api_client, "helm-other")
    user, watched = namespaced_install.user, namespaced_install.watched[0]
    try:
        assert install.is_allowed(
            api_client, user, "create", "jobs", namespace=watched, group="batch"
        )
        for verb in ("create", "delete", "get", "list"):
            assert not install.is_allowed(
                api_client, user, verb, "jobs", namespace=other, group="batch"
            )
        argv = ["kubectl", f"--kubeconfig={namespaced_install.kubeconfig}", "auth", "can-i"]
        can_i = subprocess.run(
            [*argv, "create", "jobs.batch", "-n", other],
            capture_output=True,
            text=True,
            check=False,
        )
        assert can_i.stdout.strip() == "no"
        # With its own token, a Job there is refused outright.
        as_operator = admin_client(namespaced_install.kubeconfig)
        with pytest.raises(ApiException) as refused:
            client.BatchV1Api(as_operator).create_namespaced_job(other, _intruder_job())
        as_operator.close()
        assert refused.value.status == 403
        # Nor anything cluster-wide, Secrets elsewhere included, but reading
        # ReleasePolicies and namespace labels (the policies in force) and asking
        # SubjectAccessReviews (the reference check): both only answer, never change.
        assert not install.is_allowed(api_client, user, "get", "secrets", namespace=other)
        for verb, resource, group in (
            ("delete", "namespaces", ""),
            ("create", "releasepolicies", "appdeploy.dev"),
            ("update", "releasepolicies", "appdeploy.dev"),
            ("create", "clusterrolebindings", "rbac.authorization.k8s.io"),
        ):
            assert not install.is_allowed(
                api_client, user, verb, resource, namespace="", group=group
            )
        assert install.is_allowed(api_client, user, "list", "namespaces", namespace="")
        assert install.is_allowed(
            api_client, user, "create", "subjectaccessreviews", namespace="",
            group="authorization.k8s.io",
        )  # fmt: skip
        # Channels' Secrets are read by name in a watched namespace, never listed or watched.
        assert install.is_allowed(api_client, user, "get", "secrets", namespace=watched)
        for verb in ("list", "watch"):
            assert not install.is_allowed(api_client, user, verb, "secrets", namespace=watched)
    finally:
        client.CoreV1Api(api_client).delete_namespace(other)


@dataclass(frozen=True)
class Removal:
    """A permission taken from the operator's Role, and the story that needs it."""

    verb: str
    resource: str
    group: str
    story: str

    @property
    def id(self) -> str:
        return f"{self.verb}-{self.resource.replace('/', '-')}"


REMOVALS = [
    Removal("create", "jobs", "batch", "a run step starts a Job"),
    Removal("update", "appdeployments/status", "appdeploy.dev", "progress shows in status"),
    Removal("create", "events", "", "kubectl describe tells what happened"),
]


def _without(role: dict[str, Any], removal: Removal) -> dict[str, Any]:
    rules = []
    for rule in role["rules"]:
        verbs = [
            verb
            for verb in rule["verbs"]
            if not (verb == removal.verb and removal.resource in rule["resources"])
        ]
        if verbs:
            rules.append({**rule, "verbs": verbs})
    return {**role, "rules": rules}


@dataclass
class RoleEditor:
    """Replaces the operator's Role and waits until RBAC says so."""

    kubeconfig: Any
    api_client: Any
    installation: Installation

    def set(self, role: dict[str, Any], removal: Removal, *, allowed: bool) -> None:
        install.apply(self.kubeconfig, [role])
        namespace = role["metadata"]["namespace"]
        wait_for(
            lambda: (
                allowed
                == install.is_allowed(
                    self.api_client,
                    self.installation.user,
                    removal.verb,
                    removal.resource,
                    namespace=namespace,
                    group=removal.group,
                )
            ),
            10,
            f"RBAC to {'grant' if allowed else 'revoke'} {removal.verb} {removal.resource}",
        )


def _refused_in_log(installation: Installation, name: str, removal: Removal) -> Callable[[], bool]:
    key = f"{installation.watched[0]}/{name}"

    def logged() -> bool:
        log = installation.operator.log_path.read_text(errors="replace")
        if removal.resource == "events":
            return f"on {key}: Forbidden" in log
        if removal.resource == "jobs":  # a refused create is reported, not retried as an error
            return f"{key}: step build: the API server refused its Job" in log
        return f"{key}: reconcile failed (403 Forbidden)" in log

    return logged


@pytest.mark.parametrize("removal", REMOVALS, ids=lambda removal: removal.id)
def test_without_a_rule_its_story_breaks(
    removal: Removal,
    namespaced_install: Installation,
    watched_releases: Releases,
    api_client: Any,
    cluster: Any,
) -> None:
    releases, name = watched_releases, f"no-{removal.id}"
    editor = RoleEditor(cluster.kubeconfig, api_client, namespaced_install)
    role = namespaced_install.operator_role(namespaced_install.watched[0])
    editor.set(_without(role, removal), removal, allowed=False)
    try:
        releases.apply(name, release_spec(run_step("build")))
        wait_for(
            _refused_in_log(namespaced_install, name, removal),
            TIMEOUT,
            f"the operator to be refused {removal.verb} {removal.resource} for {name}",
        )
        if removal.resource == "jobs":  # nothing starts; status and an Event say why
            assert releases.jobs(name) == []
            stalled = next(c for c in releases.status(name).conditions if c.type == "Stalled")
            assert (stalled.status, stalled.reason) == ("True", "JobRefused")
            assert "forbidden" in stalled.message
            releases.wait_for_event(name, "JobRefused", "forbidden")
        elif removal.resource == "appdeployments/status":  # it runs, nobody can tell
            wait_for(lambda: releases.jobs(name), TIMEOUT, f"the Job of {name}")
            assert releases.get(name).get("status") == UNOBSERVED_STATUS  # never written
        else:  # it completes, silently
            releases.wait_for(name, phase="Succeeded")
            assert releases.events(name) == []
    finally:
        editor.set(role, removal, allowed=True)

    # Given the rule back, the release completes; a touch wakes it at once
    # instead of at the end of the operator's error backoff (a refused Job is
    # asked for again within 30 seconds).
    releases.annotate(name, "test.appdeploy.dev/touch", "rbac-restored")
    releases.wait_for(name, phase="Succeeded")
    if removal.resource == "events":
        releases.apply(f"{name}-2", release_spec(run_step("build")))
        releases.wait_for_event(f"{name}-2", "RunSucceeded")
