"""Start and stop component processes, each in its own process group.

Components outlive the `up` command that starts them, so `down` may run in a
different process that cannot wait() for them. Liveness is therefore read from
/proc, and every record carries the process start time so a recycled PID is
never mistaken for (and never killed as) one of ours.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from tests.cluster.errors import ComponentError
from tests.cluster.wait import WaitTimeout, wait_for

STOP_GRACE_SECONDS = 10.0
_TCP_LISTEN = "0A"  # state column of /proc/net/tcp


@dataclass(frozen=True)
class ProcessRecord:
    """What `down` and `status` need to find a component again."""

    name: str
    pid: int
    start_ticks: int
    log: str

    @property
    def log_path(self) -> Path:
        return Path(self.log)


def _stat_fields(pid: int) -> list[str] | None:
    """Fields of /proc/<pid>/stat after the command name, or None if gone."""
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except (FileNotFoundError, ProcessLookupError):
        return None
    # The command name may contain spaces and parentheses; it ends at the
    # last ')'. Field 3 (state) is then index 0, field 5 (pgrp) index 2 and
    # field 22 (starttime) index 19.
    return raw[raw.rindex(")") + 2 :].split()


def start_ticks(pid: int) -> int | None:
    fields = _stat_fields(pid)
    return int(fields[19]) if fields else None


def is_running(record: ProcessRecord) -> bool:
    """True while the recorded process (not a PID reuse) is alive, not a zombie."""
    fields = _stat_fields(record.pid)
    return fields is not None and fields[0] != "Z" and int(fields[19]) == record.start_ticks


def _group_members(pgid: int) -> list[int]:
    """Live (non-zombie) processes in process group `pgid`."""
    members = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        fields = _stat_fields(int(entry.name))
        if fields is not None and fields[0] != "Z" and int(fields[2]) == pgid:
            members.append(int(entry.name))
    return members


def _owns_group(record: ProcessRecord) -> bool:
    """False if the group's leader PID now belongs to an unrelated process."""
    ticks = start_ticks(record.pid)
    return ticks is None or ticks == record.start_ticks


def listening_ports(pid: int) -> set[int]:
    """TCP ports on which process `pid` itself holds a listening socket.

    Lets readiness checks tell "our component answers" from "some other
    process that already had this port answers".
    """
    try:
        inodes = {
            os.readlink(fd)[len("socket:[") : -1]
            for fd in Path(f"/proc/{pid}/fd").iterdir()
            if os.readlink(fd).startswith("socket:[")
        }
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        return set()
    ports = set()
    for table in ("tcp", "tcp6"):
        try:
            lines = Path(f"/proc/{pid}/net/{table}").read_text().splitlines()[1:]
        except FileNotFoundError:
            continue
        for line in lines:
            fields = line.split()
            local, state, inode = fields[1], fields[3], fields[9]
            if state == _TCP_LISTEN and inode in inodes:
                ports.add(int(local.rsplit(":", 1)[1], 16))
    return ports


def spawn(
    name: str, argv: list[str], log: Path, env: dict[str, str], cwd: Path
) -> subprocess.Popen[bytes]:
    """Start `argv` detached in a new session, output appended to `log`."""
    binary = Path(argv[0])
    if not (binary.is_file() and os.access(binary, os.X_OK)):
        raise ComponentError(
            name, f"binary not found or not executable: {binary} (run tests/cluster/build.sh)", None
        )
    with log.open("ab") as output:
        output.write(
            f"# {time.strftime('%Y-%m-%dT%H:%M:%S')} starting: {' '.join(argv)}\n".encode()
        )
        output.flush()
        # A new session gives the component its own process group (killed as a
        # whole by `down`) and detaches it from the terminal's SIGINT/SIGHUP.
        return subprocess.Popen(
            argv,
            stdin=subprocess.DEVNULL,
            stdout=output,
            stderr=subprocess.STDOUT,
            env=env,
            cwd=cwd,
            start_new_session=True,
        )


def record_for(name: str, process: subprocess.Popen[bytes], log: Path) -> ProcessRecord:
    ticks = start_ticks(process.pid)
    if ticks is None:
        # It exited before we could look; keep a record that never matches.
        ticks = -1
    return ProcessRecord(name=name, pid=process.pid, start_ticks=ticks, log=str(log))


def stop(record: ProcessRecord, grace: float = STOP_GRACE_SECONDS) -> bool:
    """SIGTERM the component's process group, SIGKILL what remains after `grace`.

    Returns True when no process of the group is left.
    """
    if not _owns_group(record):
        return True
    for sig, wait_seconds in ((signal.SIGTERM, grace), (signal.SIGKILL, 5.0)):
        if not _group_members(record.pid):
            return True
        try:
            os.killpg(record.pid, sig)
        except ProcessLookupError:
            return True
        try:
            wait_for(
                lambda: not _group_members(record.pid),
                wait_seconds,
                f"{record.name}'s processes to exit after {sig.name}",
            )
            return True
        except WaitTimeout:
            continue
    return not _group_members(record.pid)
