"""NotificationChannels: a cache fed by their watch, and the check that writes their Ready.

Every channel of the watched namespaces is watched (a label selector cannot
pick them: people create them). A channel is checked when it is new, when its
spec changed and when its lastDelivery did: its spec parsed, its provider URL
against the allow-list, each Secret key it names read (GET by name: the
operator never lists or watches Secrets, so it does not learn when one
appears, and a channel that is not Ready is checked again every 30 seconds).
The outcome is its ``Ready`` condition; when Ready flips, every release of
the namespace is reconciled, so their view of the channel (``Observed.channels``)
follows.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

import kopf

from appdeploy.api.channels import CHANNEL_PLURAL
from appdeploy.controller.cache import Key
from appdeploy.controller.queue import WorkQueue
from appdeploy.controller.task_pool import TaskPool
from appdeploy.engine.inputs import ChannelState
from appdeploy.k8s.cluster import Cluster
from appdeploy.k8s.labels import GROUP, VERSION
from appdeploy.notify.blocking import Blocking
from appdeploy.notify.channel_check import READY, check_channel, ready_condition
from appdeploy.notify.channel_transports import secret_reader

RECHECK_NOT_READY = 30.0
"""Seconds until a channel that is not Ready is checked again (its Secret may have appeared)."""
CHECK_TASKS = 2


def channel_state(channel: Mapping[str, Any]) -> ChannelState:
    """The planner's view of a channel: its Ready condition."""
    conditions = (channel.get("status") or {}).get("conditions") or []
    ready = next((c for c in conditions if c.get("type") == READY), None)
    if ready is None:
        return ChannelState(ready=False, reason="NotChecked: the operator has not checked it yet")
    if ready.get("status") == "True":
        return ChannelState(ready=True)
    return ChannelState(ready=False, reason=f"{ready.get('reason')}: {ready.get('message') or ''}")


class ChannelCache:
    """The channels of the watched namespaces, by (namespace, name); any thread."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._channels: dict[Key, dict[str, Any]] = {}

    def put(self, body: Mapping[str, Any], deleted: bool) -> tuple[bool, bool]:
        """Record (or forget) a channel: (needs a check, its Ready changed)."""
        metadata = body.get("metadata") or {}
        key = (str(metadata.get("namespace") or ""), str(metadata.get("name") or ""))
        slim: dict[str, Any] = {
            "metadata": {
                field: metadata.get(field) for field in ("name", "namespace", "uid", "generation")
            },
            "spec": body.get("spec"),
            "status": body.get("status") or {},
        }
        with self._lock:
            old = self._channels.pop(key, None)
            if not deleted:
                self._channels[key] = slim
        if deleted:  # the releases naming it see it gone
            return False, old is not None
        if old is None:
            return True, True
        status, old_status = slim["status"], old["status"]
        check = (
            old["metadata"]["generation"] != metadata.get("generation")
            or old_status.get("lastDelivery") != status.get("lastDelivery")
            or status.get("observedGeneration") != metadata.get("generation")
        )
        return check, channel_state(old) != channel_state(slim)

    def names(self, namespace: str) -> set[str]:
        """The names of the channels of ``namespace`` as last seen."""
        with self._lock:
            return {name for (space, name) in self._channels if space == namespace}

    def get(self, namespace: str, name: str) -> dict[str, Any] | None:
        """A channel as last seen, or None."""
        with self._lock:
            return self._channels.get((namespace, name))


def named_channels(spec: Mapping[str, Any]) -> set[str]:
    """The channels a release names (``spec.notify``, gates' ``notify`` and escalation levels).

    Read from the raw spec, leniently: an invalid spec is the planner's to report.
    """
    names: set[str] = set()

    def add(notify: Any) -> None:
        channels = notify.get("channels") if isinstance(notify, Mapping) else None
        if isinstance(channels, list):
            names.update(name for name in channels if isinstance(name, str) and name)

    add(spec.get("notify"))
    for step in [*(spec.get("steps") or []), *(spec.get("finally") or [])]:
        gate = step.get("gate") if isinstance(step, Mapping) else None
        if not isinstance(gate, Mapping):
            continue
        add(gate.get("notify"))
        notify = gate.get("notify")
        for level in (notify.get("escalate") or []) if isinstance(notify, Mapping) else []:
            if isinstance(level, Mapping):
                add(level.get("notify"))
    return names


class ChannelChecks:
    """Checks channels off their own queue and writes their Ready condition."""

    def __init__(
        self,
        cluster: Cluster,
        blocking: Blocking,
        allowed_urls: tuple[str, ...],
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.cluster = cluster
        self.blocking = blocking
        self.allowed_urls = allowed_urls
        self.clock = clock
        self.queue: WorkQueue[Key] = WorkQueue()
        self.pool = TaskPool(self.queue, self.check, CHECK_TASKS, "channel-check")

    async def check(self, key: Key) -> float | None:
        """Check one channel now; when to check it again."""
        namespace, name = key
        channel = await self.blocking(self.cluster.get_channel, namespace, name)
        if channel is None:
            return None
        found = await self.blocking(
            check_channel,
            channel.get("spec"),
            secret_reader(self.cluster, namespace),
            self.allowed_urls,
        )
        status = channel.get("status") or {}
        generation = int((channel.get("metadata") or {}).get("generation") or 0)
        old = [c for c in status.get("conditions") or [] if isinstance(c, Mapping)]
        ready = ready_condition(found, status.get("lastDelivery"), old, generation, self.clock())
        conditions = [*(c for c in old if c.get("type") != READY), ready]
        if conditions != old or status.get("observedGeneration") != generation:
            await self.blocking(
                self.cluster.patch_channel_status,
                namespace,
                name,
                {"observedGeneration": generation, "conditions": conditions},
            )
        return None if ready["status"] == "True" else RECHECK_NOT_READY


def register_channel_watch(
    registry: kopf.OperatorRegistry,
    cache: ChannelCache,
    checks: Callable[[], ChannelChecks | None],
    ready_changed: Callable[[str], None],
) -> None:
    """Feed ``cache`` from channel events; queue checks; report Ready flips by namespace."""

    @kopf.on.event(GROUP, VERSION, CHANNEL_PLURAL, registry=registry)
    def on_channel(event: kopf.RawEvent, name: str, namespace: str | None, **_: Any) -> None:
        if not namespace:
            return
        check, flipped = cache.put(event["object"], deleted=event.get("type") == "DELETED")
        checker = checks()
        if check and checker is not None:
            checker.queue.add((namespace, name))
        if flipped:
            ready_changed(namespace)
