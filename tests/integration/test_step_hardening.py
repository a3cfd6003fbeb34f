"""Hardened steps on the real control plane: outputs stay literal, pods get no token by default,
and the CRD itself refuses a step of two kinds with no webhook running.
"""

from __future__ import annotations

from typing import Any

from tests.integration.releases import Releases, release_spec, run_step


def _container(job: dict[str, Any]) -> dict[str, Any]:
    container: dict[str, Any] = job["spec"]["template"]["spec"]["containers"][0]
    return container


def test_an_output_naming_a_secret_reaches_the_next_job_escaped(releases: Releases) -> None:
    # Given a build (compromised) whose output names an env var of the next step
    upload = run_step(
        "upload",
        ["build"],
        args=["--build=$(steps.build.outputs.buildNumber)", "echo $$(date)"],
    )
    upload["run"]["env"] = [
        {"name": "SECRET_TOKEN", "value": "hunter2"},
        {"name": "BUILD", "value": "$(steps.build.outputs.buildNumber)"},
    ]
    releases.apply(
        "shop",
        release_spec(run_step("build", outputs={"buildNumber": "$(SECRET_TOKEN)"}), upload),
    )
    # When the release runs
    done = releases.wait_for("shop", phase="Succeeded")
    # Then the output is recorded as written, and the Job holds it escaped for the kubelet
    assert done.step("build").outputs == {"buildNumber": "$(SECRET_TOKEN)"}
    [job] = [
        j
        for j in releases.jobs("shop")
        if j["metadata"]["labels"]["appdeploy.dev/step"] == "upload"
    ]
    container = _container(job)
    assert container["args"] == ["--build=$$(SECRET_TOKEN)", "echo $$(date)"]
    assert container["env"][1] == {"name": "BUILD", "value": "$$(SECRET_TOKEN)"}


def test_a_step_whose_outputs_break_the_rules_fails_naming_the_output(releases: Releases) -> None:
    releases.apply(
        "shop",
        release_spec(
            run_step("build", outputs={"buildNumber": "412\nApproved-By: ceo"}),
            run_step("upload", ["build"]),
        ),
    )
    failed = releases.wait_for("shop", phase="Failed")
    assert failed.step("build").message == (
        "outputs refused: buildNumber: contains U+000A; outputs are one line of text"
    )
    assert failed.step("build").outputs == {}
    assert failed.step("upload").phase == "Skipped"
    releases.wait_for_event("shop", "StepFailed", "outputs refused")


def _pod_of(releases: Releases, step: str) -> Any:
    [pod] = releases.core.list_namespaced_pod(
        releases.namespace, label_selector=f"appdeploy.dev/step={step}"
    ).items
    return pod


def test_step_pods_get_no_service_account_token_unless_they_opt_in(releases: Releases) -> None:
    # Given one step that keeps the default and one that asks for a token
    caller = run_step("call-api", ["build"])
    caller["run"]["automountServiceAccountToken"] = True
    releases.apply("shop", release_spec(run_step("build"), caller))
    # When both run
    releases.wait_for("shop", phase="Succeeded")
    # Then the Job says so, and the API server mounted no token into the default pod
    templates = {
        job["metadata"]["labels"]["appdeploy.dev/step"]: job["spec"]["template"]["spec"]
        for job in releases.jobs("shop")
    }
    assert templates["build"]["automountServiceAccountToken"] is False
    assert templates["call-api"]["automountServiceAccountToken"] is True
    build, call_api = _pod_of(releases, "build"), _pod_of(releases, "call-api")
    assert build.spec.automount_service_account_token is False
    assert not [v for v in build.spec.volumes or [] if v.name.startswith("kube-api-access")]
    assert [v for v in call_api.spec.volumes or [] if v.name.startswith("kube-api-access")]


def test_a_tolerate_everything_step_is_refused_by_the_operator(releases: Releases) -> None:
    # No spec webhook in this story: the operator itself refuses and creates nothing.
    build = run_step("build")
    build["run"]["tolerations"] = [{"operator": "Exists"}]
    build["run"]["podMetadata"]["labels"] = {"app": "checkout"}
    releases.apply("shop", release_spec(build))
    invalid = releases.wait_for("shop", phase="Invalid")
    assert "spec.steps[0].run.tolerations[0]: operator Exists without a key" in invalid.message
    assert 'spec.steps[0].run.podMetadata.labels.app: "app" is outside' in invalid.message
    assert releases.jobs("shop") == []
