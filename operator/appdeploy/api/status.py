"""The ``status`` of an AppDeployment (DESIGN.md §3), written only by the operator.

Status is the durable record of what was decided (approvals, retry times, gate
deadlines, outputs) and a cache of what was observed (Jobs). The run's phase
is derived from the step phases by the engine, never stored as the source of
truth.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

from pydantic import Field

from appdeploy.api.base import StatusModel
from appdeploy.api.notifications import NOTIFICATIONS_LIMIT, Notification
from appdeploy.api.notify import AddApprovers
from appdeploy.api.spec import StepType
from appdeploy.api.timestamps import Timestamp


class Phase(StrEnum):
    """Phase of the release's current run."""

    PENDING = "Pending"
    RUNNING = "Running"
    AWAITING_APPROVAL = "AwaitingApproval"
    SUCCEEDED = "Succeeded"
    FAILED = "Failed"
    CANCELLED = "Cancelled"
    INVALID = "Invalid"

    @property
    def is_terminal(self) -> bool:
        """True when the run will not move again without a new spec or a human action."""
        return self in TERMINAL_PHASES


TERMINAL_PHASES = frozenset({Phase.SUCCEEDED, Phase.FAILED, Phase.CANCELLED, Phase.INVALID})


class StepPhase(StrEnum):
    """Phase of one step in the current run."""

    PENDING = "Pending"
    RUNNING = "Running"
    RETRYING = "Retrying"
    WAITING = "Waiting"
    SUCCEEDED = "Succeeded"
    FAILED = "Failed"
    SKIPPED = "Skipped"
    CANCELLED = "Cancelled"

    @property
    def is_done(self) -> bool:
        """True when the step will not change again in this run (barring a retry)."""
        return self in DONE_STEP_PHASES

    @property
    def is_active(self) -> bool:
        """True while the step is started and not yet done."""
        return self in (StepPhase.RUNNING, StepPhase.RETRYING, StepPhase.WAITING)


DONE_STEP_PHASES = frozenset(
    {StepPhase.SUCCEEDED, StepPhase.FAILED, StepPhase.SKIPPED, StepPhase.CANCELLED}
)


class Approval(StatusModel):
    """One person's approval of a gate."""

    user: str
    """Username as authenticated by the API server."""
    groups: list[str] = Field(default_factory=list)
    """The person's groups at the time of approval."""
    comment: str = ""
    """What the person wrote."""
    at: Timestamp
    """When the approval was made."""
    verified: bool = False
    """True when the signature verified at the operator's last pass (recomputed every pass)."""
    run: int | None = None
    """The run the webhook signed the decision for."""
    signature: str = ""
    """The webhook's HMAC over the decision, kept so every pass can verify it again."""
    attest: dict[str, str] = Field(default_factory=dict)
    """What the person attested to (the gate's ``attest`` values they saw), signed with it."""


class Rejection(StatusModel):
    """The decision that failed a gate."""

    user: str
    """Who rejected."""
    groups: list[str] = Field(default_factory=list)
    """Their groups at the time."""
    reason: str = ""
    """Why."""
    at: Timestamp
    """When."""
    verified: bool = False
    """True when the identity was signed by the admission webhook."""
    run: int | None = None
    """The run the webhook signed the decision for."""
    signature: str = ""
    """The webhook's HMAC over the decision."""


class ActionKind(StrEnum):
    """What a person asked for: the four human actions."""

    APPROVE = "approve"
    REJECT = "reject"
    RETRY = "retry"
    CANCEL = "cancel"


class DecisionRecord(StatusModel):
    """One accepted human action, in the release's audit trail."""

    kind: ActionKind
    """approve, reject, retry or cancel."""
    target: str = ""
    """The gate decided, or the step retried (``failed``: every failed step); empty for cancel."""
    user: str
    """Who, as the API server authenticated them (``unknown`` if the webhook did not sign it)."""
    groups: list[str] = Field(default_factory=list)
    """Their groups at the time."""
    comment: str = ""
    """What they wrote: the approval's comment, the rejection's or the cancel's reason."""
    at: Timestamp
    """When they asked (as signed), or when the operator saw it."""
    run: int
    """The run it applied to."""
    verified: bool = False
    """True when the admission webhook's signature verified."""
    attest: dict[str, str] = Field(default_factory=dict)
    """The values the person attested to (a gate's ``attest``), as signed."""


class MeasurementPhase(StrEnum):
    """What one measurement of a check says (docs/rollouts.md, "The check step")."""

    SUCCESSFUL = "Successful"
    FAILED = "Failed"
    INCONCLUSIVE = "Inconclusive"
    ERROR = "Error"


class Measurement(StatusModel):
    """One judged measurement of a check step."""

    number: int
    """Which measurement of the step (1, 2, ... up to ``count``)."""
    at: Timestamp
    """When the operator judged it."""
    phase: MeasurementPhase
    """Successful, Failed, Inconclusive or Error."""
    value: float | None = None
    """The measured value, when the provider reported one."""
    sample: int | None = None
    """The sample size the provider reported (compared with ``minSample``)."""
    resolved_query: str = ""
    """The query as the provider ran it, substitutions resolved."""
    message: str = ""
    """Why it was judged so, e.g. ``0.9973 meets successCondition (min 0.995)``."""


