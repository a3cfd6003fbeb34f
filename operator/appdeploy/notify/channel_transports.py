"""One transport per channel, built from its spec and Secrets, kept while neither changes.

Before each batch of a release's records for a channel, the channel is
checked again (``check_channel``: spec, provider URL, Secret keys); the
transport is rebuilt when the channel's generation or a Secret value changed
(a rotated token takes effect at the next delivery, no restart), and the old
one is closed.

Which transports exist is the factory's business
(``appdeploy.notify.factory.transport_for``). ``APPDEPLOY_TRANSPORT_FACTORY``
(``module:function``) replaces it: a test-only hook, like
``APPDEPLOY_FAILPOINTS``, that lets the integration tests deliver through a
recording transport in the operator process.
"""

from __future__ import annotations

import asyncio
import hashlib
import importlib
import logging
import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, cast

from kubernetes.client.exceptions import ApiException

from appdeploy.api.channels import DeliveryGuarantee, NotificationChannelSpec, SecretKeyRef
from appdeploy.k8s.cluster import Cluster
from appdeploy.notify.blocking import Blocking
from appdeploy.notify.channel_check import (
    ChannelCheck,
    ChannelReason,
    SecretUnreadable,
    check_channel,
    redact,
)
from appdeploy.notify.factory import transport_for
from appdeploy.notify.transport import Transport

log = logging.getLogger("appdeploy.delivery")

FACTORY_ENV = "APPDEPLOY_TRANSPORT_FACTORY"

TransportFactory = Callable[[NotificationChannelSpec, Callable[[SecretKeyRef], str]], Transport]
ChannelLookup = Callable[[str, str], Mapping[str, Any] | None]
"""(namespace, name) -> the NotificationChannel object, or None when it does not exist."""


def load_factory() -> TransportFactory:
    """The transport factory: appdeploy's own, or ``APPDEPLOY_TRANSPORT_FACTORY`` (tests only)."""
    override = os.environ.get(FACTORY_ENV, "")
    if not override:
        return transport_for
    module_name, _, attribute = override.partition(":")
    return cast(TransportFactory, getattr(importlib.import_module(module_name), attribute))


class ChannelUnavailable(Exception):
    """The channel cannot deliver now; retried until the record's limits (docs/notifications.md)."""

    def __init__(self, check: ChannelCheck) -> None:
        super().__init__(check.message or str(check.reason))
        self.check = check

    @property
    def guarantee(self) -> DeliveryGuarantee | None:
        """The channel's guarantee, when its spec could be read."""
        return self.check.spec.guarantee() if self.check.spec is not None else None


@dataclass(frozen=True)
class ChannelTransport:
    """A checked channel and the transport that sends through it."""

    spec: NotificationChannelSpec
    transport: Transport
    secrets: tuple[str, ...]
    """The Secret values it uses, so errors can be redacted before they are stored."""

    def redact(self, text: str) -> str:
        """``text`` without any of the channel's Secret values."""
        return redact(text, self.secrets)


def secret_reader(cluster: Cluster, namespace: str) -> Callable[[str], Mapping[str, str] | None]:
    """Reads Secrets of ``namespace`` by name; a 403 is reported, not raised as an error."""

    def read(name: str) -> Mapping[str, str] | None:
        try:
            return cluster.read_secret(namespace, name)
        except ApiException as error:
            if error.status == 403:
                raise SecretUnreadable(
                    f"the operator may not read Secret {name} (403 Forbidden)"
                ) from None
            raise

    return read


class ChannelTransports:
    """Transports by channel, rebuilt when the channel or its Secrets change."""

    def __init__(
        self,
        cluster: Cluster,
        lookup: ChannelLookup,
        blocking: Blocking,
        allowed_urls: Sequence[str],
        factory: TransportFactory | None = None,
    ) -> None:
        self.cluster = cluster
        self.lookup = lookup
        self.blocking = blocking
        self.allowed_urls = tuple(allowed_urls)
        self.factory = factory or load_factory()
        self._built: dict[tuple[str, str], tuple[str, ChannelTransport]] = {}
        self._locks: dict[tuple[str, str], asyncio.Lock] = {}

    async def get(self, namespace: str, name: str) -> ChannelTransport:
        """The channel's transport, checked now; ChannelUnavailable says why not."""
        # One build per channel at a time: releases sharing it must not each make one.
        async with self._locks.setdefault((namespace, name), asyncio.Lock()):
            return await self._get(namespace, name)

    async def _get(self, namespace: str, name: str) -> ChannelTransport:
        channel = await self.blocking(self.lookup, namespace, name)
        if channel is None:
            await self.forget(namespace, name)
            raise ChannelUnavailable(
                ChannelCheck(
                    ChannelReason.CHANNEL_NOT_FOUND, f"NotificationChannel {name} not found"
                )
            )
        check = await self.blocking(
            check_channel,
            channel.get("spec"),
            secret_reader(self.cluster, namespace),
            self.allowed_urls,
        )
        if not check.ready or check.spec is None:
            raise ChannelUnavailable(check)
        metadata = channel.get("metadata") or {}
        fingerprint = hashlib.sha256(
            "\0".join(
                [str(metadata.get("uid")), str(metadata.get("generation"))]
                + [f"{k}={v}" for k, v in sorted(check.secrets.items())]
            ).encode()
        ).hexdigest()
        key = (namespace, name)
        built = self._built.get(key)
        if built is not None and built[0] == fingerprint:
            return built[1]
        await self.forget(namespace, name)
        try:
            transport = self.factory(check.spec, check.secret)
        except Exception as error:  # a Secret value the transport cannot use, e.g. a bad URL
            text = redact(
                f"cannot build the {check.spec.transport} transport: {error}",
                check.secrets.values(),
            )
            raise ChannelUnavailable(
                ChannelCheck(ChannelReason.INVALID_SPEC, text, check.spec)
            ) from None
        made = ChannelTransport(check.spec, transport, tuple(check.secrets.values()))
        self._built[key] = (fingerprint, made)
        return made

    async def forget(self, namespace: str, name: str) -> None:
        """Close and drop the channel's transport (it changed, or is gone)."""
        built = self._built.pop((namespace, name), None)
        if built is not None:
            await _close(built[1].transport)

    async def close(self) -> None:
        """Close every transport."""
        for namespace, name in list(self._built):
            await self.forget(namespace, name)


async def _close(transport: Transport) -> None:
    try:
        await transport.close()
    except Exception as error:  # closing is best effort
        log.debug("closing a transport failed: %s", type(error).__name__)
