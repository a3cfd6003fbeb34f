"""Run ``appdeploy provider measure`` as a Job runs it: a real subprocess, env in, JSON out."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.fakes.google_oauth import FakeGoogleOAuth, ServiceAccountKey, service_account_key
from tests.fakes.json_api import FakeJsonApi
from tests.fakes.play_reporting import FakePlayReporting
from tests.fakes.prometheus import FakePrometheus
from tests.fakes.sentry import FakeSentry

RUN_TIMEOUT = 60.0
"""Seconds a program may take before the test gives up on it (a hang is a failure)."""


@dataclass(frozen=True)
class Run:
    """What one run of the program left behind."""

    code: int
    message: dict[str, str] | None
    """The termination log's JSON; None when the program wrote none."""
    stdout: str
    stderr: str


def run_program(tmp_path: Path, env: dict[str, str], *args: str, log: Path | None = None) -> Run:
    """``python -m appdeploy provider ARGS…`` with only ``env`` (and PATH) in its environment."""
    log = log or tmp_path / "termination-log"
    if log.exists():
        log.unlink()
    done = subprocess.run(
        [sys.executable, "-m", "appdeploy", "provider", *args, "--termination-log", str(log)],
        env={"PATH": os.environ.get("PATH", ""), **env},
        capture_output=True,
        text=True,
        timeout=RUN_TIMEOUT,
        check=False,
    )
    message = json.loads(log.read_text()) if log.exists() else None
    return Run(done.returncode, message, done.stdout, done.stderr)


@pytest.fixture
def measure(tmp_path: Path) -> Any:
    """``measure(provider, env=…, *flags)``: run ``provider measure`` on ``{"provider": …}``."""

    def run(provider: dict[str, Any], *flags: str, env: dict[str, str] | None = None) -> Run:
        environ = {"APPDEPLOY_CHECK_PROVIDER": json.dumps(provider), **(env or {})}
        result = run_program(tmp_path, environ, "measure", *flags)
        if result.code == 0:
            # The contract: the same JSON on stdout and in the log, every value a string.
            assert result.message is not None, result.stderr
            assert json.loads(result.stdout) == result.message
            assert all(isinstance(value, str) for value in result.message.values())
        return result

    return run


@pytest.fixture
def prometheus() -> Iterator[FakePrometheus]:
    with FakePrometheus() as server:
        yield server


SENTRY_TOKEN = "sntrys_s3cr3t-t0ken-for-tests"


@pytest.fixture
def sentry() -> Iterator[FakeSentry]:
    with FakeSentry(token=SENTRY_TOKEN) as server:
        yield server


@pytest.fixture
def json_api() -> Iterator[FakeJsonApi]:
    with FakeJsonApi() as server:
        yield server


@pytest.fixture(scope="session")
def play_key() -> ServiceAccountKey:
    return service_account_key()


@pytest.fixture
def google_oauth(play_key: ServiceAccountKey) -> Iterator[FakeGoogleOAuth]:
    with FakeGoogleOAuth(play_key) as server:
        yield server


@pytest.fixture
def play_reporting(google_oauth: FakeGoogleOAuth) -> Iterator[FakePlayReporting]:
    with FakePlayReporting(google_oauth, package="com.example.shop") as server:
        yield server
