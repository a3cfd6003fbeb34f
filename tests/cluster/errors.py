"""Errors the launcher reports; each names the component and its log."""

from __future__ import annotations

from pathlib import Path

TAIL_LINES = 25


def tail(path: Path, lines: int = TAIL_LINES) -> str:
    """The last `lines` lines of a log file ("" if it does not exist)."""
    try:
        with path.open("rb") as handle:
            # Logs can be large; reading the end is enough for a diagnosis.
            handle.seek(0, 2)
            size = handle.tell()
            handle.seek(max(0, size - 64 * 1024))
            data = handle.read().decode("utf-8", errors="replace")
    except FileNotFoundError:
        return ""
    return "\n".join(data.splitlines()[-lines:])


class ClusterError(RuntimeError):
    """The local cluster could not be started, inspected or stopped."""


class ComponentError(ClusterError):
    """A component failed; the message names it and quotes its log."""

    def __init__(self, component: str, problem: str, log: Path | None) -> None:
        self.component = component
        self.log = log
        message = f"{component}: {problem}"
        if log is not None:
            message += f"\n  log: {log}"
            last = tail(log)
            if last:
                indented = "\n".join(f"    | {line}" for line in last.splitlines())
                message += f"\n  last lines:\n{indented}"
            if "address already in use" in last:
                message += (
                    "\n  hint: another process took this port between allocation and bind; "
                    "run `up` again (ports are random)"
                )
        super().__init__(message)