class CheckCounters(StatusModel):
    """How a check's measurements were judged so far in this run."""

    successful: int = 0
    """Measurements in the success range."""
    failed: int = 0
    """Measurements in the failure range."""
    inconclusive: int = 0
    """Measurements with no value, too small a sample, or a value between the ranges."""
    error: int = 0
    """Measurements whose provider failed (never a success)."""
    consecutive_error: int = 0
    """Errors since the last measurement that was not one."""

    @property
    def judged(self) -> int:
        """Measurements judged so far."""
        return self.successful + self.failed + self.inconclusive + self.error


MEASUREMENTS_LIMIT = 10


class StepStatus(StatusModel):
    """State of one step (main or finally) in the current run."""

    name: str
    """Step name."""
    type: StepType
    """run, gate or wait."""
    phase: StepPhase
    """Where the step is."""
    attempts: int = 0
    """Jobs started for this step in this run (run steps; check: measurements started)."""
    attempts_before_retry: int = 0
    """Attempts made before the last manual retry; automatic retries count from here."""
    job: str | None = None
    """Name of the Job of the latest attempt."""
    job_uid: str | None = Field(default=None, alias="jobUID")
    """metadata.uid of that Job as created; another Job by that name is not this step's."""
    started_at: Timestamp | None = None
    """When the step started."""
    finished_at: Timestamp | None = None
    """When the step finished."""
    deadline: Timestamp | None = None
    """Gate: decision deadline. Wait: when the wait ends."""
    next_attempt_at: Timestamp | None = None
    """While Retrying: when the next attempt starts."""
    job_refused: str = ""
    """Why the API server refused to create the next attempt's Job; the step stays
    Retrying (no attempt is counted) and tries again at ``nextAttemptAt``."""
    message: str = ""
    """Human-readable detail, e.g. ``exit code 1: signing identity not found``."""
    outputs: dict[str, str] = Field(default_factory=dict)
    """Outputs the step's container wrote to its termination message."""
    approvals: list[Approval] = Field(default_factory=list)
    """Gate: approvals received in this run."""
    rejection: Rejection | None = None
    """Gate: the rejection that failed it."""
    opened: int = 0
    """Gate: times it opened in this run (a retried gate opens again)."""
    reminded: int = 0
    """Gate: the last ``remind.every`` reminder sent since it opened (1, 2, ...)."""
    reminded_before: Timestamp | None = None
    """Gate: the deadline the ``remind.beforeDeadline`` reminder was sent for."""
    escalated: int = 0
    """Gate: escalation levels fired since it opened."""
    added_approvers: AddApprovers | None = None
    """Gate: who escalation allowed to decide besides ``approvers`` (this opening only)."""
    attest: dict[str, str] = Field(default_factory=dict)
    """Gate: its ``attest`` values as resolved when it opened, which an approval must state."""
    measurements: Annotated[list[Measurement], Field(max_length=MEASUREMENTS_LIMIT)] = Field(
        default_factory=list
    )
    """Check: the latest measurements, oldest first (the last 10)."""
    counters: CheckCounters | None = None
    """Check: how its measurements were judged so far."""


class ConditionStatus(StrEnum):
    """metav1.Condition status values."""

    TRUE = "True"
    FALSE = "False"
    UNKNOWN = "Unknown"


# metav1.Condition's own validation (as controller-gen writes it into CRDs), so
# the API server refuses what `kubectl wait` and kstatus could not read.
CONDITION_TYPE_PATTERN = (
    r"^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?"
    r"(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])$"
)
CONDITION_REASON_PATTERN = r"^[A-Za-z]([A-Za-z0-9_,:]*[A-Za-z0-9_])?$"


class Condition(StatusModel):
    """A metav1.Condition (kstatus-compatible); docs/operator.md lists them all."""

    type: Annotated[str, Field(pattern=CONDITION_TYPE_PATTERN, max_length=316)]
    """Ready, Reconciling, Stalled, AwaitingApproval or gates.appdeploy.dev/<gate>."""
    status: ConditionStatus
    """True, False or Unknown (a gate not decided yet)."""
    reason: Annotated[str, Field(pattern=CONDITION_REASON_PATTERN, min_length=1, max_length=1024)]
    """CamelCase reason, e.g. AwaitingApproval, Approved, Rejected."""
    message: str
    """Human-readable detail; may be empty."""
    observed_generation: int | None = None
    """The generation this condition was computed for."""
    last_transition_time: Timestamp
    """When ``status`` last changed."""


DECISIONS_LIMIT = 50
POLICY_VIOLATIONS_LIMIT = 20
POLICIES_LIMIT = 20


