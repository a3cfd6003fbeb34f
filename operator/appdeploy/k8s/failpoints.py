"""Crash points for the crash-safety tests (never set in production).

``APPDEPLOY_FAILPOINTS=after-job-create,before-status-write`` makes the
operator kill itself with SIGKILL when it reaches one of those points, so a
test can prove that a crash at exactly that moment loses no state and
duplicates no Job or notification. Like etcd's gofail, but only named points:
three of applying a plan, two of delivering a notification (claimed but not
sent; sent but not recorded).
"""

from __future__ import annotations

import os
import signal

ENV = "APPDEPLOY_FAILPOINTS"
POINTS = (
    "after-job-create",
    "before-status-write",
    "after-status-write",
    "after-notification-claim",
    "after-notification-send",
)


def failpoint(name: str) -> None:
    """SIGKILL this process if the failpoint ``name`` is armed."""
    assert name in POINTS, name
    if name in os.environ.get(ENV, "").split(","):
        os.kill(os.getpid(), signal.SIGKILL)
