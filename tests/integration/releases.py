"""Story helpers for AppDeployments on the real control plane.

A test reads as Given / When / Then: ``releases.apply(...)``,
``releases.approve(name, gate, as_user="alice", groups=["qa"])``,
``releases.wait_for(name, phase="Succeeded")``. Approvals go through the API
server as the impersonated user (kubectl --as / --as-group), so RBAC applies.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from kubernetes import client
from kubernetes.client.exceptions import ApiException

from appdeploy.api.status import AppDeploymentStatus
from appdeploy.k8s.labels import DEPLOYMENT, GROUP, PLURAL, VERSION
from tests.cluster.wait import wait_for

TIMEOUT = 60.0


def run_step(
    name: str,
    needs: Sequence[str] = (),
    *,
    seconds: float = 0,
    exit_code: int = 0,
    message: str = "",
    outputs: dict[str, str] | None = None,
    fail_attempts: int | None = None,
    args: Sequence[str] = (),
    **extra: Any,
) -> dict[str, Any]:
    """A run step whose pod behaves as told (KWOK knobs via podMetadata)."""
    annotations = {"kwok.appdeploy.dev/duration": f"{int(seconds * 1000)}ms"}
    if exit_code:
        annotations["kwok.appdeploy.dev/exit-code"] = str(exit_code)
    if message:
        annotations["kwok.appdeploy.dev/message"] = message
    if outputs is not None:
        annotations["kwok.appdeploy.dev/termination-message"] = json.dumps(outputs)
    if fail_attempts is not None:
        annotations["kwok.appdeploy.dev/fail-attempts"] = str(fail_attempts)
    run = {
        "image": f"example.invalid/{name}:1",
        "args": list(args),
        "podMetadata": {"annotations": annotations},
    }
    return {"name": name, "needs": list(needs), "run": run, **extra}


def gate_step(name: str, needs: Sequence[str] = (), **gate: Any) -> dict[str, Any]:
    """A gate step (approvers default to group qa)."""
    timeout = gate.pop("timeout", None)
    step = {"name": name, "needs": list(needs), "gate": {"approvers": {"groups": ["qa"]}, **gate}}
    if timeout:
        step["timeout"] = timeout
    return step


def release_spec(
    *steps: dict[str, Any], final: Sequence[dict[str, Any]] = (), **fields: Any
) -> dict[str, Any]:
    """A spec for app ``shop``."""
    spec = {"app": "shop", "version": "1.0.0", "steps": list(steps), **fields}
    if final:
        spec["finally"] = list(final)
    return spec


def run_cli(
    kubeconfig: Any,
    namespace: str,
    *args: str,
    user: str | None = None,
    groups: Sequence[str] = (),
) -> subprocess.CompletedProcess[str]:
    """``appdeploy ARGS -n NAMESPACE`` as a person would run it (impersonated when given)."""
    identity = [f"--as={user}", *(f"--as-group={g}" for g in groups)] if user else []
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "appdeploy",
            *args,
            "-n",
            namespace,
            "--kubeconfig",
            str(kubeconfig),
            *identity,
        ],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )


def grant_approvers(api_client: Any, namespace: str) -> None:
    """Let groups qa, compliance and dev read and annotate releases in the namespace."""
    rbac = client.RbacAuthorizationV1Api(api_client)
    rbac.create_namespaced_role(
        namespace,
        {
            "metadata": {"name": "release-approver"},
            "rules": [
                {
                    "apiGroups": ["appdeploy.dev"],
                    "resources": ["appdeployments"],
                    "verbs": ["get", "list", "watch", "patch"],
                }
            ],
        },
    )
    rbac.create_namespaced_role_binding(
        namespace,
        {
            "metadata": {"name": "release-approvers"},
            "roleRef": {
                "apiGroup": "rbac.authorization.k8s.io",
                "kind": "Role",
                "name": "release-approver",
            },
            "subjects": [
                {"apiGroup": "rbac.authorization.k8s.io", "kind": "Group", "name": group}
                for group in ("qa", "compliance", "dev")
            ],
        },
    )


class Releases:
    """AppDeployments of one test namespace."""

    def __init__(self, api_client: Any, namespace: str, kubectl: Callable[..., list[str]]) -> None:
        self.namespace = namespace
        self.kubectl = kubectl
        self.custom = client.CustomObjectsApi(api_client)
        self.batch = client.BatchV1Api(api_client)
        self.core = client.CoreV1Api(api_client)
        self.api_client = api_client

    # --- given ---------------------------------------------------------------------
    def apply(self, name: str, spec: dict[str, Any]) -> None:
        """Create a release."""
        body = {
            "apiVersion": f"{GROUP}/{VERSION}",
            "kind": "AppDeployment",
            "metadata": {"name": name},
            "spec": spec,
        }
        self.custom.create_namespaced_custom_object(GROUP, VERSION, self.namespace, PLURAL, body)

    def replace_spec(self, name: str, spec: dict[str, Any]) -> None:
        """Commit a new spec (a new generation), as a GitOps sync would."""
        body = self.get(name)
        body["spec"] = spec
        self.custom.replace_namespaced_custom_object(
            GROUP, VERSION, self.namespace, PLURAL, name, body
        )

    # --- when ----------------------------------------------------------------------
    def annotate(
        self,
        name: str,
        key: str,
        value: str,
        *,
        as_user: str | None = None,
        groups: Sequence[str] = (),
        overwrite: bool = False,
    ) -> subprocess.CompletedProcess[str]:
        """``kubectl annotate`` (as an impersonated user when given)."""
        argv = self.kubectl(
            "-n",
            self.namespace,
            "annotate",
            f"appdeployment/{name}",
            f"{key}={value}",
            *(["--overwrite"] if overwrite else []),
            as_user=as_user,
            groups=groups,
        )
        return subprocess.run(argv, capture_output=True, text=True, check=False)

    def decide(
        self, kind: str, name: str, gate: str, *, as_user: str, groups: Sequence[str], comment: str
    ) -> None:
        """Write an approve/reject annotation as the user and wait until the operator took it."""
        key = f"{kind}.appdeploy.dev/{gate}"
        envelope = json.dumps({"user": as_user, "groups": list(groups), "comment": comment})
        result = self.annotate(name, key, envelope, as_user=as_user, groups=groups)
        assert result.returncode == 0, result.stderr
        wait_for(
            lambda: key not in self.annotations(name),
            TIMEOUT,
            f"the operator to consume {key} on {name}",
        )

    def approve(
        self, name: str, gate: str, as_user: str, groups: Sequence[str] = ("qa",), comment: str = ""
    ) -> None:
        """One approval, as that person."""
        self.decide(
            "approve", name=name, gate=gate, as_user=as_user, groups=groups, comment=comment
        )

    def reject(
        self, name: str, gate: str, as_user: str, groups: Sequence[str] = ("qa",), reason: str = ""
    ) -> None:
        """One rejection, as that person."""
        self.decide("reject", name, gate, as_user=as_user, groups=groups, comment=reason)

    def request(self, name: str, what: str, value: str) -> None:
        """A retry or cancel annotation, consumed by the operator."""
        key = f"appdeploy.dev/{what}"
        result = self.annotate(name, key, value)
        assert result.returncode == 0, result.stderr
        wait_for(
            lambda: key not in self.annotations(name),
            TIMEOUT,
            f"the operator to consume {key} on {name}",
        )

    # --- then ----------------------------------------------------------------------
    def get(self, name: str) -> dict[str, Any]:
        """The AppDeployment as stored."""
        body: dict[str, Any] = self.custom.get_namespaced_custom_object(
            GROUP, VERSION, self.namespace, PLURAL, name
        )
        return body

    def rewrite_status(
        self, name: str, change: Callable[[dict[str, Any]], None], what: str
    ) -> None:
        """Change the stored status as any status writer could (PUT), racing the operator:
        ``change`` edits the body read; a 409 (the operator wrote in between) reads again."""

        def written() -> bool:
            body = self.get(name)
            change(body)
            try:
                self.custom.replace_namespaced_custom_object_status(
                    GROUP, VERSION, self.namespace, PLURAL, name, body
                )
            except ApiException as error:
                if error.status == 409:
                    return False
                raise
            return True

        wait_for(written, 30, what)

    def annotations(self, name: str) -> dict[str, str]:
        """Its annotations."""
        return dict(self.get(name)["metadata"].get("annotations") or {})

    def status(self, name: str) -> AppDeploymentStatus:
        """Its status, as the model."""
        return AppDeploymentStatus.model_validate(self.get(name).get("status") or {})

    def wait_for(
        self,
        name: str,
        *,
        phase: str | None = None,
        steps: dict[str, str] | None = None,
        run: int | None = None,
        timeout: float = TIMEOUT,
    ) -> AppDeploymentStatus:
        """Wait until the release (and the named steps) reach the given phases."""
        wanted = ", ".join(
            ([f"phase {phase}"] if phase else [])
            + ([f"run {run}"] if run else [])
            + [f"{step} {step_phase}" for step, step_phase in (steps or {}).items()]
        )

        def reached() -> AppDeploymentStatus | None:
            status = self.status(name)
            if (phase and status.phase != phase) or (run and status.run != run):
                return None
            current = {step.name: str(step.phase) for step in status.steps}
            if any(current.get(step) != step_phase for step, step_phase in (steps or {}).items()):
                return None
            return status

        return wait_for(reached, timeout, f"{name}: {wanted}", ignore=(ApiException,))

    def jobs(self, name: str) -> list[dict[str, Any]]:
        """The Jobs of a release, oldest first."""
        jobs = self.batch.list_namespaced_job(
            self.namespace, label_selector=f"{DEPLOYMENT}={name}"
        ).items
        plain = [self.api_client.sanitize_for_serialization(job) for job in jobs]
        return sorted(plain, key=lambda job: job["metadata"]["name"])

    def job_names(self, name: str) -> list[str]:
        """Names of the release's Jobs."""
        return [job["metadata"]["name"] for job in self.jobs(name)]

    def job_created_at(self, job: str) -> datetime:
        """When the API server created a Job (whole seconds, as it stores them)."""
        created: datetime = self.batch.read_namespaced_job(
            job, self.namespace
        ).metadata.creation_timestamp
        return created

    def pod_finished_at(self, job: str) -> datetime:
        """When the container of a Job's only pod terminated (whole seconds)."""
        [pod] = self.core.list_namespaced_pod(
            self.namespace, label_selector=f"batch.kubernetes.io/job-name={job}"
        ).items
        finished: datetime = pod.status.container_statuses[0].state.terminated.finished_at
        return finished

    def events(self, name: str) -> list[tuple[str, str, str]]:
        """(type, reason, message) of the Events about the release, oldest first."""
        items = self.core.list_namespaced_event(
            self.namespace, field_selector=f"involvedObject.name={name}"
        ).items
        items.sort(
            key=lambda event: (
                event.first_timestamp or event.metadata.creation_timestamp,
                event.metadata.name,
            )
        )
        return [(event.type, event.reason, event.message) for event in items]

    def wait_for_event(self, name: str, reason: str, containing: str = "") -> tuple[str, str, str]:
        """Wait for an Event with this reason (and text)."""

        def found() -> tuple[str, str, str] | None:
            return next(
                (e for e in self.events(name) if e[1] == reason and containing in e[2]), None
            )

        return wait_for(found, TIMEOUT, f"Event {reason} {containing!r} on {name}")
