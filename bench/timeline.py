"""What the bench saw, and when: one record per release, fed by the watch threads.

Every stamp is the first time something was seen (a Job re-listed or
modified again keeps its first stamp). The timeline also decides when the
run is over: every release reached a final phase, or one of them failed
(then the run is aborted; a bench of failing releases measures nothing).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from appdeploy.k8s.labels import DEPLOYMENT, STEP
from bench.shape import GATE

FINAL_PHASES = ("Succeeded", "Failed", "Cancelled", "Invalid")


@dataclass
class ReleaseRecord:
    """Monotonic stamps (seconds) for one release."""

    created: float | None = None
    job_added: dict[str, float] = field(default_factory=dict)
    job_complete: dict[str, float] = field(default_factory=dict)
    gate_waiting: float | None = None
    approval_sent: float | None = None
    approval_returned: float | None = None
    finished: float | None = None
    phase: str = ""
    message: str = ""


class Timeline:
    """Thread-safe: watch threads write, the runner waits and reads."""

    def __init__(self, names: list[str], on_gate_waiting: Callable[[str], None]) -> None:
        self.records = {name: ReleaseRecord() for name in names}
        self._on_gate_waiting = on_gate_waiting
        self._lock = threading.Condition()
        self._open = set(names)
        self.failure: str | None = None

    # --- writers ------------------------------------------------------------------
    def created(self, name: str, at: float) -> None:
        """The create request for a release returned."""
        with self._lock:
            self.records[name].created = at

    def approval(self, name: str, sent: float, returned: float) -> None:
        """The approval PATCH for a release was sent and returned."""
        with self._lock:
            record = self.records[name]
            record.approval_sent, record.approval_returned = sent, returned

    def job_event(self, kind: str, job: dict[str, Any], at: float) -> None:
        """A Job event: first sight, and first sight of its Complete condition."""
        labels = job["metadata"].get("labels") or {}
        record = self.records.get(labels.get(DEPLOYMENT, ""))
        step = labels.get(STEP)
        if record is None or step is None or kind == "DELETED":
            return
        conditions = (job.get("status") or {}).get("conditions") or []
        done = {c["type"] for c in conditions if c.get("status") == "True"}
        with self._lock:
            record.job_added.setdefault(step, at)
            if "Complete" in done:
                record.job_complete.setdefault(step, at)

    def release_event(self, kind: str, release: dict[str, Any], at: float) -> None:
        """An AppDeployment event: gate opened (approve it), final phase reached."""
        record = self.records.get(release["metadata"]["name"])
        if record is None or kind == "DELETED":
            return
        status = release.get("status") or {}
        steps = {step.get("name"): step for step in status.get("steps") or []}
        gate_opened = False
        with self._lock:
            if record.gate_waiting is None and steps.get(GATE, {}).get("phase") == "Waiting":
                record.gate_waiting = at
                gate_opened = True
            phase = str(status.get("phase") or "")
            if phase in FINAL_PHASES and record.finished is None:
                record.finished, record.phase = at, phase
                record.message = str(status.get("message") or "")
                self._open.discard(release["metadata"]["name"])
                if phase != "Succeeded" and self.failure is None:
                    self.failure = f"{release['metadata']['name']} ended {phase}: {record.message}"
                self._lock.notify_all()
        if gate_opened:
            self._on_gate_waiting(release["metadata"]["name"])

    def fail(self, error: BaseException) -> None:
        """A watch or an approval broke: the run cannot be measured."""
        with self._lock:
            if self.failure is None:
                self.failure = f"{type(error).__name__}: {error}"
            self._lock.notify_all()

    # --- readers ------------------------------------------------------------------
    def finished_count(self) -> int:
        """How many releases reached a final phase so far."""
        with self._lock:
            return len(self.records) - len(self._open)

    def wait_all_finished(self, timeout: float) -> None:
        """Block until every release ended; raise on a failure or at the deadline."""
        with self._lock:
            finished = self._lock.wait_for(
                lambda: not self._open or self.failure is not None, timeout
            )
            if self.failure is not None:
                raise RuntimeError(f"benchmark run failed: {self.failure}")
            if not finished:
                waiting = sorted(self._open)
                raise TimeoutError(
                    f"{len(waiting)} releases not finished after {timeout:g}s "
                    f"(e.g. {', '.join(waiting[:5])})"
                )
