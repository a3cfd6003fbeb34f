"""Everything the demo reacts to, as items on one queue: no sleep-polling.

Two Kubernetes watches (the release, and Events about it), the operator
process's exit and each approval command in flight run in daemon threads and
put items on a queue; the demo's loop blocks on that queue. A watch that
ends (server timeout) resumes from the last resourceVersion; one that
expired (410 Gone) lists again.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kubernetes import client, watch
from kubernetes.client.exceptions import ApiException
from tests.cluster.clients import admin_client
from urllib3.exceptions import HTTPError

from demo.approvers import Outcome
from demo.install import GROUP, PLURAL, VERSION

GONE = 410
WATCH_SECONDS = 60
RETRY_SECONDS = 1.0
JOIN_SECONDS = 2.0


@dataclass(frozen=True)
class ReleaseChanged:
    """The release as stored now (None once it was deleted)."""

    body: dict[str, Any] | None


@dataclass(frozen=True)
class EventSeen:
    """A core/v1 Event about the release."""

    uid: str
    type: str
    reason: str
    message: str


@dataclass(frozen=True)
class OperatorExited:
    """The operator process ended while the demo still needed it."""

    code: int


@dataclass(frozen=True)
class WatchTrouble:
    """A watch failed and is being retried (shown once, so a dead API server is visible)."""

    what: str
    error: str


Item = ReleaseChanged | EventSeen | OperatorExited | WatchTrouble | Outcome


class _Watch(threading.Thread):
    """List, then watch from the list's resourceVersion, forever (until stopped)."""

    def __init__(
        self,
        what: str,
        items: queue.Queue[Item],
        stop: threading.Event,
        list_call: Callable[..., Any],
        to_items: Callable[[str, Any], Iterator[Item]],
    ) -> None:
        super().__init__(name=f"watch {what}", daemon=True)
        self.what = what
        self.items = items
        self.stop_requested = stop
        self.list_call = list_call
        self.to_items = to_items
        self.stream: Any = None

    def close(self) -> None:
        """Shut the open watch connection, so the API server is not left holding it."""
        if self.stream is not None:
            self.stream.stop()

    def run(self) -> None:
        try:
            self._follow()
        except Exception:
            if not self.stop_requested.is_set():
                raise
            # Closing the connection under a reading stream fails in various ways; all mean "stop".

    def _follow(self) -> None:
        resource_version: str | None = None
        while not self.stop_requested.is_set():
            try:
                if resource_version is None:
                    resource_version = self._list()
                stream: Any = watch.Watch()  # type: ignore[no-untyped-call]
                self.stream = stream
                for event in stream.stream(
                    self.list_call,
                    resource_version=resource_version,
                    timeout_seconds=WATCH_SECONDS,
                    allow_watch_bookmarks=True,
                ):
                    if self.stop_requested.is_set():
                        stream.stop()
                        return
                    raw = event["raw_object"]
                    resource_version = raw.get("metadata", {}).get("resourceVersion") or (
                        resource_version
                    )
                    if event["type"] != "BOOKMARK":
                        for item in self.to_items(event["type"], raw):
                            self.items.put(item)
            except ApiException as error:
                if error.status == GONE:
                    resource_version = None
                    continue
                self._trouble(f"{error.status} {error.reason}")
            except (HTTPError, OSError) as error:
                if self.stop_requested.is_set():
                    return
                self._trouble(str(error))

    def _list(self) -> str:
        listing = self.list_call()
        if isinstance(listing, dict):
            for raw in listing.get("items", []):
                for item in self.to_items("ADDED", raw):
                    self.items.put(item)
            return str(listing["metadata"]["resourceVersion"])
        api: Any = client.ApiClient()
        for model in listing.items:
            for item in self.to_items("ADDED", api.sanitize_for_serialization(model)):
                self.items.put(item)
        return str(listing.metadata.resource_version)

    def _trouble(self, error: str) -> None:
        self.items.put(WatchTrouble(self.what, error))
        self.stop_requested.wait(RETRY_SECONDS)  # back off after an error, then resume


class Watches:
    """The release and Event watches, plus the operator-exit waiter, feeding one queue."""

    def __init__(self, kubeconfig: Path, namespace: str, name: str) -> None:
        self.items: queue.Queue[Item] = queue.Queue()
        self._stop = threading.Event()
        self._apis = [admin_client(kubeconfig), admin_client(kubeconfig)]
        custom = client.CustomObjectsApi(self._apis[0])
        core = client.CoreV1Api(self._apis[1])
        selector = f"metadata.name={name}"

        def list_release(**kwargs: Any) -> Any:
            return custom.list_namespaced_custom_object(
                GROUP, VERSION, namespace, PLURAL, field_selector=selector, **kwargs
            )

        def list_events(**kwargs: Any) -> Any:
            return core.list_namespaced_event(
                namespace,
                field_selector=f"involvedObject.kind=AppDeployment,involvedObject.name={name}",
                **kwargs,
            )

        self._watches = [
            _Watch(f"AppDeployment {name}", self.items, self._stop, list_release, _release_items),
            _Watch(f"Events of {name}", self.items, self._stop, list_events, _event_items),
        ]
        self._threads: list[threading.Thread] = list(self._watches)

    def follow_process(self, wait: Callable[[], int]) -> None:
        """Report when the process behind ``wait`` (e.g. Popen.wait) exits."""

        def waiter() -> None:
            code = wait()
            if not self._stop.is_set():
                self.items.put(OperatorExited(code))

        self._threads.append(threading.Thread(target=waiter, name="operator", daemon=True))

    def report(self, name: str, result: Callable[[], Item]) -> None:
        """Run ``result`` (e.g. an approval command's end) in a thread; queue what it returns."""

        def waiter() -> None:
            item = result()
            if not self._stop.is_set():
                self.items.put(item)

        threading.Thread(target=waiter, name=name, daemon=True).start()

    def start(self) -> Watches:
        for thread in self._threads:
            thread.start()
        return self

    def stop(self) -> None:
        """End the watches and close their connections (a cluster stopped next shuts down fast).

        An open watch keeps the API server from shutting down until it gives up
        on it; the threads are daemons, so a blocked one never holds up the exit.
        """
        self._stop.set()
        for watcher in self._watches:
            watcher.close()
        for watcher in self._watches:
            watcher.join(JOIN_SECONDS)
        for api in self._apis:
            api.close()

    def get(self, timeout: float | None) -> Item:
        """The next item; raises queue.Empty after ``timeout`` seconds (None: wait forever)."""
        return self.items.get(timeout=timeout)


def _release_items(kind: str, raw: dict[str, Any]) -> Iterator[Item]:
    yield ReleaseChanged(None if kind == "DELETED" else raw)


def _event_items(kind: str, raw: dict[str, Any]) -> Iterator[Item]:
    if kind == "DELETED":
        return
    involved = raw.get("involvedObject") or raw.get("involved_object") or {}
    yield EventSeen(
        uid=str(involved.get("uid") or ""),
        type=str(raw.get("type") or ""),
        reason=str(raw.get("reason") or ""),
        message=str(raw.get("message") or ""),
    )
