"""``ReleasePolicy``: what every release in scope must go through (docs/policies.md).

A cluster admin states once, for the namespaces a selector picks and the apps
some globs match, which service accounts and Secrets are *protected*, which
gates must stand upstream of every step that uses them, and the floors and
ceilings those gates must meet. These models only check shapes; judging a
release against a policy is ``appdeploy.engine.policies``, the one code path
every enforcement point (``appdeploy validate``, later the webhook and the
operator) calls.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum
from typing import Annotated

from pydantic import Field, StrictBool, StrictInt, field_validator, model_validator

from appdeploy.api.attest import ATTEST_KEY_LENGTH, ATTEST_KEY_PATTERN, MAX_ATTEST
from appdeploy.api.base import ApiModel, DnsLabel, NonEmptyStr, cel_rules
from appdeploy.api.durations import Duration
from appdeploy.api.spec import OnTimeout

POLICY_KIND = "ReleasePolicy"
POLICY_PLURAL = "releasepolicies"

# Shared by the models and the CRD's CEL rules, so the API server says what validate says.
SELECTOR_VALUES = "In and NotIn need at least one value; Exists and DoesNotExist take none"
NOT_ITSELF = "distinctFrom may not name the gate itself"
SOME_TIMEOUT = "maxTimeout must be longer than 0s"


class SelectorOperator(StrEnum):
    """How a ``matchExpressions`` requirement compares a namespace label."""

    IN = "In"
    NOT_IN = "NotIn"
    EXISTS = "Exists"
    DOES_NOT_EXIST = "DoesNotExist"


class SelectorRequirement(ApiModel):
    """One requirement on a namespace label, as in a Kubernetes LabelSelector."""

    model_config = cel_rules(
        (
            "self.operator in ['In', 'NotIn'] ? (has(self.values) && size(self.values) > 0)"
            " : (!has(self.values) || size(self.values) == 0)",
            SELECTOR_VALUES,
            "",
        )
    )

    key: NonEmptyStr
    """The label key, e.g. ``appdeploy.dev/tier``."""
    operator: SelectorOperator
    """In, NotIn, Exists or DoesNotExist."""
    values: list[str] = Field(default_factory=list)
    """The values In and NotIn compare with; empty for Exists and DoesNotExist."""

    @model_validator(mode="after")
    def _values_fit_operator(self) -> SelectorRequirement:
        wants_values = self.operator in (SelectorOperator.IN, SelectorOperator.NOT_IN)
        if wants_values != bool(self.values):
            raise ValueError(SELECTOR_VALUES)
        return self

    def matches(self, labels: Mapping[str, str]) -> bool:
        """Kubernetes semantics: NotIn and DoesNotExist match a namespace without the key."""
        present = self.key in labels
        if self.operator is SelectorOperator.IN:
            return present and labels[self.key] in self.values
        if self.operator is SelectorOperator.NOT_IN:
            return not present or labels[self.key] not in self.values
        if self.operator is SelectorOperator.EXISTS:
            return present
        return not present


class NamespaceSelector(ApiModel):
    """Which namespaces the policy covers; empty selects every namespace (as in Kubernetes)."""

    match_labels: dict[str, str] = Field(default_factory=dict)
    """Labels the namespace must carry with exactly these values."""
    match_expressions: list[SelectorRequirement] = Field(default_factory=list)
    """Further requirements, all of which must hold."""

    def matches(self, labels: Mapping[str, str]) -> bool:
        """True when every label and every expression holds for these namespace labels."""
        if any(labels.get(key) != value for key, value in self.match_labels.items()):
            return False
        return all(requirement.matches(labels) for requirement in self.match_expressions)


class Protect(ApiModel):
    """What a step may use only behind the required gates (matched by name in the namespace)."""

    service_account_names: list[NonEmptyStr] = Field(default_factory=list)
    """Service accounts; a run step uses its own or the spec's default ``serviceAccountName``."""
    secret_names: list[NonEmptyStr] = Field(default_factory=list)
    """Secrets, used through ``envFrom.secretRef`` or ``env[].valueFrom.secretKeyRef``."""


