"""The JSON patches that move an outbox record, each pinned to the record it read.

``test`` ops make a patch apply only to the record as the worker last saw it:
a claim tests the whole record (so a record the planner changed or dropped,
or another worker claimed, is left alone and re-read); a record of the
outcome tests that the record is still this worker's claim (same id, still
Sending, same attempt). The API server applies a patch atomically, so of two
claimers exactly one wins. Pure.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from appdeploy.api.notifications import DeliveryState, Notification

Operation = dict[str, Any]


def _path(index: int, field: str = "") -> str:
    return f"/status/notifications/{index}" + (f"/{field}" if field else "")


def claim_ops(index: int, stored: Mapping[str, Any], new: Notification) -> list[Operation]:
    """Replace the record at ``index`` with ``new`` only if it is still exactly ``stored``."""
    return [
        {"op": "test", "path": _path(index), "value": dict(stored)},
        {"op": "replace", "path": _path(index), "value": new.to_wire()},
    ]


def record_ops(index: int, claim: Notification, new: Notification) -> list[Operation]:
    """Replace this worker's claim (``claim``: Sending, its attempt) with the outcome ``new``."""
    assert claim.state is DeliveryState.SENDING
    return [
        {"op": "test", "path": _path(index, "id"), "value": claim.id},
        {"op": "test", "path": _path(index, "state"), "value": str(DeliveryState.SENDING)},
        {"op": "test", "path": _path(index, "attempts"), "value": claim.attempts},
        {"op": "replace", "path": _path(index), "value": new.to_wire()},
    ]
