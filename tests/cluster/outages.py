"""Keeping a watch going while the API server restarts (the chaos suite restarts it).

A watch breaks when the API server goes away (connection refused, reset) and,
once it is back, may answer 410 Gone: a restarted watch cache starts at etcd's
current revision, so an older resourceVersion cannot be resumed. Then the
only way on is a fresh list.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from kubernetes.client.exceptions import ApiException
from urllib3.exceptions import HTTPError

GONE = 410
RECONNECT_BACKOFF = 0.5
OUTAGE = (ApiException, HTTPError, OSError, ValueError)
"""What a request meets while the API server is away (ValueError: a cut-off JSON line)."""


def watch_through_outages(
    watch_once: Callable[[], None],
    relist: Callable[[], None],
    stopping: threading.Event,
    on_outage: Callable[[BaseException], None] = lambda error: None,
) -> None:
    """Call ``watch_once`` until ``stopping``; reconnect after outages, ``relist`` after a 410."""
    while not stopping.is_set():
        try:
            watch_once()
        except OUTAGE as error:
            on_outage(error)
            stopping.wait(RECONNECT_BACKOFF)
            if isinstance(error, ApiException) and error.status == GONE:
                _relist_when_possible(relist, stopping)


def _relist_when_possible(relist: Callable[[], None], stopping: threading.Event) -> None:
    while not stopping.is_set():
        try:
            relist()
        except OUTAGE:
            stopping.wait(RECONNECT_BACKOFF)
        else:
            return