class RequiredGate(ApiModel):
    """A gate every release in scope must have upstream of each protected step."""

    model_config = cel_rules(
        ("!has(self.distinctFrom) || !(self.name in self.distinctFrom)", NOT_ITSELF, ""),
        # Any non-zero digit in a duration that matches the pattern makes it longer than 0s.
        ("!has(self.maxTimeout) || self.maxTimeout.matches('[1-9]')", SOME_TIMEOUT, ".maxTimeout"),
    )

    name: DnsLabel
    """The gate step's name in the release, e.g. ``compliance``."""
    approver_groups: list[NonEmptyStr] = Field(default_factory=list)
    """When set, the gate's groups (and those escalation adds) must be some of these."""
    min_required: Annotated[StrictInt, Field(ge=1, le=1000)] = 1
    """The gate's ``required`` must be at least this."""
    distinct_from: Annotated[list[DnsLabel], Field(max_length=20)] = Field(default_factory=list)
    """Gates the release's ``distinctFrom`` must name (it may name more)."""
    max_timeout: Duration | None = None
    """The longest the gate may wait, counting escalation's ``extendDeadline``."""
    on_timeout: OnTimeout | None = None
    """When set, the gate's ``onTimeout`` must be exactly this."""
    attest: Annotated[
        list[Annotated[str, Field(pattern=ATTEST_KEY_PATTERN, max_length=ATTEST_KEY_LENGTH)]],
        Field(max_length=MAX_ATTEST),
    ] = Field(default_factory=list)
    """Names the gate's ``attest`` must declare, e.g. ``buildDigest``: its approvers
    then state (and sign) what they approved."""

    @model_validator(mode="after")
    def _not_itself(self) -> RequiredGate:
        if self.name in self.distinct_from:
            raise ValueError(NOT_ITSELF)
        return self

    @field_validator("max_timeout")
    @classmethod
    def _some_timeout(cls, value: timedelta | None) -> timedelta | None:
        if value is not None and value <= timedelta(0):
            raise ValueError(SOME_TIMEOUT)
        return value


class Forbid(ApiModel):
    """Approver shapes the required gates may not have."""

    named_approvers: StrictBool = False
    """No ``approvers.users`` (nor users an escalation level adds): only groups decide."""
    service_account_approvers: StrictBool = False
    """No ``system:serviceaccount:`` user among the approvers (nor added by escalation)."""
    on_timeout_approve: StrictBool = False
    """No ``onTimeout: Approve``: a required gate nobody decided fails."""


class Enforcement(StrEnum):
    """What an enforcement point does with a violation of this policy."""

    DENY = "Deny"
    """Refuse: the webhook refuses the write, the operator does not start the run (or holds
    protected steps), ``appdeploy validate`` fails."""
    WARN = "Warn"
    """Let it through with a warning the author sees and a Warning Event; record it."""
    AUDIT = "Audit"
    """Let it through; record the violation in ``status.policies`` for auditors."""


class BreakGlass(ApiModel):
    """Who may override the policy in an emergency: a signed ``appdeploy.dev/break-glass``
    for one exact spec (docs/policies.md, "Break-glass")."""

    groups: Annotated[list[NonEmptyStr], Field(min_length=1)]
    """Groups whose members may sign an override."""


class ReleasePolicySpec(ApiModel):
    """Gates, approvers and limits every release in scope must meet."""

    namespace_selector: NamespaceSelector = Field(default_factory=NamespaceSelector)
    """Namespaces covered; empty covers every namespace."""
    apps: Annotated[list[NonEmptyStr], Field(min_length=1)] = Field(default_factory=lambda: ["*"])
    """Globs matched against ``spec.app`` (``*``, ``shop-*``, ``[ab]*``)."""
    protect: Protect = Field(default_factory=Protect)
    """Service accounts and Secrets only steps behind the required gates may use."""
    require_gates: Annotated[list[RequiredGate], Field(min_length=1, max_length=20)]
    """Gates every release in scope must have, upstream of every protected step."""
    forbid: Forbid = Field(default_factory=Forbid)
    """Approver shapes the required gates may not have."""
    enforcement: Enforcement = Enforcement.DENY
    """Deny (default), Warn or Audit."""
    break_glass: BreakGlass | None = None
    """Who may override its Deny violations in an emergency, for one spec (signed, recorded)."""

    @field_validator("require_gates")
    @classmethod
    def _unique_gates(cls, gates: list[RequiredGate]) -> list[RequiredGate]:
        names = [gate.name for gate in gates]
        repeated = sorted({name for name in names if names.count(name) > 1})
        if repeated:
            raise ValueError(f"names {', '.join(repeated)} more than once; each gate once")
        return gates


@dataclass(frozen=True)
class ReleasePolicy:
    """A policy as the evaluation sees it: its name (for messages) and its spec."""

    name: str
    spec: ReleasePolicySpec
    generation: int = 0
    """Its metadata.generation when read from a cluster (0 from a file): recorded with the
    result of each run, so an auditor sees which version of the policy judged it."""
