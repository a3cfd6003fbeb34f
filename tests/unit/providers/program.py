"""Run an ``appdeploy provider …`` program the way a Job does: a real subprocess, env in, JSON out.

Every provider test (measurements and store actions) runs the program
through ``run_provider``: it gets only the env a Job would give it (and
PATH), so no proxy setting or credential of the test's own process reaches
it, and it writes its result to a termination-log file that the test reads,
as the kubelet would.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

PROGRAM_TIMEOUT = 60.0
"""Seconds a program may take before the test gives up on it (a hang is a failure)."""


@dataclass(frozen=True)
class Outcome:
    """What one run of the program left behind."""

    code: int
    result: dict[str, str]
    """What the termination log holds (empty when nothing was written)."""
    stdout: str
    stderr: str


def run_provider(args: list[str], env: dict[str, str], termination_log: Path | str) -> Outcome:
    """Run ``appdeploy provider ARGS`` with only ``env`` (and PATH); return what it left behind."""
    log = Path(termination_log)
    if log.exists():
        log.unlink()
    completed = subprocess.run(
        [sys.executable, "-m", "appdeploy", "provider", *args, "--termination-log", str(log)],
        env={"PATH": os.environ.get("PATH", ""), **env},
        capture_output=True,
        text=True,
        timeout=PROGRAM_TIMEOUT,
        check=False,
    )
    result = json.loads(log.read_text()) if log.exists() else {}
    return Outcome(completed.returncode, result, completed.stdout, completed.stderr)


def assert_result_contract(outcome: Outcome) -> None:
    """The contract of a written result: the same JSON on stdout and in the log, all strings."""
    assert outcome.result, outcome.stderr
    assert json.loads(outcome.stdout) == outcome.result
    assert all(isinstance(value, str) for value in outcome.result.values())
