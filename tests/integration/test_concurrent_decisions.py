"""Several people deciding at once, through the real API server and the webhooks.

Given a gate waiting for three approvals, when alice and bob run ``kubectl
annotate approve.appdeploy.dev/qa-signoff`` at the same moment (no
``--overwrite``) and carol runs ``kubectl appdeploy approve`` alongside, then
all three are counted, verified. Given alice's decision pending, bob can
neither overwrite nor remove it; and the operator removes a decision only if
it still holds the value it read.
"""

from __future__ import annotations

import json
import subprocess
import sys
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from kubernetes import client

from appdeploy.api.status import AppDeploymentStatus
from appdeploy.k8s.annotations import authored_key
from appdeploy.k8s.cluster import Cluster
from appdeploy.k8s.labels import GROUP, PLURAL, VERSION
from tests.cluster.wait import wait_for
from tests.integration.admission_setup import LABEL, Admission, admission, pending, releases
from tests.integration.releases import Releases, gate_step, grant_approvers, release_spec, run_step

__all__ = ["admission", "releases"]

QA = "qa-signoff"


def three_approvals() -> dict[str, Any]:
    return release_spec(
        run_step("build"), gate_step(QA, ["build"], required=3), run_step("ship", [QA])
    )


def test_three_people_approving_at_the_same_moment_are_all_counted(
    releases: Releases, cluster: Any
) -> None:
    releases.apply("together", three_approvals())
    releases.wait_for("together", steps={QA: "Waiting"})
    key = f"approve.appdeploy.dev/{QA}"

    def annotate(user: str) -> subprocess.Popen[str]:
        argv = releases.kubectl(
            "-n",
            releases.namespace,
            "annotate",
            "appdeployment/together",
            f"{key}=tested by {user}",
            as_user=user,
            groups=["qa"],
        )
        return subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)

    cli = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "appdeploy",
            "approve",
            "together",
            QA,
            "-m",
            "tested by carol",
            "-n",
            releases.namespace,
            "--kubeconfig",
            str(cluster.kubeconfig),
            "--as=carol",
            "--as-group=qa",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    people = [annotate("alice"), annotate("bob")]
    for process in [*people, cli]:
        _, stderr = process.communicate(timeout=120)
        assert process.returncode == 0, stderr

    status = releases.wait_for("together", steps={QA: "Succeeded"})
    approvals = status.step(QA).approvals
    assert sorted((a.user, a.comment, a.verified) for a in approvals) == [
        ("alice", "tested by alice", True),
        ("bob", "tested by bob", True),
        ("carol", "tested by carol", True),
    ]
    assert pending(releases, "together", QA) == []


@pytest.fixture
def idle(
    admission: Admission, api_client: Any, kubectl: Callable[..., list[str]]
) -> Iterator[Releases]:
    """A namespace the webhooks cover but no operator reconciles: decisions stay pending."""
    suffix = admission.namespace.removeprefix("adm-")
    name = f"idle-{uuid.uuid4().hex[:8]}"
    core = client.CoreV1Api(api_client)
    core.create_namespace({"metadata": {"name": name, "labels": {LABEL: suffix}}})
    grant_approvers(api_client, name)
    try:
        yield Releases(api_client, name, kubectl)
    finally:
        core.delete_namespace(name)


def waiting_copy(releases: Releases, idle: Releases, name: str) -> None:
    """The same release in ``idle``, with the status the operator wrote for it (gate Waiting)."""
    releases.apply(name, three_approvals())
    status = releases.wait_for(name, steps={QA: "Waiting"})
    idle.apply(name, three_approvals())
    body = idle.get(name)
    body["status"] = status.to_wire()
    idle.custom.replace_namespaced_custom_object_status(
        GROUP, VERSION, idle.namespace, PLURAL, name, body
    )
    assert AppDeploymentStatus.model_validate(idle.get(name)["status"]).step(QA).phase == "Waiting"


def test_nobody_overwrites_or_removes_another_persons_pending_decision(
    releases: Releases, idle: Releases
) -> None:
    waiting_copy(releases, idle, "pending")
    written = idle.annotate(
        "pending", f"approve.appdeploy.dev/{QA}", "ok on iPhone 15", as_user="alice", groups=["qa"]
    )
    assert written.returncode == 0, written.stderr
    alice_key = authored_key("approve", QA, "alice")
    alice_value = idle.annotations("pending")[alice_key]
    assert json.loads(alice_value)["user"] == "alice"

    overwrite = idle.annotate(
        "pending", alice_key, "mine now", as_user="bob", groups=["qa"], overwrite=True
    )
    assert overwrite.returncode != 0
    assert "bob may not change alice's pending approval of qa-signoff" in overwrite.stderr

    remove = subprocess.run(
        idle.kubectl(
            "-n",
            idle.namespace,
            "annotate",
            "appdeployment/pending",
            f"{alice_key}-",
            as_user="bob",
            groups=["qa"],
        ),
        capture_output=True,
        text=True,
        check=False,
    )
    assert remove.returncode != 0
    assert "bob may not remove alice's pending approval of qa-signoff" in remove.stderr
    assert idle.annotations("pending")[alice_key] == alice_value, "alice's decision is intact"

    bob = idle.annotate(
        "pending", f"approve.appdeploy.dev/{QA}", "ok on Pixel 8", as_user="bob", groups=["qa"]
    )
    assert bob.returncode == 0, bob.stderr
    assert sorted(pending(idle, "pending", QA)) == sorted(
        [alice_key, authored_key("approve", QA, "bob")]
    )


def test_the_operator_removes_a_decision_only_if_it_still_holds_what_was_read(
    api_client: Any, unwatched_namespace: str
) -> None:
    custom = client.CustomObjectsApi(api_client)
    body = {
        "apiVersion": f"{GROUP}/{VERSION}",
        "kind": "AppDeployment",
        "metadata": {"name": "rewritten", "annotations": {"approve.appdeploy.dev/qa": "second"}},
        "spec": three_approvals(),
    }
    custom.create_namespaced_custom_object(GROUP, VERSION, unwatched_namespace, PLURAL, body)
    cluster = Cluster(api_client)

    def annotations() -> dict[str, str]:
        stored = custom.get_namespaced_custom_object(
            GROUP, VERSION, unwatched_namespace, PLURAL, "rewritten"
        )
        return dict(stored["metadata"].get("annotations") or {})

    read_before = {"approve.appdeploy.dev/qa": "first"}
    assert not cluster.remove_annotations(unwatched_namespace, "rewritten", read_before)
    assert annotations() == {"approve.appdeploy.dev/qa": "second"}, "a newer value is not lost"
    assert cluster.remove_annotations(unwatched_namespace, "rewritten", annotations())
    wait_for(lambda: annotations() == {}, 10, "the annotation to be removed")
