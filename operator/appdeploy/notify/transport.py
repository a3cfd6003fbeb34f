"""The contract every transport keeps, and the errors it raises."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from appdeploy.api.channels import Directory
from appdeploy.api.notifications import Notification


@dataclass(frozen=True)
class Message:
    """One outbox record ready to send, with what the transport needs around it."""

    record: Notification
    release: str
    """``namespace/name`` of the release it is about."""
    directory: Directory
    """The channel's mentions for usernames and groups."""
    thread_ref: str = ""
    """The provider's reference of ``record.thread`` when that one was sent (Slack ``ts``)."""
    replaces_ref: str = ""
    """The provider's reference of ``record.replaces`` when that one was sent."""


class DeliveryError(Exception):
    """The provider did not take the message.

    ``retryable`` is False when the same request will be refused again (bad
    credentials, unknown channel, a 4xx other than 408/429); ``retry_after`` is
    the provider's own wait (Retry-After, Slack's rate limit) in seconds.
    The message must never contain a credential.
    """

    def __init__(self, message: str, *, retryable: bool, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retryable = retryable
        self.retry_after = retry_after


class Transport(Protocol):
    """Sends messages to one channel."""

    async def send(self, message: Message) -> str:
        """Deliver ``message``; the provider's reference (Slack ts, Message-ID, dedup key).

        Carries ``message.record.id`` as the idempotency key the provider
        understands (header, message metadata, dedup key). Raises DeliveryError.
        """
        ...

    async def find_sent(self, message: Message) -> str | None:
        """The reference of an earlier send of this record, if the provider can tell.

        Asked before resending a record that a crashed worker had claimed: Slack
        looks the id up in message metadata; transports that cannot tell return
        None (their guarantee is then the channel's ``delivery``).
        """
        ...

    async def close(self) -> None:
        """Release connections."""
        ...
