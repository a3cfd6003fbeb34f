"""What the planner asks the operator to do, and the Plan that carries it."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum
from typing import Any, TypeVar

from appdeploy.api.spec import RunSpec
from appdeploy.api.status import AppDeploymentStatus


@dataclass(frozen=True)
class CreateJob:
    """Start one attempt of a run step; ``spec`` has every substitution resolved."""

    name: str
    step: str
    run: int
    attempt: int
    spec: RunSpec
    service_account_name: str | None
    deadline_seconds: int


@dataclass(frozen=True)
class DeleteJob:
    """Stop a Job that no longer belongs to an active attempt."""

    name: str
    reason: str


@dataclass(frozen=True)
class RemoveAnnotation:
    """Remove a human action annotation once it has been decided on."""

    key: str


class EventType(StrEnum):
    """Kubernetes Event types."""

    NORMAL = "Normal"
    WARNING = "Warning"


@dataclass(frozen=True)
class PostEvent:
    """A Kubernetes Event on the AppDeployment."""

    type: EventType
    reason: str
    message: str


_T = TypeVar("_T")

Action = CreateJob | DeleteJob | RemoveAnnotation | PostEvent


@dataclass(frozen=True)
class Plan:
    """The planner's answer: the new status, what to do, and when to look again."""

    status: AppDeploymentStatus
    actions: tuple[Action, ...]
    requeue_after: timedelta | None
    stored_status: Mapping[str, Any] | None = None
    """Set when the stored status could not be read: write it back as given, not ``status``."""

    def wire_status(self) -> dict[str, Any]:
        """The status subresource to write."""
        if self.stored_status is not None:
            return dict(self.stored_status)
        return self.status.to_wire()

    def of_type(self, kind: type[_T]) -> list[_T]:
        """The actions of one kind, in order."""
        return [action for action in self.actions if isinstance(action, kind)]
