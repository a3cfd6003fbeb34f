"""Reconciles the watch cache against fresh LISTs, so deleted objects do not linger.

kopf re-lists a resource after a 410 or a lost watch and replays what it
lists as events of type None, but says nothing about objects that vanished
in between: their DELETE was never seen. client-go's informers emit
"deleted, final state unknown" for those; here a background thread LISTs the
managed Jobs and pods of every namespace the cache holds and prunes what the
LIST lacks. It runs when a watch (re-)lists, and every ``interval`` as a
backstop (a re-list of an empty result replays nothing to trigger on).
"""

from __future__ import annotations

import logging
import threading
from datetime import timedelta

from appdeploy.controller.cache import ReleaseCache
from appdeploy.k8s.cluster import Cluster
from appdeploy.k8s.labels import MANAGED_SELECTOR

log = logging.getLogger("appdeploy.resync")

RESYNC_INTERVAL = timedelta(minutes=10)


def resync_once(cache: ReleaseCache, cluster: Cluster) -> int:
    """Prune the cache against a LIST of each namespace it holds; how many entries went."""
    dropped = 0
    for namespace in sorted(cache.namespaces()):
        mark = cache.mark()
        jobs = cluster.live_uids("jobs", namespace, MANAGED_SELECTOR)
        pods = cluster.live_uids("pods", namespace, MANAGED_SELECTOR)
        dropped += cache.prune(namespace, jobs, pods, mark)
    if dropped:
        log.info("dropped %d cached Jobs and pods that no longer exist", dropped)
    return dropped


class Resync:
    """A thread that runs ``resync_once`` on request (coalesced) and every ``interval``."""

    def __init__(
        self, cache: ReleaseCache, cluster: Cluster, interval: timedelta = RESYNC_INTERVAL
    ) -> None:
        self.cache = cache
        self.cluster = cluster
        self.interval = interval
        self._wake = threading.Event()
        self._stopped = False
        self._thread = threading.Thread(target=self._loop, name="appdeploy-resync", daemon=True)

    def start(self) -> None:
        """Start the thread."""
        self._thread.start()

    def request(self) -> None:
        """Ask for a resync soon; safe from any thread, many requests make one pass."""
        self._wake.set()

    def stop(self) -> None:
        """Stop after the current pass."""
        self._stopped = True
        self._wake.set()
        self._thread.join()

    def _loop(self) -> None:
        while True:
            self._wake.wait(self.interval.total_seconds())
            self._wake.clear()
            if self._stopped:
                return
            try:
                resync_once(self.cache, self.cluster)
            except Exception:  # the next request or interval tries again
                log.exception("resync of the Job and pod cache failed")
