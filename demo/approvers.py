"""Who approves which gate, the exact kubectl command, and running it as that person.

The demo approves the way a person would: ``kubectl annotate`` impersonating
the approver (``--as``/``--as-group``), so the API server authorizes the
request with RBAC as that user, not as the admin. The operator has no
admission webhook in the demo (it runs with ``--trust-unverified-approvals``),
so the annotation value is the JSON envelope naming the person.
"""

from __future__ import annotations

import json
import shlex
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kubernetes import client
from kubernetes.client.exceptions import ApiException
from tests.cluster.clients import impersonating_client

from appdeploy.api.spec import AppDeploymentSpec, GateSpec
from appdeploy.engine.gates import may_decide
from demo.install import GROUP, PLURAL, VERSION

APPROVE_PREFIX = "approve.appdeploy.dev/"
KUBECTL_TIMEOUT = 30.0


@dataclass(frozen=True)
class Approver:
    """A person, their groups, and what they say when approving."""

    user: str
    groups: tuple[str, ...]
    comment: str


# The example's cast. compliance must be decided by someone other than the QA
# approvers (distinctFrom), which is why carol is not alice or bob.
PERSONAS: dict[str, tuple[Approver, ...]] = {
    "qa-signoff": (
        Approver("alice@example.com", ("qa",), "tested on iPhone 15"),
        Approver("bob@example.com", ("qa",), "tested on Pixel 8"),
    ),
    "compliance": (
        Approver("carol@example.com", ("compliance",), "scan clean, release notes reviewed"),
    ),
    "go-full-rollout": (
        Approver("dave@example.com", ("release-managers",), "crash-free rate 99.8% at 50%"),
    ),
}


def approvers_for(name: str, gate: GateSpec) -> tuple[Approver, ...]:
    """The people who approve ``name`` in the demo: the cast, or made up from the spec.

    The fallback keeps the demo working if the example gains a gate: enough
    distinct members of the gate's first group (or its listed users).
    """
    cast = PERSONAS.get(name, ())
    if len(cast) >= gate.required and all(may_decide(gate, a.user, a.groups) for a in cast):
        return cast[: gate.required]
    if gate.approvers.groups:
        group = gate.approvers.groups[0]
        return tuple(
            Approver(f"{group}-{i}-{name}@example.com", (group,), "approved in the demo")
            for i in range(1, gate.required + 1)
        )
    return tuple(Approver(user, (), "approved in the demo") for user in gate.approvers.users)


def approver_groups(spec: AppDeploymentSpec) -> list[str]:
    """Every group that approves some gate: the groups the demo's RBAC lets annotate."""
    groups: list[str] = []
    for step in spec.steps:
        if step.gate is not None:
            groups.extend(g for g in step.gate.approvers.groups if g not in groups)
    return groups


def annotation(gate: str, approver: Approver) -> tuple[str, str]:
    """The approval annotation's key and value (the unsigned JSON envelope)."""
    value = json.dumps(
        {"user": approver.user, "groups": list(approver.groups), "comment": approver.comment},
        separators=(",", ":"),
    )
    return APPROVE_PREFIX + gate, value


def kubectl_argv(
    kubeconfig: Path, namespace: str, release: str, gate: str, approver: Approver
) -> list[str]:
    """``kubectl annotate`` as the approver (no --overwrite: one pending approval at a time)."""
    key, value = annotation(gate, approver)
    argv = ["kubectl", "--kubeconfig", str(kubeconfig), "-n", namespace, "annotate"]
    argv += ["appdeployment", release, f"{key}={value}", "--as", approver.user]
    for group in approver.groups:
        argv += ["--as-group", group]
    return argv


def shell_command(argv: list[str]) -> str:
    """The command as a person pastes it into a shell."""
    return shlex.join(argv)


@dataclass(frozen=True)
class Outcome:
    """What was run for an approval, what it printed, and whether the API server accepted it."""

    command: str
    ok: bool
    output: str


def run_as_approver(
    kubeconfig: Path, namespace: str, release: str, gate: str, approver: Approver
) -> Outcome:
    """Run the approval as the approver: kubectl when installed, else the same request in Python.

    Both impersonate, so the API server authorizes the PATCH as the approver.
    """
    if shutil.which("kubectl"):
        argv = kubectl_argv(kubeconfig, namespace, release, gate, approver)
        command = shell_command(argv)
        try:
            done = subprocess.run(
                argv, capture_output=True, text=True, timeout=KUBECTL_TIMEOUT, check=False
            )
        except subprocess.TimeoutExpired:
            return Outcome(command, False, f"kubectl did not answer within {KUBECTL_TIMEOUT:g}s")
        return Outcome(command, done.returncode == 0, (done.stdout + done.stderr).strip())
    return _patch_as(kubeconfig, namespace, release, gate, approver)


def _patch_as(
    kubeconfig: Path, namespace: str, release: str, gate: str, approver: Approver
) -> Outcome:
    key, value = annotation(gate, approver)
    groups = "".join(f" --as-group {group}" for group in approver.groups)
    command = (
        f"(kubectl not found) PATCH {key} as the Python client would: --as {approver.user}{groups}"
    )
    api: Any = impersonating_client(kubeconfig, approver.user, approver.groups)
    try:
        client.CustomObjectsApi(api).patch_namespaced_custom_object(
            GROUP, VERSION, namespace, PLURAL, release, {"metadata": {"annotations": {key: value}}}
        )
    except ApiException as error:
        return Outcome(command, False, f"{error.status} {error.reason}: {error.body}")
    finally:
        api.close()
    return Outcome(command, True, f"appdeployment.{GROUP}/{release} annotated")
