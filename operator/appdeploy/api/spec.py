"""The ``spec`` of an AppDeployment (DESIGN.md §2): the release as a DAG of steps.

These models are the single source of truth for the API: the CRD in ``crds/``
is generated from them and the admission webhook validates with them. They
check shapes only; cross-step rules (needs, cycles, substitutions) live in
``appdeploy.api.validation`` so each error can name its exact field path.
"""

from __future__ import annotations

from datetime import timedelta
from enum import StrEnum
from typing import Annotated

from pydantic import AfterValidator, Field, StrictBool, StrictInt

from appdeploy.api.approvers import Approvers
from appdeploy.api.attest import AttestValues
from appdeploy.api.base import (
    ApiModel,
    DnsLabel,
    NonEmptyStr,
    cel_rules,
    exactly_one_of,
    fits_int64,
)
from appdeploy.api.checks import CheckSpec
from appdeploy.api.durations import Duration
from appdeploy.api.notify import GateNotify, ReleaseNotify
from appdeploy.api.pod import EnvFromSource, EnvVar, PodMetadata, Resources, Toleration
from appdeploy.api.template_ref import TemplateRef

# Messages shared by the models' validation (appdeploy.api.validation) and the
# CRD's CEL rules, so the API server and `appdeploy validate` say the same thing.
ONE_KIND = "set exactly one of run, gate, wait, check"
ONLY_RUN_RETRIES = "only run steps retry"
WAIT_HAS_NO_TIMEOUT = "a wait step has no timeout; set wait.duration"
NO_GATE_IN_FINALLY = "finally steps cannot be gates: they run after the outcome is decided"
NO_CHECK_IN_FINALLY = "finally steps cannot be checks: they run after the outcome is decided"
STEPS_OR_TEMPLATE = "set steps, or templateRef to take them from a template"
TEMPLATE_OWNS = (
    "with templateRef the template gives steps, finally, serviceAccountName and defaults; "
    "set only app, version, params and notify"
)


# The API server refuses a CEL rule whose worst-case cost is unbounded; bounding
# the step lists bounds it. A release of more than 100 steps is several releases.
MAX_STEPS = 100


class StepType(StrEnum):
    """What a step does: run a Job, wait for people, wait for time, or measure health."""

    RUN = "run"
    GATE = "gate"
    WAIT = "wait"
    CHECK = "check"


class OnTimeout(StrEnum):
    """What a gate does when nobody decided before its deadline."""

    FAIL = "Fail"
    APPROVE = "Approve"


class RetryPolicy(ApiModel):
    """Automatic retries of a failed run step; the wait doubles after each attempt."""

    limit: Annotated[StrictInt, Field(ge=0, le=100)] = 0
    """Retries after the first attempt; 0 means the first failure fails the step."""
    backoff: Duration = timedelta(seconds=30)
    """Wait before the first retry; doubled before each further retry."""
    max_backoff: Duration = timedelta(minutes=10)
    """Upper bound of the doubled wait."""


class Defaults(ApiModel):
    """Values for steps that do not set their own."""

    timeout: Duration = timedelta(hours=1)
    """Deadline of each run step attempt."""
    gate_timeout: Duration = timedelta(hours=72)
    """How long a gate waits for a decision."""
    retries: RetryPolicy = Field(default_factory=RetryPolicy)
    """Retry policy of run steps."""


class RunSpec(ApiModel):
    """A container run to completion as a Kubernetes Job."""

    image: NonEmptyStr
    """Container image."""
    command: list[str] = Field(default_factory=list)
    """Entrypoint; the image's own when empty. Substitutions are resolved."""
    args: list[str] = Field(default_factory=list)
    """Arguments. Substitutions are resolved."""
    env: list[EnvVar] = Field(default_factory=list)
    """Environment variables; ``value`` may use substitutions."""
    env_from: list[EnvFromSource] = Field(default_factory=list)
    """Secrets and ConfigMaps exposed as environment variables."""
    resources: Resources | None = None
    """CPU and memory requests and limits."""
    service_account_name: str | None = None
    """Overrides ``spec.serviceAccountName`` for this step."""
    node_selector: dict[str, str] = Field(default_factory=dict)
    """Node labels the step's pod must run on."""
    tolerations: list[Toleration] = Field(default_factory=list)
    """Taints the step's pod tolerates."""
    pod_metadata: PodMetadata | None = None
    """Labels (under ``user.appdeploy.dev/`` unless the admin allows any) and annotations
    copied onto the step's pod."""
    automount_service_account_token: StrictBool | None = None
    """Mount the service account's API token into the step's pod; off unless true."""


