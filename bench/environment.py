"""The machine and the versions a run used, recorded next to its figures."""

from __future__ import annotations

import os
import platform
import shlex
import sys
from datetime import UTC, datetime
from importlib.metadata import version
from pathlib import Path

from bench.procstats import other_apiservers
from bench.results import Environment


def _cpu_model() -> str:
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return platform.processor() or "unknown"


def _memory_gib() -> float:
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemTotal:"):
            return int(line.split()[1]) / 1024**2
    return 0.0


def describe(server: str, own_pids: set[int]) -> Environment:
    """The environment right now (call it before the load starts)."""
    load = os.getloadavg()
    return Environment(
        date=datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        cpus=os.cpu_count() or 0,
        cpu_model=_cpu_model(),
        memory_gib=round(_memory_gib(), 1),
        kernel=platform.release(),
        load_before=(round(load[0], 2), round(load[1], 2), round(load[2], 2)),
        other_clusters=other_apiservers(own_pids),
        python=platform.python_version(),
        kopf=version("kopf"),
        kubernetes_client=version("kubernetes"),
        server=server,
        command=shlex.join(["python", "-m", "bench", *sys.argv[1:]]),
    )
