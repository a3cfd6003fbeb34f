"""Remember the operator the demo started, so an interrupted demo cannot leave two running.

The operator runs in its own session (so Ctrl-C reaches only the demo, which
then stops it). If the demo itself is killed (SIGKILL, a closed terminal),
the operator survives; the next demo would then run a second operator on
the same releases. The record (pid and start time, as the cluster launcher
keeps for its components) lets the next demo stop exactly that process, and
never a recycled PID.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from tests.cluster.process import ProcessRecord, is_running, record_for, stop


def remember(path: Path, process: subprocess.Popen[bytes], log: Path) -> None:
    """Record the operator process started by this demo."""
    record = record_for("demo-operator", process, log)
    path.write_text(json.dumps({"pid": record.pid, "start_ticks": record.start_ticks}))


def forget(path: Path) -> None:
    """The operator was stopped: nothing to clean up next time."""
    path.unlink(missing_ok=True)


def stop_leftover(path: Path, log: Path) -> int | None:
    """Stop the operator an earlier, killed demo left running; its pid, or None."""
    try:
        saved = json.loads(path.read_text())
        record = ProcessRecord(
            "demo-operator", int(saved["pid"]), int(saved["start_ticks"]), str(log)
        )
    except (FileNotFoundError, ValueError, KeyError, TypeError):
        return None
    found = record.pid if is_running(record) else None
    if found is not None:
        stop(record)
    forget(path)
    return found
