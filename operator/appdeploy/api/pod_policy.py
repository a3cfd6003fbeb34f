"""What a release may ask of its step pods, and what only the cluster admin may allow.

Whoever can write an AppDeployment gets pods created by the operator's
service account, so a release must not buy its pods more than its author
could get otherwise (docs/security.md, "Step pods"):

- **Tolerate-everything tolerations** (``operator: Exists`` without a key)
  schedule a step onto every tainted node: control-plane nodes, nodes kept
  for other teams, unreachable nodes. Refused unless the admin allows them.
- **Pod labels** select pods for Services, NetworkPolicies and controllers: a
  step labelled ``app: checkout`` receives checkout's traffic and its network
  access. So labels must use the prefix ``USER_LABEL_PREFIX`` unless the
  admin allows any; even then the labels that identify a Job's pods to the
  Job controller and to appdeploy (``RESERVED_LABELS``, ``RESERVED_PREFIXES``)
  are never allowed: they would let a step's pod pose as another attempt's.

The operator, its spec webhook and ``appdeploy validate`` take the same
``StepPodPolicy`` (operator flags, chart values ``stepPods.*``), so a release
is judged alike everywhere; the default is the safe one.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from appdeploy.api.pod import Toleration
from appdeploy.api.problems import Problem
from appdeploy.api.spec import RunSpec

USER_LABEL_PREFIX = "user.appdeploy.dev/"
RESERVED_LABELS = frozenset({"controller-uid", "job-name", "app.kubernetes.io/managed-by"})
RESERVED_PREFIXES = ("appdeploy.dev/", "batch.kubernetes.io/")


@dataclass(frozen=True)
class StepPodPolicy:
    """What the cluster admin allows step pods beyond the safe defaults."""

    allow_tolerate_all_taints: bool = False
    """Accept tolerations with ``operator: Exists`` and no key."""
    allow_any_pod_labels: bool = False
    """Accept pod labels outside ``user.appdeploy.dev/`` (reserved ones stay refused)."""


SAFE_POLICY = StepPodPolicy()
"""The default: nothing beyond the safe defaults."""

ADMIN_ALLOWS_ALL = StepPodPolicy(allow_tolerate_all_taints=True, allow_any_pod_labels=True)
"""For reading releases the operator already accepted (views, not admission)."""


def _tolerates_everything(toleration: Toleration) -> bool:
    return toleration.operator == "Exists" and not toleration.key


def _label_problem(key: str, policy: StepPodPolicy) -> str:
    if key in RESERVED_LABELS or key.startswith(RESERVED_PREFIXES):
        return (
            f'"{key}" is reserved: it identifies a Job\'s pods to the Job controller and '
            f"appdeploy; use a label under {USER_LABEL_PREFIX}"
        )
    if policy.allow_any_pod_labels or key.startswith(USER_LABEL_PREFIX):
        return ""
    return (
        f'"{key}" is outside {USER_LABEL_PREFIX}: other labels could join the pod to '
        f"Services and NetworkPolicies; use {USER_LABEL_PREFIX}{key.rsplit('/', 1)[-1]}, "
        "or ask the cluster admin to allow any (--allow-any-pod-labels)"
    )


def pod_problems(path: str, run: RunSpec, policy: StepPodPolicy) -> Iterator[Problem]:
    """What ``run`` (at ``path``, e.g. ``spec.steps[0].run``) asks that the policy refuses."""
    for index, toleration in enumerate(run.tolerations):
        if _tolerates_everything(toleration) and not policy.allow_tolerate_all_taints:
            yield Problem(
                f"{path}.tolerations[{index}]",
                "operator Exists without a key tolerates every taint (control-plane and "
                "unreachable nodes too); name the taint's key, or ask the cluster admin to "
                "allow it (--allow-tolerate-all-taints)",
            )
    labels = run.pod_metadata.labels if run.pod_metadata else {}
    for key in labels:
        if message := _label_problem(key, policy):
            yield Problem(f"{path}.podMetadata.labels.{key}", message)
