"""The insights and their charts are pure: importing them loads no HTTP or Kubernetes client."""

from __future__ import annotations

import subprocess
import sys


def test_insights_and_charts_load_without_servers_or_clients() -> None:
    probe = (
        "import sys, appdeploy.console.insights, appdeploy.console.charts\n"
        "loaded = sorted(m for m in sys.modules if m.split('.')[0] in "
        "('kopf', 'kubernetes', 'aiohttp', 'urllib3', 'httpx'))\n"
        "loaded += sorted(m for m in sys.modules if m.startswith(('appdeploy.k8s', "
        "'appdeploy.controller', 'appdeploy.cli')))\n"
        "print(','.join(loaded))"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == ""
