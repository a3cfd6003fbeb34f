"""Reading a stored AppDeployment for people: the CLI's tables and the web console.

Lenient where the operator is: a spec the operator found invalid reads as
None (the status says why), and status fields a newer operator added are
ignored rather than fatal, so a view never breaks on what is there.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from pydantic import ValidationError

from appdeploy.api.pod_policy import ADMIN_ALLOWS_ALL
from appdeploy.api.problems import InvalidSpec
from appdeploy.api.spec import AppDeploymentSpec
from appdeploy.api.status import AppDeploymentStatus
from appdeploy.api.tolerant import validate_known
from appdeploy.api.validation import parse_spec


def read_release(body: Mapping[str, Any]) -> tuple[AppDeploymentSpec | None, AppDeploymentStatus]:
    """The spec (None if invalid) and status of a stored AppDeployment."""
    try:
        # The operator already judged it against the cluster's policy and its
        # reminder floor (--min-reminder-interval), which a view cannot know: show
        # what is there, with neither applied again.
        spec: AppDeploymentSpec | None = parse_spec(
            body.get("spec") or {}, ADMIN_ALLOWS_ALL, remind_floor=timedelta(0)
        )
    except InvalidSpec:
        spec = None
    try:
        status = validate_known(AppDeploymentStatus, body.get("status") or {})
    except ValidationError:
        status = AppDeploymentStatus()
    return spec, status
