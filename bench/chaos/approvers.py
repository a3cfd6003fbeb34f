"""People approving at random moments, as themselves, through the API server.

Each approval is a merge-PATCH of ``approve.appdeploy.dev/<gate>`` (a plain
comment, what ``kubectl annotate`` sends) by an impersonating client, so the
API server authenticates the person, the operator's mutating webhook moves
it to ``<author>.approve.appdeploy.dev/<gate>`` and signs it, and the
validating webhook checks it. Nobody writes an identity or a signature.

While the operator (which serves the webhooks) or the API server is down the
PATCH fails (the webhooks' failurePolicy is Fail: no decision is stored
unsigned); the person tries again shortly after, as people do. An approval
is *sent* once the API server answered 200. If an answer was lost (the API
server went away mid-request) and the retry is refused because the approval
is already there, it counts as sent too, and is reported as such.
"""

from __future__ import annotations

import heapq
import itertools
import logging
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from kubernetes import client
from kubernetes.client.exceptions import ApiException
from tests.cluster.clients import impersonating_client
from urllib3.exceptions import HTTPError

from appdeploy.k8s.labels import GROUP, PLURAL, VERSION
from bench.chaos.plan import APPROVERS, Approver, Release

log = logging.getLogger("chaos.approvers")

THREADS = 4
RETRY_AFTER = 0.5
REQUEST_TIMEOUT = 15
ALREADY = ("already approved", "already passed")
"""How the validating webhook refuses a second approval by the same person (or of a passed
gate): after a lost answer, that means the first one was stored."""


@dataclass(order=True)
class _Due:
    at: float
    order: int
    release: str = field(compare=False)
    gate: str = field(compare=False)
    person: Approver = field(compare=False)
    tries: int = field(default=0, compare=False)


@dataclass
class Tally:
    """What the approvers did."""

    sent: set[tuple[str, str, str]] = field(default_factory=set)
    """(release, gate, user) the API server accepted."""
    lost_answers: set[tuple[str, str, str]] = field(default_factory=set)
    """Sent, but only known from a retry refused as 'already approved'."""
    retries: Counter[str] = field(default_factory=Counter)
    """Failed attempts that were tried again, by reason."""
    refused: list[str] = field(default_factory=list)
    """Refusals that were not an outage (something went wrong)."""


class Approvers:
    """Schedules every person's approval at their delay after the gate opened."""

    def __init__(self, kubeconfig: Path, namespace: str, releases: list[Release]) -> None:
        self._namespace = namespace
        self._delays = {release.name: release.approval_delays for release in releases}
        self._clients = {
            person.user: client.CustomObjectsApi(
                impersonating_client(kubeconfig, person.user, person.groups)
            )
            for people in APPROVERS.values()
            for person in people
        }
        self._due: list[_Due] = []
        self._order = itertools.count()
        self._wake = threading.Condition()
        self._pool = ThreadPoolExecutor(THREADS, thread_name_prefix="approver")
        self._stopping = False
        self._in_flight = 0
        self.tally = Tally()
        self._thread = threading.Thread(target=self._dispatch, name="approvals", daemon=True)
        self._thread.start()

    def gate_opened(self, release: str, gate: str, at: float) -> None:
        """The follower saw ``gate`` Waiting: schedule its approvers."""
        delays = self._delays.get(release, {})
        with self._wake:
            for person in APPROVERS.get(gate, ()):
                delay = delays.get((gate, person.user), 0.0)
                heapq.heappush(
                    self._due, _Due(at + delay, next(self._order), release, gate, person)
                )
            self._wake.notify()

    def pending(self) -> int:
        """Approvals scheduled or in flight."""
        with self._wake:
            return len(self._due) + self._in_flight

    def close(self) -> None:
        with self._wake:
            self._stopping = True
            self._wake.notify()
        self._thread.join(5)
        self._pool.shutdown(wait=True, cancel_futures=True)

    def _dispatch(self) -> None:
        with self._wake:
            while not self._stopping:
                now = time.monotonic()
                if self._due and self._due[0].at <= now:
                    due = heapq.heappop(self._due)
                    self._in_flight += 1
                    self._pool.submit(self._send, due)
                    continue
                self._wake.wait(self._due[0].at - now if self._due else None)

    def _send(self, due: _Due) -> None:
        key = (due.release, due.gate, due.person.user)
        again = False
        try:
            again = self._patch(due, key)
        except Exception as error:  # reported, never lost: the run fails on it
            log.exception("approval %s crashed", key)
            self.tally.refused.append(f"{key}: {error!r}")
        with self._wake:
            self._in_flight -= 1
            if again:
                due.at, due.tries = time.monotonic() + RETRY_AFTER, due.tries + 1
                heapq.heappush(self._due, due)
            self._wake.notify()

    def _patch(self, due: _Due, key: tuple[str, str, str]) -> bool:
        """Send one approval; True when it must be tried again."""
        patch = {"metadata": {"annotations": {f"approve.{GROUP}/{due.gate}": "chaos: looks good"}}}
        try:
            self._clients[due.person.user].patch_namespaced_custom_object(
                GROUP,
                VERSION,
                self._namespace,
                PLURAL,
                due.release,
                patch,
                _request_timeout=REQUEST_TIMEOUT,
            )
        except ApiException as error:
            body = str(error.body or error.reason or "")
            if error.status == 403 and "cannot patch resource" in body:
                # RBAC, not the webhook: a restarted API server answers from
                # authorization caches that are still filling up; people try again.
                self.tally.retries["RBAC denied (API server just restarted)"] += 1
                return True
            if error.status and error.status < 500 and error.status != 429:
                if due.tries and any(words in body for words in ALREADY):
                    self.tally.sent.add(key)
                    self.tally.lost_answers.add(key)
                    return False
                self.tally.refused.append(f"{key}: {error.status} {body[:300]}")
                return False
            self.tally.retries[_outage_reason(error.status, body)] += 1
            return True
        except (HTTPError, OSError) as error:
            self.tally.retries[f"connection: {type(error).__name__}"] += 1
            return True
        self.tally.sent.add(key)
        return False


def _outage_reason(status: int | None, body: str) -> str:
    if "failed calling webhook" in body:
        return "webhook down (operator restarting)"
    return f"HTTP {status}"
