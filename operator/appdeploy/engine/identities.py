"""Steps never run as the operator itself.

A release in the operator's own namespace could name the operator's
ServiceAccount for its steps (or leave it the namespace default the operator
runs as), and so run any image with the operator's rights: create Jobs
anywhere it may, read the approval signing key. Such a release is Invalid,
with the field named. Pure: the operator's identity is a setting.
"""

from __future__ import annotations

from appdeploy.api.problems import Problem
from appdeploy.api.spec import AppDeploymentSpec, Step

SERVICE_ACCOUNT_PREFIX = "system:serviceaccount:"
DEFAULT_ACCOUNT = "default"


def operator_account(username: str) -> tuple[str, str] | None:
    """(namespace, name) when the operator runs as a ServiceAccount, else None."""
    if not username.startswith(SERVICE_ACCOUNT_PREFIX):
        return None
    namespace, _, name = username.removeprefix(SERVICE_ACCOUNT_PREFIX).partition(":")
    return (namespace, name) if namespace and name else None


def run_account(spec: AppDeploymentSpec, step: Step, where: str) -> tuple[str, str] | None:
    """(account, field that chose it) of a run or check step at ``where`` (``spec.steps[3]``);
    None for a gate or wait. With no name anywhere the pod runs as the namespace's ``default``.
    A check's measurement Jobs run as ``spec.serviceAccountName``."""
    if step.check is not None:
        if spec.service_account_name:
            return spec.service_account_name, "spec.serviceAccountName"
        return DEFAULT_ACCOUNT, f"{where}.check"
    if step.run is None:
        return None
    if step.run.service_account_name:
        return step.run.service_account_name, f"{where}.run.serviceAccountName"
    if spec.service_account_name:
        return spec.service_account_name, "spec.serviceAccountName"
    return DEFAULT_ACCOUNT, f"{where}.run"


def identity_problems(namespace: str, spec: AppDeploymentSpec, operator: str) -> list[Problem]:
    """Steps of a release in ``namespace`` that would run as the ``operator`` ServiceAccount."""
    account = operator_account(operator)
    if account is None or account[0] != namespace:
        return []
    problems = []
    sections = (("steps", spec.steps), ("finally", spec.finally_))
    for section, steps in sections:
        for index, step in enumerate(steps):
            found = run_account(spec, step, f"spec.{section}[{index}]")
            if found is None or found[0] != account[1]:
                continue
            chosen = found[0]
            field = (
                found[1] if found[1].endswith("serviceAccountName") else "spec.serviceAccountName"
            )
            problems.append(
                Problem(
                    field,
                    f"{step.name} would run as {chosen}, the operator's own ServiceAccount in "
                    f"{namespace}; steps never run as the operator: name another account",
                )
            )
    return problems
