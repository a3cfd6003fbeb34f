"""Pure translations between the planner and Kubernetes objects: Job manifests, observations,
annotations. The cluster stories prove them end to end; these pin the edge cases."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from appdeploy.api.spec import RunSpec
from appdeploy.engine import CreateJob, DecisionKind, JobState
from appdeploy.k8s.annotations import read_decision, read_requests
from appdeploy.k8s.jobs import build_job
from appdeploy.k8s.observe import newest_pod, observed_job

LABELS = {
    "appdeploy.dev/deployment": "shop",
    "appdeploy.dev/step": "build",
    "appdeploy.dev/run": "3",
    "appdeploy.dev/attempt": "2",
    "app.kubernetes.io/managed-by": "appdeploy",
}


def create(**run: Any) -> CreateJob:
    return CreateJob(
        name="shop-build-r3-a2",
        step="build",
        run=3,
        attempt=2,
        spec=RunSpec.model_validate({"image": "builder:1", **run}),
        service_account_name="runner",
        deadline_seconds=5400,
    )


def test_step_pods_get_no_service_account_token_unless_they_ask() -> None:
    def automount(**run: Any) -> object:
        return build_job(create(**run), "shop", "uid-1", None)["spec"]["template"]["spec"][
            "automountServiceAccountToken"
        ]

    assert automount() is False
    assert automount(automountServiceAccountToken=False) is False
    assert automount(automountServiceAccountToken=True) is True


def test_a_job_manifest_has_the_contracts_labels_owner_and_security() -> None:
    job = build_job(create(), "shop", "uid-1", ttl_seconds=86400)
    assert job["metadata"]["name"] == "shop-build-r3-a2"
    assert job["metadata"]["labels"] == LABELS
    assert job["metadata"]["ownerReferences"] == [
        {
            "apiVersion": "appdeploy.dev/v1alpha1",
            "kind": "AppDeployment",
            "name": "shop",
            "uid": "uid-1",
            "controller": True,
            "blockOwnerDeletion": True,
        }
    ]
    spec = job["spec"]
    assert (
        spec["backoffLimit"],
        spec["activeDeadlineSeconds"],
        spec["ttlSecondsAfterFinished"],
    ) == (0, 5400, 86400)
    pod = spec["template"]["spec"]
    assert pod["restartPolicy"] == "Never"
    assert pod["serviceAccountName"] == "runner"
    container = pod["containers"][0]
    assert container["securityContext"]["capabilities"] == {"drop": ["ALL"]}
    assert container["terminationMessagePolicy"] == "FallbackToLogsOnError"
    assert "command" not in container, "the image's entrypoint when none is given"


def test_a_job_manifest_carries_env_secrets_resources_and_pod_metadata() -> None:
    job = build_job(
        create(
            command=["fastlane"],
            args=["ios", "build"],
            env=[
                {"name": "REV", "value": "abc"},
                {"name": "PW", "valueFrom": {"secretKeyRef": {"name": "keystore", "key": "pw"}}},
            ],
            envFrom=[{"secretRef": {"name": "ios-signing"}}],
            resources={"requests": {"cpu": 2, "memory": "4Gi"}},
            nodeSelector={"pool": "macos"},
            tolerations=[{"key": "macos", "operator": "Exists", "effect": "NoSchedule"}],
            podMetadata={
                "labels": {"team": "mobile", "appdeploy.dev/step": "spoofed"},
                "annotations": {"kwok.appdeploy.dev/duration": "1s"},
            },
        ),
        "shop",
        "uid-1",
        ttl_seconds=None,
    )
    template = job["spec"]["template"]
    container = template["spec"]["containers"][0]
    assert container["env"] == [
        {"name": "REV", "value": "abc"},
        {"name": "PW", "valueFrom": {"secretKeyRef": {"name": "keystore", "key": "pw"}}},
    ]
    assert container["envFrom"] == [{"secretRef": {"name": "ios-signing"}}]
    assert container["resources"] == {"requests": {"cpu": "2", "memory": "4Gi"}, "limits": {}}
    assert template["spec"]["nodeSelector"] == {"pool": "macos"}
    assert template["metadata"]["labels"]["team"] == "mobile"
    assert template["metadata"]["labels"]["appdeploy.dev/step"] == "build", "ours win"
    assert template["metadata"]["annotations"] == {"kwok.appdeploy.dev/duration": "1s"}
    assert "ttlSecondsAfterFinished" not in job["spec"]


def job(conditions: list[dict[str, str]], labels: dict[str, str] | None = None) -> dict[str, Any]:
    return {
        "metadata": {
            "name": "shop-build-r3-a2",
            "labels": LABELS if labels is None else labels,
            "creationTimestamp": "2026-11-27T09:00:00Z",
        },
        "status": {"conditions": conditions},
    }


def pod(terminated: dict[str, Any], created: str = "2026-11-27T09:00:01Z") -> dict[str, Any]:
    return {
        "metadata": {"creationTimestamp": created},
        "status": {"containerStatuses": [{"name": "step", "state": {"terminated": terminated}}]},
    }


def test_an_active_job() -> None:
    seen = observed_job(job([]), None)
    assert seen is not None
    assert (seen.step, seen.run, seen.attempt, seen.state) == ("build", 3, 2, JobState.ACTIVE)
    assert seen.created_at == datetime(2026, 11, 27, 9, 0, tzinfo=UTC)


def test_a_completed_job_reports_its_termination_message() -> None:
    seen = observed_job(
        job([{"type": "Complete", "status": "True", "lastTransitionTime": "2026-11-27T09:05:00Z"}]),
        pod({"exitCode": 0, "message": '{"buildNumber": "412"}'}),
    )
    assert seen is not None
    assert seen.state is JobState.SUCCEEDED
    assert seen.termination_message == '{"buildNumber": "412"}'
    assert seen.finished_at == datetime(2026, 11, 27, 9, 5, tzinfo=UTC)


def test_a_failed_job_reports_exit_code_and_reason() -> None:
    seen = observed_job(
        job([{"type": "Failed", "status": "True", "reason": "BackoffLimitExceeded"}]),
        pod({"exitCode": 65, "reason": "Error", "message": "no signing identity"}),
    )
    assert seen is not None
    assert (seen.state, seen.exit_code, seen.reason) == (JobState.FAILED, 65, "Error")
    deadline = observed_job(
        job([{"type": "Failed", "status": "True", "reason": "DeadlineExceeded"}]), None
    )
    assert deadline is not None and deadline.reason == "DeadlineExceeded"


def test_jobs_without_our_labels_are_ignored_and_the_newest_pod_wins() -> None:
    assert observed_job(job([], labels={"app": "other"}), None) is None
    old, new = pod({}, "2026-11-27T09:00:01Z"), pod({}, "2026-11-27T09:00:09Z")
    assert newest_pod([new, old]) is new
    assert newest_pod([]) is None


def test_approval_annotations() -> None:
    plain = read_decision("approve.appdeploy.dev/qa", "looks good")
    assert plain is not None
    assert (plain.kind, plain.gate, plain.user, plain.comment) == (
        DecisionKind.APPROVE,
        "qa",
        None,
        "looks good",
    )
    envelope = read_decision(
        "reject.appdeploy.dev/qa",
        '{"user": "bob", "groups": ["qa"], "comment": "crash", "at": "2026-11-27T10:00:00Z"}',
    )
    assert envelope is not None
    assert (envelope.kind, envelope.user, envelope.groups, envelope.verified) == (
        DecisionKind.REJECT,
        "bob",
        ("qa",),
        False,
    )
    assert envelope.at == datetime(2026, 11, 27, 10, tzinfo=UTC)
    broken = read_decision("approve.appdeploy.dev/qa", '{"user": "x", "at": "yesterday"}')
    assert broken is not None and broken.problem.startswith("unreadable envelope")
    assert read_decision("example.com/other", "x") is None


def test_requests_among_annotations() -> None:
    decisions, retry, cancel = read_requests(
        {
            "approve.appdeploy.dev/qa": "ok",
            "appdeploy.dev/retry": "failed",
            "kubectl.kubernetes.io/last-applied-configuration": "{}",
        }
    )
    assert [d.gate for d in decisions] == ["qa"]
    assert retry is not None and retry.value == "failed"
    assert cancel is None
