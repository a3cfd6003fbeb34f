"""Deterministic Job names: ``<deployment>-<step>-r<run>-a<attempt>``, at most 63 characters.

The name alone identifies an attempt, so creating it twice (after a crash, or
from a stale cache) yields AlreadyExists rather than a duplicate Job. Names
too long for a label value are shortened with a hash of the full name, which
keeps them unique and stable.
"""

from __future__ import annotations

import hashlib

MAX_NAME = 63
_HASH_LENGTH = 8


def job_name_for(deployment: str, step: str, run: int, attempt: int) -> str:
    """The Job name of one attempt of a step in a run."""
    suffix = f"-r{run}-a{attempt}"
    full = f"{deployment}-{step}{suffix}"
    if len(full) <= MAX_NAME:
        return full
    digest = hashlib.sha256(full.encode()).hexdigest()[:_HASH_LENGTH]
    room = MAX_NAME - len(suffix) - len(digest) - 1
    prefix = f"{deployment}-{step}"[:room].rstrip("-")
    return f"{prefix}-{digest}{suffix}"


def run_id_for(deployment: str, run: int) -> str:
    """The value of ``$(run.id)``: the deployment name and the run (generation)."""
    return f"{deployment}-r{run}"
