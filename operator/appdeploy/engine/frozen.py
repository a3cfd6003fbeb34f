"""Plans that write the status and nothing else: an invalid spec, an unreadable status.

Neither starts, follows nor deletes a Job, and neither consumes a decision:
the release waits for a person (or a newer operator) to fix what is wrong.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime

from appdeploy.api.status import POLICIES_LIMIT, AppDeploymentStatus, Phase, PolicyResult
from appdeploy.api.timestamps import format_timestamp
from appdeploy.engine.actions import EventType, Plan, PostEvent
from appdeploy.engine.gate_conditions import WantedCondition, not_awaiting_approval
from appdeploy.engine.inputs import Release
from appdeploy.engine.reasons import Reason
from appdeploy.engine.summary import INVALID_REASON, STALLED, conditions_for

INVALID_MESSAGE_LIMIT = 5
UNREADABLE = str(Reason.UNREADABLE_STATUS)


def plan_unreadable(release: Release, unreadable: Exception, now: datetime) -> Plan:
    """Stalled with a Warning, and nothing else changed: no Job, no decision consumed.

    The stored status is written back as it is, but for its Stalled condition,
    so whoever can read it (a newer operator, a person) loses nothing.
    """
    stored = dict(release.status or {})
    message = (
        f"{unreadable}; nothing changes until it can be read "
        "(was it written by a newer operator version?)"
    )
    raw_conditions = stored.get("conditions")
    conditions = list(raw_conditions) if isinstance(raw_conditions, list) else []
    old = next((c for c in conditions if isinstance(c, Mapping) and c.get("type") == STALLED), None)
    already = old is not None and old.get("status") == "True" and old.get("reason") == UNREADABLE
    stalled = {
        "type": STALLED,
        "status": "True",
        "reason": UNREADABLE,
        "message": message,
        "observedGeneration": release.generation,
        "lastTransitionTime": old.get("lastTransitionTime")
        if already and old is not None
        else format_timestamp(now),
    }
    kept = [c for c in conditions if not (isinstance(c, Mapping) and c.get("type") == STALLED)]
    stored["conditions"] = [*kept, stalled]
    actions = () if already else (PostEvent(EventType.WARNING, Reason.UNREADABLE_STATUS, message),)
    return Plan(
        status=AppDeploymentStatus(message=message),
        actions=actions,
        requeue_after=None,
        stored_status=stored,
    )


def plan_invalid(
    release: Release,
    previous: AppDeploymentStatus,
    found: Sequence[object],
    now: datetime,
    *,
    reason: Reason = Reason.INVALID_SPEC,
    policies: list[PolicyResult] | None = None,
    conditions: Sequence[WantedCondition] = (),
) -> Plan:
    """Phase Invalid and Stalled with the field-named problems; nothing is created or deleted.

    ``reason`` is InvalidSpec, or PolicyViolation for a new run a Deny policy
    refuses (``found`` are then its violations, ``policies`` every verdict,
    ``conditions`` its PolicyBlocked).
    """
    problems = [str(problem) for problem in found]
    message = "; ".join(problems[:INVALID_MESSAGE_LIMIT])
    if len(problems) > INVALID_MESSAGE_LIMIT:
        message += f"; and {len(problems) - INVALID_MESSAGE_LIMIT} more"
    status = previous.model_copy(deep=True)
    status.observed_generation = release.generation
    status.phase = Phase.INVALID
    status.message = message
    status.waiting_on = ""
    if policies is not None:
        status.policies = policies[:POLICIES_LIMIT]
    invalid_reason = INVALID_REASON if reason is Reason.INVALID_SPEC else str(reason)
    status.conditions = conditions_for(
        Phase.INVALID,
        message,
        release.generation,
        previous.conditions,
        now,
        gates=[not_awaiting_approval(invalid_reason), *conditions],
        invalid_reason=invalid_reason,
    )
    entering = previous.phase is not Phase.INVALID or previous.message != message
    actions = (PostEvent(EventType.WARNING, reason, message),) if entering else ()
    return Plan(status=status, actions=actions, requeue_after=None)
