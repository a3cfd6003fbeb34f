"""Remember the processes the demo started, so an interrupted demo cannot leave them running.

The operator and the web consoles run in their own sessions (so Ctrl-C
reaches only the demo, which then stops them). If the demo itself is killed
(SIGKILL, a closed terminal), they survive; the next demo would then run a
second operator on the same releases, and consoles nobody stops would keep
acting as the demo's people. The record (pid and start time of each, as the
cluster launcher keeps for its components) lets the next demo stop exactly
those processes, and never a recycled PID.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Sequence
from pathlib import Path

from tests.cluster.process import ProcessRecord, is_running, record_for, stop


def remember(path: Path, started: Sequence[tuple[str, subprocess.Popen[bytes], Path]]) -> None:
    """Record the processes (name, process, log) started by this demo."""
    records = [record_for(name, process, log) for name, process, log in started]
    path.write_text(
        json.dumps(
            [
                {"name": r.name, "pid": r.pid, "start_ticks": r.start_ticks, "log": r.log}
                for r in records
            ]
        )
    )


def forget(path: Path) -> None:
    """The processes were stopped: nothing to clean up next time."""
    path.unlink(missing_ok=True)


def stop_leftover(path: Path) -> list[int]:
    """Stop the processes an earlier, killed demo left running; their pids."""
    try:
        saved = json.loads(path.read_text())
        # A demo before the consoles recorded its operator alone, as one object.
        entries = saved if isinstance(saved, list) else [saved]
        records = [
            ProcessRecord(
                str(entry.get("name", "demo-operator")),
                int(entry["pid"]),
                int(entry["start_ticks"]),
                str(entry.get("log", "")),
            )
            for entry in entries
        ]
    except (FileNotFoundError, ValueError, KeyError, TypeError, AttributeError):
        return []
    found = []
    for record in records:
        if is_running(record):
            stop(record)
            found.append(record.pid)
    forget(path)
    return found
