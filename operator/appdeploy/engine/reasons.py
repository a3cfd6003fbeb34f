"""Event and condition reasons, as a closed set so dashboards can match on them."""

from __future__ import annotations

from enum import StrEnum


class Reason(StrEnum):
    """The ``reason`` of Events the planner posts."""

    RUN_STARTED = "RunStarted"
    RUN_SUPERSEDED = "RunSuperseded"
    RUN_SUCCEEDED = "RunSucceeded"
    RUN_FAILED = "RunFailed"
    RUN_CANCELLED = "RunCancelled"
    INVALID_SPEC = "InvalidSpec"
    POLICY_VIOLATION = "PolicyViolation"
    POLICY_BLOCKED = "PolicyBlocked"
    BREAK_GLASS = "BreakGlass"
    BREAK_GLASS_REFUSED = "BreakGlassRefused"
    UNREADABLE_STATUS = "UnreadableStatus"
    DECISIONS_UNVERIFIED = "DecisionsUnverified"
    STEP_STARTED = "StepStarted"
    STEP_SUCCEEDED = "StepSucceeded"
    STEP_FAILED = "StepFailed"
    STEP_RETRYING = "StepRetrying"
    STEP_SKIPPED = "StepSkipped"
    STEP_CANCELLED = "StepCancelled"
    JOB_REFUSED = "JobRefused"
    GATE_WAITING = "GateWaiting"
    APPROVAL_ACCEPTED = "ApprovalAccepted"
    APPROVAL_REFUSED = "ApprovalRefused"
    REJECTION_ACCEPTED = "RejectionAccepted"
    REJECTION_REFUSED = "RejectionRefused"
    RETRY_ACCEPTED = "RetryAccepted"
    RETRY_REFUSED = "RetryRefused"
    CANCEL_ACCEPTED = "CancelAccepted"
    CANCEL_REFUSED = "CancelRefused"
    GATE_ESCALATED = "GateEscalated"
    DEADLINE_EXTENDED = "DeadlineExtended"
    NOTIFICATIONS_DROPPED = "NotificationsDropped"
