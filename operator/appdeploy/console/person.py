"""Who is looking, and whether they may decide a gate now (pure).

The console asks the engine the very question the webhook and the operator
ask (``check_decision``), so "you may approve" before the click and the
outcome after it cannot disagree, except when the release moved in between.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from appdeploy.api.approvals import attest_pairs
from appdeploy.api.pod_policy import ADMIN_ALLOWS_ALL
from appdeploy.engine import DecisionKind, ObservedDecision, Release, Settings, check_decision
from appdeploy.k8s.annotations import written_key

JUDGING = Settings(pod_policy=ADMIN_ALLOWS_ALL, remind_floor=timedelta(0))
"""How the console judges a decision before it is made. The operator already judged
the spec against the cluster's pod policy and reminder floor, which the console cannot
know; the webhook and the operator keep the last word."""


@dataclass(frozen=True)
class Person:
    """The person as the API server authenticates them (SelfSubjectReview)."""

    user: str
    groups: tuple[str, ...] = ()

    @property
    def label(self) -> str:
        """``alice (qa, system:authenticated)``."""
        shown = [group for group in self.groups if not group.startswith("system:")]
        return f"{self.user} ({', '.join(shown)})" if shown else self.user


@dataclass(frozen=True)
class Verdict:
    """Whether the person may decide now, and if not, why not (the engine's words)."""

    may: bool
    reason: str = ""


def decision_verdict(
    body: Mapping[str, Any],
    gate: str,
    person: Person,
    now: datetime,
    kind: DecisionKind = DecisionKind.APPROVE,
) -> Verdict:
    """Would an approval (or rejection) of ``gate`` by ``person`` count right now?

    An approval is judged attesting what the page shows (``shown_attest``), as its form sends.
    """
    metadata = body.get("metadata") or {}
    status = body.get("status") or {}
    run = status.get("run")
    release = Release(
        str(metadata.get("name") or ""),
        str(metadata.get("namespace") or ""),
        int(metadata.get("generation") or 1),
        body.get("spec") or {},
        status or None,
        uid=str(metadata.get("uid") or ""),
    )
    decision = ObservedDecision(
        written_key(kind, gate),
        kind,
        gate,
        user=person.user,
        groups=person.groups,
        comment="",
        at=now,
        verified=True,
        run=int(run) if run is not None else None,
        attest=attest_pairs(shown_attest(body, gate)) if kind is DecisionKind.APPROVE else (),
    )
    reason = check_decision(release, decision, now, JUDGING)
    return Verdict(may=not reason, reason=reason)


def shown_attest(body: Mapping[str, Any], gate: str) -> dict[str, str]:
    """The values ``gate`` shows its approvers in status (``attest``), which the form sends."""
    for step in (body.get("status") or {}).get("steps") or []:
        if isinstance(step, Mapping) and step.get("name") == gate:
            return {str(k): str(v) for k, v in (step.get("attest") or {}).items()}
    return {}
