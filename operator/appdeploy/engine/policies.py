"""Judge a release against the ReleasePolicies in force (docs/policies.md).

The one code path every enforcement point shares: ``appdeploy validate
--policies`` and ``appdeploy policy explain`` today, the admission webhook and
the operator later. Pure: it decides, the caller acts on each violation's
``enforcement`` (refuse, warn, record).

A step is *protected* by what it uses, never by a label a release could drop:
the service account a run step runs as, and the Secrets its environment
reads. Each required gate must stand among the ancestors of every protected
step; a protected ``finally`` step is refused outright, because it runs after
the DAG whatever the outcome, so no gate can be guaranteed to have passed
before it. The gate rules themselves (approvers, floors, ceilings) are in
``appdeploy.engine.policy_gates``.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from fnmatch import fnmatchcase

from appdeploy.api.checks import check_secrets
from appdeploy.api.graph import ancestors
from appdeploy.api.policy import Enforcement, ReleasePolicy
from appdeploy.api.spec import AppDeploymentSpec, Step, StepType
from appdeploy.engine.identities import run_account
from appdeploy.engine.policy_gates import gate_violations
from appdeploy.engine.policy_violation import PolicyViolation, Rule

__all__ = [
    "PolicyViolation",
    "ProtectedStep",
    "Rule",
    "Scope",
    "Use",
    "applicable",
    "applies",
    "protected_steps",
    "scope",
    "violations",
]


@dataclass(frozen=True)
class Scope:
    """Whether a policy applies to a release, and why (for ``policy explain``)."""

    applies: bool
    reasons: tuple[str, ...]


def scope(policy: ReleasePolicy, namespace_labels: Mapping[str, str], app: str) -> Scope:
    """Whether ``policy`` covers release ``app`` in a namespace with these labels, and why."""
    selector = policy.spec.namespace_selector
    reasons: list[str] = []
    selected = selector.matches(namespace_labels)
    if not selector.match_labels and not selector.match_expressions:
        reasons.append("namespaceSelector is empty: it selects every namespace")
    else:
        verdict = "matches" if selected else "does not match"
        reasons.append(f"namespaceSelector {verdict} the namespace labels")
    globs = [glob for glob in policy.spec.apps if fnmatchcase(app, glob)]
    if globs:
        reasons.append(f"app {app} matches {globs[0]}")
    else:
        reasons.append(f"app {app} matches none of {', '.join(policy.spec.apps)}")
    return Scope(selected and bool(globs), tuple(reasons))


def applies(policy: ReleasePolicy, namespace_labels: Mapping[str, str], app: str) -> bool:
    """True when ``policy`` covers release ``app`` in a namespace with these labels."""
    return scope(policy, namespace_labels, app).applies


def applicable(
    policies: Iterable[ReleasePolicy], namespace_labels: Mapping[str, str], app: str
) -> list[ReleasePolicy]:
    """The policies that cover this release, in the order given."""
    return [policy for policy in policies if applies(policy, namespace_labels, app)]


@dataclass(frozen=True)
class Use:
    """Something protected a step uses: ``Secret asc-api-key`` at the field that names it."""

    kind: str
    """``ServiceAccount`` or ``Secret``."""
    name: str
    path: str

    def __str__(self) -> str:
        return f"{self.kind} {self.name}"


@dataclass(frozen=True)
class ProtectedStep:
    """A step that uses what a policy protects."""

    path: str
    """``spec.steps[9]`` or ``spec.finally[0]``."""
    step: Step
    uses: tuple[Use, ...]
    in_finally: bool


def uses_of(spec: AppDeploymentSpec, step: Step, where: str) -> Iterator[Use]:
    """Every service account and Secret a step uses, with the field naming it."""
    account = run_account(spec, step, where)
    if account is not None:
        yield Use("ServiceAccount", *account)
    if step.check is not None:
        for name, path in check_secrets(step.check.provider, f"{where}.check.provider"):
            yield Use("Secret", name, path)
    if step.run is None:
        return
    for index, source in enumerate(step.run.env_from):
        if source.secret_ref is not None:
            path = f"{where}.run.envFrom[{index}].secretRef.name"
            yield Use("Secret", source.secret_ref.name, path)
    for index, var in enumerate(step.run.env):
        ref = var.value_from.secret_key_ref if var.value_from is not None else None
        if ref is not None:
            yield Use("Secret", ref.name, f"{where}.run.env[{index}].valueFrom.secretKeyRef.name")


def protected_steps(spec: AppDeploymentSpec, policy: ReleasePolicy) -> list[ProtectedStep]:
    """The steps (main, then finally) that use something ``policy`` protects."""
    protect = policy.spec.protect
    wanted = {
        "ServiceAccount": set(protect.service_account_names),
        "Secret": set(protect.secret_names),
    }
    found: list[ProtectedStep] = []
    for section, steps in (("steps", spec.steps), ("finally", spec.finally_)):
        for index, step in enumerate(steps):
            where = f"spec.{section}[{index}]"
            hits = [use for use in uses_of(spec, step, where) if use.name in wanted[use.kind]]
            unique = tuple(dict.fromkeys(hits))
            if unique:
                found.append(ProtectedStep(where, step, unique, section == "finally"))
    return found


def violations(spec: AppDeploymentSpec, policies: Sequence[ReleasePolicy]) -> list[PolicyViolation]:
    """Every way ``spec`` breaks ``policies`` (those that apply: see ``applicable``)."""
    found: list[PolicyViolation] = []
    for policy in policies:
        found.extend(gate_violations(spec, policy))
        found.extend(_protect_violations(spec, policy))
    return found


def _protect_violations(
    spec: AppDeploymentSpec, policy: ReleasePolicy
) -> Iterator[PolicyViolation]:
    needs = {step.name: step.needs for step in spec.steps}
    gates = {step.name for step in spec.steps if step.type is StepType.GATE}
    enforcement: Enforcement = policy.spec.enforcement
    for protected in protected_steps(spec, policy):
        what = " and ".join(dict.fromkeys(str(use) for use in protected.uses))
        uses = f"{protected.step.name} uses {what}, protected by ReleasePolicy {policy.name}"
        if protected.in_finally:
            message = (
                f"{uses}; a finally step runs whatever the outcome, so no gate can stand "
                "before it: move it into steps, behind the required gates"
            )
            yield PolicyViolation(policy.name, Rule.PROTECT, protected.path, message, enforcement)
            continue
        upstream = ancestors(needs, protected.step.name) & gates
        for required in policy.spec.require_gates:
            if required.name not in upstream:
                message = f"{uses}, and needs gate {required.name} upstream"
                yield PolicyViolation(
                    policy.name, Rule.PROTECT, protected.path, message, enforcement
                )
