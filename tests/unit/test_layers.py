"""The engine and the API are pure: importing them pulls in neither kopf nor kubernetes.

import-linter checks the static imports in ``make lint``; this test checks what
actually gets loaded, in a fresh interpreter.
"""

from __future__ import annotations

import subprocess
import sys

CLIENTS = ("kopf", "kubernetes", "aiohttp", "urllib3", "slack_sdk", "httpx", "aiosmtplib")


def loaded(modules: str, forbidden: tuple[str, ...]) -> list[str]:
    """The modules named by (or under) ``forbidden`` that importing ``modules`` loads."""
    probe = (
        f"import sys, {modules}\n"
        f"forbidden = {forbidden!r}\n"
        "print(','.join(sorted(m for m in sys.modules "
        "if m in forbidden or m.startswith(tuple(f + '.' for f in forbidden)))))"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    )
    return [name for name in result.stdout.strip().split(",") if name]


def test_engine_and_api_load_without_kopf_or_kubernetes() -> None:
    assert loaded("appdeploy.engine, appdeploy.api.validation, appdeploy.api.crd", CLIENTS) == []


def test_transports_load_without_kopf_or_kubernetes() -> None:
    assert loaded("appdeploy.notify.factory", ("kopf", "kubernetes")) == []


def test_console_insights_and_charts_load_no_client_and_no_controller() -> None:
    # Pure figures: the console's server renders them, the tests run them without one.
    layers = ("appdeploy.k8s", "appdeploy.controller", "appdeploy.cli")
    assert loaded("appdeploy.console.insights, appdeploy.console.charts", CLIENTS + layers) == []
