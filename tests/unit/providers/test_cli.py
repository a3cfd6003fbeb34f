"""``appdeploy provider measure`` as a command: exit codes, the termination log, the help."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.unit.providers.program import run_provider


def test_an_unknown_provider_is_a_usage_error_written_as_the_result(tmp_path: Path) -> None:
    # Written, so the failed Job's status says what was wrong, not only "exit code 2".
    env = {"APPDEPLOY_CHECK_PROVIDER": '{"datadog": {"query": "avg:crashes"}}'}
    run = run_provider(["measure"], env, tmp_path / "log")
    assert run.code == 2
    assert "check.provider.datadog: unknown field" in run.stderr
    assert run.result["retryable"] == "false"
    assert "check.provider.datadog: unknown field" in run.result["error"]
    assert json.loads(run.stdout) == run.result


def test_without_the_input_it_says_where_the_input_goes(tmp_path: Path) -> None:
    run = run_provider(["measure"], {}, tmp_path / "log")
    assert run.code == 2
    assert "APPDEPLOY_CHECK_PROVIDER is not set" in run.stderr
    assert run.result["error"].startswith("APPDEPLOY_CHECK_PROVIDER is not set")


def test_a_timeout_that_is_not_positive_is_a_usage_error(tmp_path: Path) -> None:
    run = run_provider(["measure", "--timeout", "0"], {}, tmp_path / "log")
    assert run.code == 2
    assert run.result == {"error": "--timeout must be more than 0 seconds", "retryable": "false"}


def test_an_unwritable_termination_log_is_reported_and_the_result_still_printed(
    tmp_path: Path, prometheus
) -> None:
    prometheus.set_scalar("vector(1)", "1")
    provider = {"prometheus": {"address": prometheus.url, "query": "vector(1)"}}
    log = tmp_path / "no-such-dir" / "termination-log"
    run = run_provider(["measure"], {"APPDEPLOY_CHECK_PROVIDER": json.dumps(provider)}, log)
    assert run.code == 0
    assert json.loads(run.stdout) == {"value": "1", "resolvedQuery": "vector(1)"}
    assert f"could not write the result to {log}" in run.stderr


def test_the_help_lists_the_actions_and_the_exit_codes() -> None:
    def help_of(*words: str) -> str:
        done = subprocess.run(
            [sys.executable, "-m", "appdeploy", *words, "--help"],
            capture_output=True,
            text=True,
            check=True,
        )
        return done.stdout

    assert "measure" in help_of("provider")
    measure = help_of("provider", "measure")
    assert "APPDEPLOY_CHECK_PROVIDER" in measure
    assert "--termination-log" in measure
    assert "2  usage error" in measure


def test_the_programs_load_neither_kopf_nor_kubernetes() -> None:
    # A measurement Job starts the image for one request: the operator's clients stay out.
    from tests.unit.test_layers import loaded

    layers = ("kopf", "kubernetes", "appdeploy.engine", "appdeploy.k8s", "appdeploy.controller")
    assert loaded("appdeploy.providers.measure", layers) == []
