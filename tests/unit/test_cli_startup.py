"""`kubectl appdeploy approve` starts fast: it loads only the parts of the client it uses.

The client's CoreV1Api module takes about a second to import (more on a busy
machine), and an approval that goes through never calls it; the demo runs
one approval command per approver, on its critical path.
"""

from __future__ import annotations

import subprocess
import sys

CHECK = """
import sys
from kubernetes import client
from appdeploy.cli.release_actions import ReleaseClient
release = ReleaseClient(client.ApiClient(), "mobile-releases", "shop-4-12-0")
assert "kubernetes.client.api.core_v1_api" not in sys.modules, "CoreV1Api loaded up front"
release.core  # the first use loads it
assert "kubernetes.client.api.core_v1_api" in sys.modules
"""


def test_a_release_client_loads_the_core_api_only_when_used() -> None:
    # A fresh interpreter: this test process may have imported the module already.
    done = subprocess.run(
        [sys.executable, "-c", CHECK], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
