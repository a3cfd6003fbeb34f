"""Who may decide: shared by gates and by a check's ``onInconclusive.gate``."""

from __future__ import annotations

from pydantic import Field

from appdeploy.api.base import ApiModel, NonEmptyStr, cel_rules

SOME_APPROVER = "name at least one user or group"


class Approvers(ApiModel):
    """Who may decide a gate: named users, or members of named groups.

    Service accounts count only when listed by full name in ``users``
    (``system:serviceaccount:NAMESPACE:NAME``), never through a group.
    """

    model_config = cel_rules(
        (
            "(has(self.users) && size(self.users) > 0)"
            " || (has(self.groups) && size(self.groups) > 0)",
            SOME_APPROVER,
            "",
        )
    )

    users: list[NonEmptyStr] = Field(default_factory=list)
    """Usernames as the API server authenticates them."""
    groups: list[NonEmptyStr] = Field(default_factory=list)
    """Groups whose members may decide."""