class PolicyOutcome(StrEnum):
    """What a ReleasePolicy concluded about one run (docs/policies.md)."""

    PASSED = "Passed"
    """The run's spec meets every rule of the policy."""
    VIOLATED = "Violated"
    """It breaks a rule: Deny holds or refuses it, Warn and Audit only record it."""
    OVERRIDDEN = "Overridden"
    """It breaks a rule, and a verified break-glass override let it run."""


class BreakGlassRecord(StatusModel):
    """A signed break-glass override, as the operator verified it."""

    user: str
    """Who broke the glass (from the API server's authentication, signed by the webhook)."""
    groups: list[str] = Field(default_factory=list)
    """Their groups at the time."""
    reason: str = ""
    """Why, as they wrote it."""
    at: Timestamp | None = None
    """When the webhook signed it."""
    verified: bool = False
    """The webhook's signature checked out."""


class PolicyResult(StatusModel):
    """One ReleasePolicy's judgement of one run."""

    policy: str
    """The ReleasePolicy's name."""
    generation: int = 0
    """Its metadata.generation when it judged the run."""
    enforcement: str
    """Deny, Warn or Audit."""
    outcome: PolicyOutcome
    """Passed, Violated or Overridden."""
    violations: Annotated[list[str], Field(max_length=POLICY_VIOLATIONS_LIMIT)] = Field(
        default_factory=list
    )
    """Each broken rule, ``field: message`` (the first 20)."""
    break_glass: BreakGlassRecord | None = None
    """The override that let the run go on despite the violations."""


class HistoryEntry(StatusModel):
    """A finished or superseded earlier run."""

    run: int
    """The generation that run executed."""
    version: str
    """The app version it released."""
    phase: str
    """Succeeded, Failed, Cancelled, Invalid or Superseded."""
    started_at: Timestamp | None = None
    """When it started."""
    finished_at: Timestamp | None = None
    """When it ended."""
    decisions: Annotated[list[DecisionRecord], Field(max_length=DECISIONS_LIMIT)] = Field(
        default_factory=list
    )
    """The human actions accepted in that run, oldest first (the latest ones if more)."""
    author: str = ""
    """Who wrote that run's spec (the webhook's signed attribution), or why it is unknown."""
    spec_hash: str = ""
    """sha256 of that run's spec, as attributed."""
    policies: Annotated[list[PolicyResult], Field(max_length=POLICIES_LIMIT)] = Field(
        default_factory=list
    )
    """What each ReleasePolicy in force concluded about that run."""


HISTORY_LIMIT = 10


class AppDeploymentStatus(StatusModel):
    """What the operator observed and decided for the release."""

    observed_generation: int | None = None
    """The latest generation the operator processed."""
    run: int | None = None
    """The generation the current run executes."""
    version: str | None = None
    """The app version the current run releases."""
    phase: Phase = Phase.PENDING
    """Phase of the current run, derived from its steps."""
    message: str = ""
    """One line saying what the release waits on."""
    started_at: Timestamp | None = None
    """When the current run started."""
    finished_at: Timestamp | None = None
    """When the current run ended."""
    steps: list[StepStatus] = Field(default_factory=list)
    """Steps of the current run, main steps then finally steps."""
    waiting_on: str = ""
    """The gates waiting for people now, comma-separated (the WAITING ON column)."""
    conditions: list[Condition] = Field(default_factory=list)
    """Ready, Reconciling, Stalled, AwaitingApproval and one gates.appdeploy.dev/<gate> per gate."""
    decisions: Annotated[list[DecisionRecord], Field(max_length=DECISIONS_LIMIT)] = Field(
        default_factory=list
    )
    """Every human action accepted in this run, oldest first, across retries (append-only;
    the latest 50 are kept). They move to ``history`` with the run."""
    history: Annotated[list[HistoryEntry], Field(max_length=HISTORY_LIMIT)] = Field(
        default_factory=list
    )
    """The last runs before this one, newest first."""
    author: str = ""
    """Who wrote the current run's spec (the webhook's signed attribution), or why it is
    unknown."""
    spec_hash: str = ""
    """sha256 of the current run's spec, as attributed."""
    policies: Annotated[list[PolicyResult], Field(max_length=POLICIES_LIMIT)] = Field(
        default_factory=list
    )
    """What each ReleasePolicy in force concluded about the current run (empty: none
    applies, or the operator does not enforce policies)."""
    notifications: Annotated[list[Notification], Field(max_length=NOTIFICATIONS_LIMIT)] = Field(
        default_factory=list
    )
    """The outbox and its audit: who was told what, when, how (oldest first; delivered
    records are dropped beyond the limit)."""

    def to_wire(self) -> dict[str, object]:
        """The status subresource's content; the phase is always shown."""
        wire = super().to_wire()
        wire["phase"] = str(self.phase)
        return wire

    def step(self, name: str) -> StepStatus:
        """The status of the named step; KeyError if the run has no such step."""
        for step in self.steps:
            if step.name == name:
                return step
        raise KeyError(name)
