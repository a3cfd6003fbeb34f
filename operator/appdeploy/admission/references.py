"""Who may use what: a release author must be allowed what their steps reference.

The operator runs a step as the ServiceAccount it names and hands it the
Secrets its environment reads, with the operator's own rights. Without this
check, anyone who may create a release could obtain through the operator what
they could not get themselves (docs/security.md, "Who may use what"). So at
admission (a create, or an update that changes the spec) each referenced
object is checked by a SubjectAccessReview of the requesting user:

- a Secret (``env[].valueFrom.secretKeyRef``, ``envFrom[].secretRef``):
  ``get`` on ``secrets`` with that name, in the release's namespace;
- a ServiceAccount (``run.serviceAccountName``, ``spec.serviceAccountName``):
  the custom verb ``use`` on ``serviceaccounts`` with that name (RBAC accepts
  any verb; grant it with a Role rule naming it in ``resourceNames``).

The namespace's ``default`` account is never checked, named or not: every
pod of the namespace gets it without naming anything, so naming it grants
nothing more (give it no rights; protect it by policy if it has some).
Nothing is cached across requests: a revoked grant counts at once. A review
that cannot be made refuses (fail closed), saying so.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from appdeploy.api.spec import AppDeploymentSpec
from appdeploy.engine.identities import DEFAULT_ACCOUNT
from appdeploy.engine.policies import Use, uses_of


@dataclass(frozen=True)
class Requester:
    """The authenticated user of an admission request (its ``userInfo``)."""

    username: str
    groups: tuple[str, ...] = ()
    uid: str = ""
    extra: Mapping[str, Sequence[str]] = field(default_factory=dict)

    @classmethod
    def from_userinfo(cls, userinfo: Mapping[str, Any]) -> Requester:
        """From the request's userInfo, as the API server sent it."""
        extra = userinfo.get("extra") or {}
        return cls(
            username=str(userinfo.get("username") or ""),
            groups=tuple(str(group) for group in userinfo.get("groups") or []),
            uid=str(userinfo.get("uid") or ""),
            extra={str(key): [str(v) for v in values or []] for key, values in extra.items()},
        )


@dataclass(frozen=True)
class Access:
    """A SubjectAccessReview's answer."""

    allowed: bool
    reason: str = ""


class AccessUnknown(Exception):
    """The review could not be made (API server unreachable, operator not started)."""


AccessReview = Callable[[Requester, str, str, str, str], Access]
"""(user, namespace, verb, resource, name) -> Access; raises AccessUnknown."""

VERBS = {
    "Secret": ("get", "secrets", "reads"),
    "ServiceAccount": ("use", "serviceaccounts", "runs as"),
}


def checked_uses(spec: AppDeploymentSpec) -> dict[Use, list[str]]:
    """Every Secret and ServiceAccount the steps reference but ``default``, with the steps that
    do at that field (``spec.serviceAccountName`` serves every step that names none)."""
    found: dict[Use, list[str]] = {}
    for section, steps in (("steps", spec.steps), ("finally", spec.finally_)):
        for index, step in enumerate(steps):
            for use in uses_of(spec, step, f"spec.{section}[{index}]"):
                if use.kind == "ServiceAccount" and use.name == DEFAULT_ACCOUNT:
                    continue
                found.setdefault(use, []).append(step.name)
    return found


def reference_refusals(
    spec: AppDeploymentSpec, namespace: str, requester: Requester, review: AccessReview
) -> list[str]:
    """Why ``requester`` may not reference what ``spec`` does (empty: they may)."""
    answers: dict[tuple[str, str], Access | str] = {}  # this request only
    refusals: list[str] = []
    who = requester.username or "the requester"
    for use, steps in checked_uses(spec).items():
        verb, resource, does = VERBS[use.kind]
        key = (use.kind, use.name)
        if key not in answers:
            try:
                answers[key] = review(requester, namespace, verb, resource, use.name)
            except AccessUnknown as unknown:
                answers[key] = str(unknown)
        answer = answers[key]
        what = f"{use.path}: {_names(steps)} {does if len(steps) == 1 else _plural(does)} {use}"
        if isinstance(answer, str):
            refusals.append(
                f"{what}, and whether {who} may {verb} it could not be checked ({answer}); "
                "try again"
            )
        elif not answer.allowed:
            why = answer.reason or (
                f"no Role or ClusterRole bound to {who} grants {verb} on "
                f"{resource} {use.name} in namespace {namespace}"
            )
            refusals.append(f"{what}, but {who} may not {verb} it (RBAC: {why})")
    return refusals


def _names(steps: list[str]) -> str:
    return steps[0] if len(steps) == 1 else ", ".join(steps[:-1]) + " and " + steps[-1]


def _plural(does: str) -> str:
    return {"reads": "read", "runs as": "run as"}[does]
