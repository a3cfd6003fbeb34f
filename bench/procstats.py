"""CPU time and peak memory of processes, read from /proc (Linux).

The operator and each cluster component run in a session of their own
(``start_new_session``), so a session's CPU time is the sum over its live
processes plus what they reaped from exited children. The host's busy time
from /proc/stat, minus everything we account for, is the CPU other programs
took during the run: on a shared 2-core machine that is part of the result.
"""

from __future__ import annotations

import os
import resource
from dataclasses import dataclass
from pathlib import Path

TICK = os.sysconf("SC_CLK_TCK")
PROC = Path("/proc")

# Fields of /proc/<pid>/stat counted after the command name (see proc(5)):
# state is index 0, so field N is index N - 3.
_SESSION, _UTIME, _STIME, _CUTIME, _CSTIME = 3, 11, 12, 13, 14


def _stat(pid: int) -> list[str] | None:
    try:
        raw = (PROC / str(pid) / "stat").read_text()
    except (FileNotFoundError, ProcessLookupError):
        return None
    return raw[raw.rindex(")") + 2 :].split()


def _pids() -> list[int]:
    return [int(entry.name) for entry in PROC.iterdir() if entry.name.isdigit()]


def session_cpu_seconds(session: int) -> float:
    """User + system CPU seconds of every process in ``session``, reaped children included."""
    ticks = 0
    for pid in _pids():
        fields = _stat(pid)
        if fields is not None and int(fields[_SESSION]) == session:
            ticks += sum(int(fields[i]) for i in (_UTIME, _STIME, _CUTIME, _CSTIME))
    return ticks / TICK


def process_cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of one process (cheap enough to poll)."""
    fields = _stat(pid)
    if fields is None:
        raise ProcessLookupError(pid)
    return sum(int(fields[i]) for i in (_UTIME, _STIME, _CUTIME, _CSTIME)) / TICK


def session_pids(session: int) -> list[int]:
    """Live processes of a session."""
    return [pid for pid in _pids() if (f := _stat(pid)) is not None and int(f[_SESSION]) == session]


def peak_rss_bytes(pid: int) -> int:
    """VmHWM: the process's peak resident set size since it started."""
    for line in (PROC / str(pid) / "status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024
    raise RuntimeError(f"no VmHWM for pid {pid}")


def host_busy_seconds() -> float:
    """CPU seconds all cores spent not idle since boot (first line of /proc/stat)."""
    values = [int(v) for v in (PROC / "stat").read_text().splitlines()[0].split()[1:]]
    user, nice, system, _idle, _iowait, irq, softirq = values[:7]
    return (user + nice + system + irq + softirq) / TICK


def self_cpu_seconds() -> float:
    """This (bench) process's CPU seconds."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def cmdline(pid: int) -> str:
    """A process's command line, '' if it is gone."""
    try:
        return (PROC / str(pid) / "cmdline").read_bytes().replace(b"\0", b" ").decode()
    except (FileNotFoundError, ProcessLookupError):
        return ""


def other_apiservers(own: set[int]) -> int:
    """kube-apiserver processes not in ``own``: other local clusters sharing the CPUs."""
    return sum(
        1
        for pid in _pids()
        if pid not in own and cmdline(pid).split(" ", 1)[0].endswith("/kube-apiserver")
    )


@dataclass(frozen=True)
class CpuSnapshot:
    """Cumulative CPU seconds at one moment; subtract two to get a run's share."""

    operator: float
    components: dict[str, float]
    bench: float
    host_busy: float

    def minus(self, earlier: CpuSnapshot) -> CpuSnapshot:
        """The CPU seconds spent between ``earlier`` and this snapshot."""
        return CpuSnapshot(
            operator=self.operator - earlier.operator,
            components={k: v - earlier.components.get(k, 0.0) for k, v in self.components.items()},
            bench=self.bench - earlier.bench,
            host_busy=self.host_busy - earlier.host_busy,
        )

    @property
    def others(self) -> float:
        """Host busy time not accounted for by the operator, the cluster or the bench."""
        return self.host_busy - self.operator - sum(self.components.values()) - self.bench


def snapshot(operator_session: int, components: dict[str, int]) -> CpuSnapshot:
    """CPU seconds of the operator, each cluster component (by session), the bench, the host."""
    return CpuSnapshot(
        operator=session_cpu_seconds(operator_session),
        components={name: session_cpu_seconds(pid) for name, pid in components.items()},
        bench=self_cpu_seconds(),
        host_busy=host_busy_seconds(),
    )
