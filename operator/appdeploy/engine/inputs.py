"""What the planner is given: the release, what the operator observed, and settings.

The operator fills these from the API server. The planner trusts them as the
truth about the cluster: in particular, a Job that a Running step refers to and
that is absent from ``Observed.jobs`` is taken to have been deleted, so the
operator must confirm absence (not merely a cold cache) before planning.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from appdeploy.api.notify import REMIND_FLOOR
from appdeploy.api.pod_policy import SAFE_POLICY, StepPodPolicy
from appdeploy.api.policy import ReleasePolicy


@dataclass(frozen=True)
class Release:
    """The AppDeployment as stored: its identity, raw spec and raw status."""

    name: str
    namespace: str
    generation: int
    spec: Mapping[str, Any]
    status: Mapping[str, Any] | None = None
    uid: str = ""
    """The object's uid: signed decisions are bound to it."""


class JobState(StrEnum):
    """Where an observed Job is."""

    ACTIVE = "Active"
    SUCCEEDED = "Succeeded"
    FAILED = "Failed"


@dataclass(frozen=True)
class ObservedJob:
    """One Job of this release, identified by its labels, with what its pod reported."""

    name: str
    step: str
    run: int
    attempt: int
    state: JobState
    uid: str = ""
    """The Job's metadata.uid: status records the one the operator created."""
    created_at: datetime | None = None
    finished_at: datetime | None = None
    reason: str = ""
    """Why it failed, e.g. ``DeadlineExceeded`` or the container's ``Error``."""
    exit_code: int | None = None
    termination_message: str = ""
    """The container's termination message: outputs on success, the error on failure."""


class DecisionKind(StrEnum):
    """An approval or a rejection of a gate."""

    APPROVE = "approve"
    REJECT = "reject"


@dataclass(frozen=True)
class ObservedDecision:
    """An ``approve.appdeploy.dev/<gate>`` or ``reject.appdeploy.dev/<gate>`` annotation."""

    annotation: str
    kind: DecisionKind
    gate: str
    user: str | None
    groups: tuple[str, ...] = ()
    comment: str = ""
    at: datetime | None = None
    verified: bool = False
    """The admission webhook's signature checked out."""
    problem: str = ""
    """Why the operator could not accept the annotation (e.g. a forged signature)."""
    run: int | None = None
    """The run the webhook signed the decision for; None when unsigned."""
    signature: str = ""
    """The webhook's signature, kept in status so every pass verifies it again."""
    attest: tuple[tuple[str, str], ...] = ()
    """The values the person attested to (a gate's ``attest``), sorted by name; signed."""


@dataclass(frozen=True)
class ObservedRequest:
    """An ``appdeploy.dev/retry`` or ``appdeploy.dev/cancel`` annotation and who wrote it."""

    annotation: str
    value: str
    """The step to retry (or ``failed``), or the reason to cancel."""
    user: str | None = None
    """Who asked, when the webhook signed it."""
    groups: tuple[str, ...] = ()
    at: datetime | None = None
    verified: bool = False
    """The admission webhook's signature checked out."""
    problem: str = ""
    """Why the operator could not accept the annotation (e.g. a forged signature)."""
    run: int | None = None
    """The run the webhook signed the request for; None when unsigned."""


@dataclass(frozen=True)
class RefusedJob:
    """A Job the API server refused to create in this pass, with an answer that will not heal.

    Set by the operator after a create came back 400, 403, 404 or 422, or
    found a Job of that name that is not this release's (docs/operator.md).
    """

    name: str
    message: str
    """The API server's words, e.g. ``spec.template.spec.containers[0].env[0].name: Invalid``."""


@dataclass(frozen=True)
class ChannelState:
    """A NotificationChannel the release names, as the operator found it."""

    ready: bool
    """Its Ready condition is True (credentials readable, last delivery not failed)."""
    reason: str = ""
    """Its Ready condition's reason and message when not ready."""


@dataclass(frozen=True)
class ObservedBreakGlass:
    """An ``appdeploy.dev/break-glass`` annotation: a person overriding ReleasePolicies."""

    user: str
    groups: tuple[str, ...]
    reason: str
    spec_hash: str
    """The spec it overrides policies for (``appdeploy.api.spec_hash``): a changed spec needs
    the glass broken again."""
    at: datetime | None = None
    verified: bool = False
    """The admission webhook's signature checked out."""
    problem: str = ""
    """Why it cannot be honoured (unsigned, forged), for the Event."""


@dataclass(frozen=True)
class ObservedAuthor:
    """The ``appdeploy.dev/spec-author`` annotation: who wrote the spec, as the webhook signed."""

    user: str
    groups: tuple[str, ...]
    spec_hash: str
    at: datetime | None = None
    verified: bool = False
    problem: str = ""


@dataclass(frozen=True)
class PolicyFacts:
    """The ReleasePolicies in force for one release, as the operator found them."""

    applicable: tuple[ReleasePolicy, ...] = ()
    """Those whose namespaceSelector and apps cover the release, by name."""
    unknown: str = ""
    """Why the policies in force cannot be known now (not listed yet, one unreadable, the
    namespace's labels unknown): nothing protected may start until they are."""


@dataclass(frozen=True)
class Observed:
    """Everything the operator saw for one release."""

    jobs: tuple[ObservedJob, ...] = ()
    decisions: tuple[ObservedDecision, ...] = ()
    retry: ObservedRequest | None = None
    cancel: ObservedRequest | None = None
    refused_jobs: tuple[RefusedJob, ...] = ()
    channels: Mapping[str, ChannelState] | None = None
    """The channels the release names, by name; a name missing here does not exist.
    None: the operator did not look (notifications are then not judged)."""
    policies: PolicyFacts | None = None
    """The ReleasePolicies in force; None: the operator does not enforce policies."""
    break_glass: ObservedBreakGlass | None = None
    author: ObservedAuthor | None = None


@dataclass(frozen=True)
class Settings:
    """Operator-wide choices that change decisions."""

    trust_unverified_approvals: bool = False
    """Count approvals that the admission webhook did not sign (webhook disabled)."""
    signing_key: bytes | None = None
    """The webhook's HMAC key: recorded decisions are verified again on every pass."""
    operator_username: str = ""
    """Who the operator runs as: steps never run as its ServiceAccount."""
    pod_policy: StepPodPolicy = SAFE_POLICY
    """What the cluster admin allows step pods beyond the safe defaults."""
    remind_floor: timedelta = REMIND_FLOOR
    """The shortest ``remind.every`` accepted (``--min-reminder-interval``; lower only in demos
    and tests)."""
    console_url: str = ""
    """Base URL of the web console; notifications link to the release there when set."""
    provider_image: str = ""
    """The image of check measurement Jobs (``--provider-image``: the operator's own)."""
