"""Count Job creations as the API server saw them, not Jobs that exist at the end.

Job names are deterministic (``<release>-<step>-r<run>-a<attempt>``), so a Job
that was deleted and created again has the same name: listing Jobs at the end
of a story cannot tell one creation from two. Every creation gets a new uid,
though, so a watch started before the story records each uid it sees per
(run, step, attempt). The watch resumes from the last resourceVersion it saw,
so nothing slips between two watch requests; if the API server can no longer
resume it (410 Gone), counting fails instead of guessing.

The chaos suite restarts the API server under it, which breaks connections and
answers 410 (a restarted watch cache starts at etcd's current revision). With
``survive_outages`` the watch reconnects instead of failing, and after a 410
it re-lists: each uid in that list is still counted once, and ``gaps`` says
how often a Job created *and* deleted inside such a gap could have been missed
(the chaos suite cross-checks with the API server's audit log).
"""

from __future__ import annotations

import json
import threading
from collections import Counter, defaultdict
from typing import Any

from kubernetes import client
from kubernetes.client.exceptions import ApiException
from kubernetes.watch.watch import iter_resp_lines

from appdeploy.k8s.labels import ATTEMPT, DEPLOYMENT, RUN, STEP
from tests.cluster.outages import watch_through_outages
from tests.cluster.wait import wait_for

Attempt = tuple[str, str, str]
"""(run, step, attempt), from the Job's labels."""

WATCH_SECONDS = 2
CATCH_UP_TIMEOUT = 30.0


class JobCreations:
    """Distinct Job uids per (run, step, attempt) in one namespace, from a watch."""

    def __init__(self, api_client: Any, namespace: str, *, survive_outages: bool = False) -> None:
        self.survive_outages = survive_outages
        self.gaps = 0
        """Re-lists after a 410 (only with ``survive_outages``)."""
        self.batch = client.BatchV1Api(api_client)
        self.namespace = namespace
        self._lock = threading.Lock()
        self._uids: dict[tuple[str, Attempt], set[str]] = defaultdict(set)
        self._failure: BaseException | None = None
        self._stopping = threading.Event()
        self._resource_version = ""
        self._relist()
        self._thread = threading.Thread(target=self._watch, name="job-creations", daemon=True)
        self._thread.start()

    def _relist(self) -> None:
        listed = self.batch.list_namespaced_job(self.namespace)
        for job in listed.items:
            self._record(self.batch.api_client.sanitize_for_serialization(job))
        self._resource_version = listed.metadata.resource_version

    def _record(self, job: dict[str, Any]) -> None:
        metadata = job["metadata"]
        labels = metadata.get("labels") or {}
        if DEPLOYMENT not in labels:
            return
        key = (
            labels[DEPLOYMENT],
            (labels.get(RUN, ""), labels.get(STEP, ""), labels.get(ATTEMPT, "")),
        )
        with self._lock:
            self._uids[key].add(metadata["uid"])

    def _watch(self) -> None:
        try:
            if self.survive_outages:
                watch_through_outages(self._watch_once, self._counted_relist, self._stopping)
            else:
                while not self._stopping.is_set():
                    self._watch_once()
        except BaseException as error:  # reported by counts(), never swallowed
            self._failure = error

    def _counted_relist(self) -> None:
        self._relist()
        self.gaps += 1

    def _watch_once(self) -> None:
        # Raw lines rather than watch.Watch(): with deserialize=False it fails on an
        # ERROR event (KeyError) instead of saying 410, which survive_outages needs.
        response = self.batch.list_namespaced_job(
            self.namespace,
            watch=True,
            resource_version=self._resource_version,
            allow_watch_bookmarks=True,
            timeout_seconds=WATCH_SECONDS,
            _preload_content=False,
        )
        try:
            for line in iter_resp_lines(response):  # type: ignore[no-untyped-call]
                if not line:
                    continue
                event = json.loads(line)
                job = event["object"]
                if event["type"] == "ERROR":
                    raise ApiException(status=job.get("code"), reason=job.get("message"))
                self._resource_version = job["metadata"]["resourceVersion"]
                if event["type"] != "BOOKMARK":
                    self._record(job)
        finally:
            response.release_conn()

    def counts(self, release: str) -> Counter[Attempt]:
        """How many Jobs of ``release`` were created per (run, step, attempt) since this began.

        Waits until the watch has seen every Job that exists now, so a Job
        created a moment ago is never missed.
        """

        def caught_up() -> bool:
            if self._failure is not None:
                raise AssertionError(f"the Job watch broke: {self._failure!r}")
            listed = self.batch.list_namespaced_job(self.namespace).items
            with self._lock:
                seen = set().union(*self._uids.values())
            return all(job.metadata.uid in seen for job in listed)

        wait_for(caught_up, CATCH_UP_TIMEOUT, f"the Job watch on {self.namespace} to catch up")
        with self._lock:
            return Counter(
                {
                    attempt: len(uids)
                    for (name, attempt), uids in self._uids.items()
                    if name == release
                }
            )

    def stop(self) -> None:
        """End the watch (within one watch request's timeout)."""
        self._stopping.set()
        self._thread.join(WATCH_SECONDS + 5)
