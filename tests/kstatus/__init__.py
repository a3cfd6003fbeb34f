"""kstatus, the real library: what Flux's health checks (and kpt, cli-utils) read from an object.

``tests/kstatus/build.sh`` builds a small Go program around
``sigs.k8s.io/cli-utils/pkg/kstatus/status`` once and caches it outside the
repository; ``compute`` feeds it objects exactly as the API server returned
them and returns kstatus's verdict for each.
"""

from __future__ import annotations

import functools
import json
import subprocess
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, NamedTuple

BUILD_SCRIPT = Path(__file__).resolve().parent / "build.sh"


class KstatusError(RuntimeError):
    """The checker could not be built, or could not read an object."""


class Verdict(NamedTuple):
    """kstatus's result: InProgress, Current, Failed, Terminating, NotFound or Unknown."""

    status: str
    message: str


@functools.cache
def kstatus_binary() -> str:
    """The checker's path, building it on first use (about a minute cold)."""
    result = subprocess.run(
        [str(BUILD_SCRIPT)], capture_output=True, text=True, check=False, timeout=900
    )
    if result.returncode != 0:
        raise KstatusError(f"tests/kstatus/build.sh failed:\n{result.stderr}")
    return result.stdout.strip()


def compute(objects: Sequence[Mapping[str, Any]]) -> list[Verdict]:
    """kstatus ``status.Compute`` of each object (as JSON from the API server)."""
    lines = "".join(json.dumps(obj) + "\n" for obj in objects)
    result = subprocess.run(
        [kstatus_binary()], input=lines, capture_output=True, text=True, check=False, timeout=60
    )
    if result.returncode != 0:
        raise KstatusError(f"the kstatus checker failed:\n{result.stderr}")
    verdicts = []
    for line in result.stdout.splitlines():
        answer = json.loads(line)
        if "error" in answer:
            raise KstatusError(answer["error"])
        verdicts.append(Verdict(answer["status"], answer.get("message", "")))
    return verdicts