class GateSpec(ApiModel):
    """A manual decision: the step passes once enough allowed people approve."""

    approvers: Approvers
    """Who may approve or reject."""
    description: str = ""
    """What the approvers check; substitutions are resolved when the gate opens."""
    required: Annotated[StrictInt, Field(ge=1), AfterValidator(fits_int64)] = 1
    """Approvals from distinct allowed people needed to pass."""
    distinct_from: list[DnsLabel] = Field(default_factory=list)
    """Gates whose deciders may not decide this one (four-eyes rule)."""
    on_timeout: OnTimeout = OnTimeout.FAIL
    """At the deadline without a decision: Fail the gate, or Approve it."""
    notify: GateNotify | None = None
    """Who is told when the gate opens, reminded while it waits, escalated to, told the outcome."""
    attest: AttestValues = Field(default_factory=dict)
    """What each approver attests to, by name, e.g. ``buildDigest: $(steps.build.outputs.sha)``:
    resolved when the gate opens, shown to approvers, and an approval must state the same
    values (signed with it) or it is refused."""


class WaitSpec(ApiModel):
    """A soak period: the step succeeds ``duration`` after it started."""

    duration: Duration
    """How long to wait, e.g. ``24h``."""


class Step(ApiModel):
    """One node of the release DAG: exactly one of ``run``, ``gate``, ``wait`` or ``check``."""

    model_config = cel_rules(
        (
            exactly_one_of(StepType),
            ONE_KIND,
            "",
        ),
        ("!has(self.retries) || has(self.run)", ONLY_RUN_RETRIES, ".retries"),
        ("!has(self.timeout) || !has(self.wait)", WAIT_HAS_NO_TIMEOUT, ".timeout"),
    )

    name: DnsLabel
    """Unique among ``steps`` and ``finally``; used in Job names and annotations."""
    needs: list[DnsLabel] = Field(default_factory=list)
    """Steps that must succeed before this one starts; empty starts at once."""
    timeout: Duration | None = None
    """Run step: deadline of each attempt. Gate: deadline of the decision. Check: deadline of
    each measurement Job."""
    retries: RetryPolicy | None = None
    """Run step retries; defaults to ``spec.defaults.retries``."""
    run: RunSpec | None = None
    """Run a container as a Job."""
    gate: GateSpec | None = None
    """Wait for people to approve."""
    wait: WaitSpec | None = None
    """Wait for a fixed time."""
    check: CheckSpec | None = None
    """Measure the release's health and judge it (docs/rollouts.md)."""

    @property
    def type(self) -> StepType:
        """The step's kind; validation guarantees exactly one is set."""
        if self.run is not None:
            return StepType.RUN
        if self.gate is not None:
            return StepType.GATE
        if self.check is not None:
            return StepType.CHECK
        return StepType.WAIT

    def decision_gate(self) -> GateSpec | None:
        """The gate people decide on this step: its own, or a check's ``onInconclusive.gate``.

        The check's is read as a gate of one required approval, so approving and
        rejecting an inconclusive check is exactly approving and rejecting a gate.
        """
        if self.gate is not None:
            return self.gate
        if self.check is None or self.check.on_inconclusive is None:
            return None
        asked = self.check.on_inconclusive.gate
        return GateSpec(
            approvers=asked.approvers,
            description=f"decide the inconclusive check {self.name}",
            on_timeout=OnTimeout(str(asked.on_timeout)),
        )


class AppDeploymentSpec(ApiModel):
    """A release of one app version: a DAG of steps and the steps that always run after."""

    model_config = cel_rules(
        ("!has(self.finally) || self.finally.all(s, !has(s.gate))", NO_GATE_IN_FINALLY, ""),
        ("!has(self.finally) || self.finally.all(s, !has(s.check))", NO_CHECK_IN_FINALLY, ""),
        (
            "has(self.templateRef) || (has(self.steps) && size(self.steps) > 0)",
            STEPS_OR_TEMPLATE,
            "",
        ),
        (
            "!has(self.templateRef) || !(has(self.steps) || has(self.finally)"
            " || has(self.serviceAccountName) || has(self.defaults))",
            TEMPLATE_OWNS,
            "",
        ),
    )

    app: DnsLabel
    """The app being released, e.g. ``shop``."""
    version: NonEmptyStr
    """The version being released, e.g. ``4.12.0``."""
    params: dict[str, str] = Field(default_factory=dict)
    """Values for ``$(params.NAME)`` substitutions."""
    service_account_name: str | None = None
    """Service account of run steps that do not set their own."""
    defaults: Defaults = Field(default_factory=Defaults)
    """Timeouts and retries for steps that do not set them."""
    steps: Annotated[list[Step], Field(max_length=MAX_STEPS)] = Field(default_factory=list)
    """The release DAG; at least one step unless ``templateRef`` gives them."""
    finally_: list[Step] = Field(default_factory=list, alias="finally", max_length=MAX_STEPS)
    """Steps run after the DAG ends, whatever the outcome; ``$(run.phase)`` tells it."""
    notify: ReleaseNotify | None = None
    """Channels told about the release's events (docs/notifications.md)."""
    template_ref: TemplateRef | None = None
    """Take steps, finally, serviceAccountName and defaults from this template, which
    declares the params this release may set (docs/templates.md)."""

    def all_steps(self) -> list[Step]:
        """Main steps then finally steps, in declaration order."""
        return [*self.steps, *self.finally_]

    def step(self, name: str) -> Step:
        """The step (main or finally) with this name; KeyError if there is none."""
        for step in self.all_steps():
            if step.name == name:
                return step
        raise KeyError(name)
