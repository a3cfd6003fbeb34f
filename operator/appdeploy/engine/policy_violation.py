"""What a release does wrong under a ReleasePolicy, in a form every caller can act on.

Kept apart from the rules so the webhook, the operator and the CLI can name
the type without importing how violations are found.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from appdeploy.api.policy import Enforcement


class Rule(StrEnum):
    """The policy field whose rule a release breaks."""

    PROTECT = "protect"
    """A protected step lacks a required gate upstream, or is a finally step."""
    REQUIRE_GATES = "requireGates"
    """A required gate is missing, or is not a gate step."""
    APPROVER_GROUPS = "requireGates.approverGroups"
    MIN_REQUIRED = "requireGates.minRequired"
    DISTINCT_FROM = "requireGates.distinctFrom"
    MAX_TIMEOUT = "requireGates.maxTimeout"
    ON_TIMEOUT = "requireGates.onTimeout"
    ATTEST = "requireGates.attest"
    """The gate does not ask its approvers to attest a value the policy names."""
    NAMED_APPROVERS = "forbid.namedApprovers"
    SERVICE_ACCOUNT_APPROVERS = "forbid.serviceAccountApprovers"
    ON_TIMEOUT_APPROVE = "forbid.onTimeoutApprove"


@dataclass(frozen=True)
class PolicyViolation:
    """One broken rule: which policy, which rule, the release field at fault, and what to do."""

    policy: str
    rule: Rule
    path: str
    """The release field, e.g. ``spec.steps[3].gate.required``."""
    message: str
    """What is wrong, naming the policy; without the path."""
    enforcement: Enforcement
    """The policy's: the caller refuses (Deny), warns (Warn) or records (Audit)."""

    def __str__(self) -> str:
        return f"{self.path}: {self.message}"
