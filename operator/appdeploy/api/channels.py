"""``NotificationChannel``: where appdeploy tells people it is their turn (docs/notifications.md).

A channel names exactly one transport and references its credentials in
Secrets of the channel's own namespace; the operator reads them at delivery
time and never copies them into status, Events or logs. ``directory`` maps
the usernames and groups a gate names to the handles the transport mentions
(a Slack member id, a user-group mention).
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any

from pydantic import Field, model_validator

from appdeploy.api.base import (
    ApiModel,
    DnsLabel,
    NonEmptyStr,
    StatusModel,
    cel_rules,
    exactly_one_of,
)
from appdeploy.api.status import Condition
from appdeploy.api.timestamps import Timestamp

CHANNEL_KIND = "NotificationChannel"
CHANNEL_PLURAL = "notificationchannels"
TRANSPORTS = ("slack", "webhook", "email", "pagerduty", "teams")
ONE_TRANSPORT = "set exactly one of " + ", ".join(TRANSPORTS)


class SecretKeyRef(ApiModel):
    """One key of a Secret in the channel's namespace."""

    name: DnsLabel
    """The Secret's name."""
    key: NonEmptyStr
    """The key inside the Secret's data."""


class SlackTransport(ApiModel):
    """Slack Web API: chat.postMessage into one conversation, threads per gate."""

    channel: NonEmptyStr
    """Conversation id (``C0123``) or name (``#mobile-qa``) the bot is a member of."""
    token_secret_ref: SecretKeyRef
    """The bot token (``xoxb-…``)."""
    api_url: str = ""
    """Base URL of the Web API; empty means ``https://slack.com/api/``."""


class WebhookTransport(ApiModel):
    """A JSON POST, signed with HMAC-SHA256, carrying an ``Idempotency-Key`` header."""

    url_secret_ref: SecretKeyRef
    """The URL (it often carries a token, so it is a Secret)."""
    signing_secret_ref: SecretKeyRef | None = None
    """Key of the ``X-Appdeploy-Signature`` header; unsigned when absent."""


class EmailTransport(ApiModel):
    """E-mail through an SMTP server."""

    smtp_secret_ref: SecretKeyRef
    """``smtp://user:password@host:port`` (``smtps://`` for implicit TLS)."""
    from_: NonEmptyStr = Field(alias="from")
    """Sender address."""
    to: Annotated[list[NonEmptyStr], Field(min_length=1)]
    """Recipient addresses."""


class PagerDutyTransport(ApiModel):
    """PagerDuty Events API v2: a trigger per escalation, resolved when the gate is decided."""

    routing_key_secret_ref: SecretKeyRef
    """The integration's routing key."""
    api_url: str = ""
    """Events endpoint; empty means ``https://events.pagerduty.com/v2/enqueue``."""


class TeamsTransport(ApiModel):
    """A Microsoft Teams incoming webhook (workflow URL)."""

    url_secret_ref: SecretKeyRef
    """The webhook URL."""


class Directory(ApiModel):
    """How the people and groups a gate names are mentioned on this channel."""

    users: dict[str, str] = Field(default_factory=dict)
    """Username -> handle, e.g. ``alice@example.com: U0123`` (Slack member id)."""
    groups: dict[str, str] = Field(default_factory=dict)
    """Group -> mention, e.g. ``qa: "<!subteam^S01>"``."""


class DeliveryGuarantee(StrEnum):
    """What a crash between sending and recording may cost."""

    AT_MOST_ONCE = "AtMostOnce"
    """Never sent twice; a message in flight at a crash may be lost (e-mail's default)."""
    AT_LEAST_ONCE = "AtLeastOnce"
    """Never lost; a resend carries the same idempotency key (default of the others)."""


class NotificationChannelSpec(ApiModel):
    """A destination for hand-off messages: exactly one transport."""

    model_config = cel_rules((exactly_one_of(TRANSPORTS), ONE_TRANSPORT, ""))

    slack: SlackTransport | None = None
    """Post to a Slack conversation."""
    webhook: WebhookTransport | None = None
    """POST JSON to a URL."""
    email: EmailTransport | None = None
    """Send e-mail."""
    pagerduty: PagerDutyTransport | None = None
    """Trigger PagerDuty incidents."""
    teams: TeamsTransport | None = None
    """Post to a Microsoft Teams channel."""
    directory: Directory = Field(default_factory=Directory)
    """Mentions for usernames and groups."""
    delivery: DeliveryGuarantee | None = None
    """AtMostOnce or AtLeastOnce; empty takes the transport's default."""

    @model_validator(mode="before")
    @classmethod
    def _one_transport(cls, data: Any) -> Any:
        # Before the fields, so two transports are reported even when one is also incomplete.
        if isinstance(data, dict):
            found = [name for name in TRANSPORTS if data.get(name) is not None]
            if len(found) != 1:
                raise ValueError(f"{ONE_TRANSPORT} (found {', '.join(found) or 'none'})")
        return data

    @property
    def transport(self) -> str:
        """The name of the transport set (validation guarantees exactly one)."""
        return next(name for name in TRANSPORTS if getattr(self, name) is not None)

    def guarantee(self) -> DeliveryGuarantee:
        """The delivery guarantee in force: the spec's, or the transport's default."""
        if self.delivery is not None:
            return self.delivery
        if self.email is not None:
            return DeliveryGuarantee.AT_MOST_ONCE
        return DeliveryGuarantee.AT_LEAST_ONCE

    def secret_refs(self) -> list[SecretKeyRef]:
        """Every Secret key the transport reads."""
        refs: list[SecretKeyRef | None] = []
        if self.slack:
            refs.append(self.slack.token_secret_ref)
        if self.webhook:
            refs += [self.webhook.url_secret_ref, self.webhook.signing_secret_ref]
        if self.email:
            refs.append(self.email.smtp_secret_ref)
        if self.pagerduty:
            refs.append(self.pagerduty.routing_key_secret_ref)
        if self.teams:
            refs.append(self.teams.url_secret_ref)
        return [ref for ref in refs if ref is not None]


class DeliveryOutcome(StatusModel):
    """The last delivery attempt through a channel."""

    at: Timestamp
    """When it ended."""
    outcome: str
    """Sent or Failed."""
    message: str = ""
    """The provider's answer when it failed (never a credential)."""


class NotificationChannelStatus(StatusModel):
    """Whether the channel can deliver, as the operator last found it."""

    observed_generation: int | None = None
    """The generation last checked."""
    conditions: list[Condition] = Field(default_factory=list)
    """Ready: the credentials are readable and the last delivery did not fail."""
    last_delivery: DeliveryOutcome | None = None
    """The last delivery attempt."""
