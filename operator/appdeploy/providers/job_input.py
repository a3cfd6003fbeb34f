"""What a Job hands a provider program: a JSON object in an environment variable.

Both kinds of program take their input this way (a measurement's
``APPDEPLOY_CHECK_PROVIDER``, a store action's ``APPDEPLOY_ROLLOUT_TARGET``),
so they read it the same way and fail the same way: input they cannot use is
a UsageError naming the variable or the field, exit 2, before any request.
"""

from __future__ import annotations

import json
from typing import Any


class UsageError(ValueError):
    """The Job gave the program something it cannot work with; the message names the field."""


def json_object_from_env(name: str, text: str | None, holds: str) -> dict[str, Any]:
    """The JSON object in env var ``name`` (which holds ``holds``), or UsageError saying why not."""
    if text is None or not text.strip():
        raise UsageError(f"{name} is not set: it holds {holds} as JSON")
    try:
        document = json.loads(text)
    except ValueError as error:
        raise UsageError(f"{name} is not JSON: {error}") from None
    if not isinstance(document, dict):
        raise UsageError(f"{name} must be a JSON object: {holds}")
    return document
