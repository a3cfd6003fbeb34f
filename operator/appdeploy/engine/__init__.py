"""The pure release planner: ``plan(release, observed, now) -> Plan``.

Nothing here performs I/O or reads the clock: the operator passes in what it
observed and the current time, and applies the returned actions. That keeps
every decision reproducible in a unit test.
"""

from appdeploy.engine.actions import (
    Action,
    CreateJob,
    DeleteJob,
    EventType,
    Plan,
    PostEvent,
    RemoveAnnotation,
)
from appdeploy.engine.inputs import (
    ChannelState,
    DecisionKind,
    JobState,
    Observed,
    ObservedDecision,
    ObservedJob,
    ObservedRequest,
    PolicyFacts,
    RefusedJob,
    Release,
    Settings,
)
from appdeploy.engine.planner import check_decision, plan

__all__ = [
    "Action",
    "ChannelState",
    "CreateJob",
    "DecisionKind",
    "DeleteJob",
    "EventType",
    "JobState",
    "Observed",
    "ObservedDecision",
    "ObservedJob",
    "ObservedRequest",
    "Plan",
    "PolicyFacts",
    "PostEvent",
    "RefusedJob",
    "Release",
    "RemoveAnnotation",
    "Settings",
    "check_decision",
    "plan",
]
