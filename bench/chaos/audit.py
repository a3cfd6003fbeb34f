"""Job creations as the API server's audit log records them: the count no restart can lose.

The chaos cluster's kube-apiserver writes one audit event per ``create`` of a
Job (level Request, so the event holds the Job's labels) in blocking mode:
the event is on disk before the API server answers, so every Job it created
is in the log, also across its own restarts (they append to the same file).
A watch can miss a Job created and deleted while the API server was away;
the audit log cannot. Counting answers 201 per (release, run, step, attempt)
proves "exactly one Job per attempt" (a 5xx answer leaves it open whether that
create stored the Job; the Job watch then decides); 409 answers are the operator finding
its own Job again after a crash (AlreadyExists), which is fine.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from tests.cluster import components

from appdeploy.k8s.labels import ATTEMPT, DEPLOYMENT, RUN, STEP

POLICY = """\
apiVersion: audit.k8s.io/v1
kind: Policy
omitStages: [RequestReceived, ResponseStarted]
rules:
- level: Request
  verbs: [create]
  resources: [{group: batch, resources: [jobs]}]
- level: None
"""

CREATED, TAKEN, SERVER_ERROR = 201, 409, 500
Attempt = tuple[str, str, str, str]
"""(release, run, step, attempt), from the Job's labels."""


@contextlib.contextmanager
def audited_apiserver(directory: Path) -> Iterator[Path]:
    """While active, clusters started in this process audit Job creations to the yielded file."""
    directory.mkdir(parents=True, exist_ok=True)
    policy, log = directory / "audit-policy.yaml", directory / "audit.log"
    policy.write_text(POLICY)
    original = components.apiserver

    def audited(*args: Any, **kwargs: Any) -> components.Component:
        component = original(*args, **kwargs)
        flags = [
            f"--audit-policy-file={policy}",
            f"--audit-log-path={log}",
            "--audit-log-format=json",
            "--audit-log-mode=blocking",
            "--audit-log-maxbackup=0",
        ]
        return dataclasses.replace(component, argv=[*component.argv, *flags])

    components.apiserver = audited
    try:
        yield log
    finally:
        components.apiserver = original


@dataclasses.dataclass(frozen=True)
class JobCreates:
    """Answers to the Job creates in one namespace."""

    created: Counter[Attempt]
    already_existed: Counter[Attempt]
    unknown: Counter[Attempt]
    """Answers that do not say whether the Job was stored (5xx, e.g. a 504 while etcd
    restarted: the write may have committed after the API server gave up waiting)."""
    other: Counter[int]
    """Any other answer, by HTTP code."""


def job_creates(log: Path, namespace: str) -> JobCreates:
    """Read the audit log: which Job creates got which answer."""
    created: Counter[Attempt] = Counter()
    taken: Counter[Attempt] = Counter()
    unknown: Counter[Attempt] = Counter()
    other: Counter[int] = Counter()
    for line in log.read_text().splitlines():
        event = json.loads(line)
        if (event.get("objectRef") or {}).get("namespace") != namespace:
            continue
        labels = ((event.get("requestObject") or {}).get("metadata") or {}).get("labels") or {}
        if DEPLOYMENT not in labels:
            continue
        attempt = (
            labels[DEPLOYMENT],
            labels.get(RUN, ""),
            labels.get(STEP, ""),
            labels.get(ATTEMPT, ""),
        )
        code = int((event.get("responseStatus") or {}).get("code") or 0)
        if code == CREATED:
            created[attempt] += 1
        elif code == TAKEN:
            taken[attempt] += 1
        elif code >= SERVER_ERROR or code == 0:
            unknown[attempt] += 1
        else:
            other[code] += 1
    return JobCreates(created, taken, unknown, other)
