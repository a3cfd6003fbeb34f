"""Deterministic Job names: ``<deployment>-<step>-r<run>-a<attempt>-<hash>``, at most 63 characters.

The name alone identifies an attempt, so creating it twice (after a crash, or
from a stale cache) yields AlreadyExists rather than a duplicate Job.

The readable part is ambiguous on its own: release ``foo-bar`` step ``baz``
and release ``foo`` step ``bar-baz`` in one namespace both read
``foo-bar-baz-r1-a1``. So every name ends in a short hash of the unambiguous
tuple (deployment, step, run, attempt), which tells such pairs apart; when the
readable part is too long for 63 characters it is cut, and the hash alone
keeps names distinct. The planner never parses names: it matches Jobs by their
labels, so Jobs created under an older naming scheme are still followed (see
docs/run-semantics.md, "Crash safety").
"""

from __future__ import annotations

import hashlib
import json

MAX_NAME = 63
_HASH_LENGTH = 8


def _tuple_hash(deployment: str, step: str, run: int, attempt: int) -> str:
    # JSON keeps the fields apart: no choice of names makes two tuples encode alike.
    encoded = json.dumps([deployment, step, run, attempt], separators=(",", ":"))
    return hashlib.sha256(encoded.encode()).hexdigest()[:_HASH_LENGTH]


def job_name_for(deployment: str, step: str, run: int, attempt: int) -> str:
    """The Job name of one attempt of a step in a run; distinct tuples get distinct names."""
    suffix = f"-r{run}-a{attempt}-{_tuple_hash(deployment, step, run, attempt)}"
    prefix = f"{deployment}-{step}"[: MAX_NAME - len(suffix)].rstrip("-.")
    return f"{prefix}{suffix}"


def measurement_job_name_for(deployment: str, step: str, run: int, measurement: int) -> str:
    """The Job name of measurement ``measurement`` of a check step: ``…-r<run>-m<n>-<hash>``.

    Hashed like ``job_name_for`` but over a tuple no attempt has, so a check's
    measurement Job and a run step's attempt never share a name.
    """
    encoded = json.dumps([deployment, step, run, f"m{measurement}"], separators=(",", ":"))
    digest = hashlib.sha256(encoded.encode()).hexdigest()[:_HASH_LENGTH]
    suffix = f"-r{run}-m{measurement}-{digest}"
    prefix = f"{deployment}-{step}"[: MAX_NAME - len(suffix)].rstrip("-.")
    return f"{prefix}{suffix}"


def legacy_job_name_for(deployment: str, step: str, run: int, attempt: int) -> str:
    """The name operators before the tuple hash gave an attempt's Job (ambiguous, see above).

    Only so that an upgraded operator recognises the Jobs of runs already under
    way; new Jobs always get ``job_name_for``.
    """
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
