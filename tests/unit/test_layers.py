"""The engine and the API are pure: importing them pulls in neither kopf nor kubernetes.

import-linter checks the static imports in ``make lint``; this test checks what
actually gets loaded, in a fresh interpreter.
"""

from __future__ import annotations

import subprocess
import sys


def test_engine_and_api_load_without_kopf_or_kubernetes() -> None:
    probe = (
        "import sys, appdeploy.engine, appdeploy.api.validation, appdeploy.api.crd\n"
        "loaded = sorted(m for m in sys.modules if m.split('.')[0] in "
        "('kopf', 'kubernetes', 'aiohttp', 'urllib3', 'slack_sdk', 'httpx', 'aiosmtplib'))\n"
        "print(','.join(loaded))"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == ""


def test_transports_load_without_kopf_or_kubernetes() -> None:
    probe = (
        "import sys, appdeploy.notify.factory\n"
        "loaded = sorted(m for m in sys.modules if m.split('.')[0] in ('kopf', 'kubernetes'))\n"
        "print(','.join(loaded))"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == ""
