"""Whether a NotificationChannel can deliver: its spec, its Secrets, its provider URL.

Shared by the channel's status (``Ready``, written by the controller) and by
delivery, which checks again before every batch, so a channel that broke
since its status was written sends nothing it should not.

The provider allow-list: a channel's ``apiUrl`` receives the channel's
credential (Slack's bot token, PagerDuty's routing key), so whoever may create
a channel could point it at their own server and read a Secret of the
namespace. Only URLs starting with a prefix the operator was given
(``--allow-provider-url``) are honoured (docs/security.md).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any
from urllib.parse import urlsplit

from pydantic import ValidationError

from appdeploy.api.channels import (
    ONE_TRANSPORT,
    TRANSPORTS,
    NotificationChannelSpec,
    SecretKeyRef,
)
from appdeploy.api.problems import problems_from
from appdeploy.api.timestamps import format_timestamp

READY = "Ready"
REDACTED = "[redacted]"


class ChannelReason(StrEnum):
    """Reasons of a channel's Ready condition."""

    READY = "Ready"
    INVALID_SPEC = "InvalidSpec"
    SECRET_NOT_FOUND = "SecretNotFound"
    SECRET_KEY_NOT_FOUND = "SecretKeyNotFound"
    PROVIDER_URL_NOT_ALLOWED = "ProviderURLNotAllowed"
    DELIVERY_FAILED = "DeliveryFailed"
    CHANNEL_NOT_FOUND = "ChannelNotFound"
    """Delivery only: the record names a channel that does not exist (it has no status)."""


class SecretUnreadable(Exception):
    """The Secret exists, or may, but the operator may not read it (the message says why)."""


SecretReader = Callable[[str], Mapping[str, str] | None]
"""A Secret's data by name, in the channel's namespace; None when it does not exist."""


@dataclass(frozen=True)
class ChannelCheck:
    """What checking a channel found; ``secrets`` holds the values it read (never log them)."""

    reason: ChannelReason
    message: str = ""
    spec: NotificationChannelSpec | None = None
    secrets: Mapping[tuple[str, str], str] = field(default_factory=dict)

    @property
    def ready(self) -> bool:
        """Nothing stands in the way of a delivery."""
        return self.reason is ChannelReason.READY

    def secret(self, ref: SecretKeyRef) -> str:
        """The value of one of the channel's Secret keys (read by the check)."""
        return self.secrets[(ref.name, ref.key)]


def provider_url(spec: NotificationChannelSpec) -> str:
    """The provider endpoint the spec overrides (it receives the credential); empty if none."""
    if spec.slack is not None:
        return spec.slack.api_url
    if spec.pagerduty is not None:
        return spec.pagerduty.api_url
    return ""


def url_allowed(url: str, prefixes: Sequence[str]) -> bool:
    """True when ``url`` starts with one of ``prefixes`` and cannot mean another host.

    ``http://127.0.0.1:1@evil.example/`` starts with ``http://127.0.0.1:`` but
    goes to evil.example: a URL with user info (or a backslash, which some
    parsers read as a slash) is never allowed.
    """
    try:
        parts = urlsplit(url)
    except ValueError:
        return False
    if "@" in parts.netloc or "\\" in url or any(c.isspace() for c in url):
        return False
    return any(url.startswith(prefix) for prefix in prefixes if prefix)


def check_channel(
    raw_spec: Mapping[str, Any] | None,
    read_secret: SecretReader,
    allowed_urls: Sequence[str],
) -> ChannelCheck:
    """Parse the spec, check the provider URL, read every Secret key it names."""
    try:
        spec = NotificationChannelSpec.model_validate(raw_spec or {})
    except ValidationError as error:
        problems = "; ".join(str(problem) for problem in problems_from(error, "spec")[:5])
        return ChannelCheck(ChannelReason.INVALID_SPEC, problems)
    # The CRD's CEL rule says so at admission; a model alone does not.
    if sum(getattr(spec, name) is not None for name in TRANSPORTS) != 1:
        return ChannelCheck(ChannelReason.INVALID_SPEC, f"spec: {ONE_TRANSPORT}")
    url = provider_url(spec)
    if url and not url_allowed(url, allowed_urls):
        return ChannelCheck(
            ChannelReason.PROVIDER_URL_NOT_ALLOWED,
            f"spec.{spec.transport}.apiUrl {url} is not allowed by the operator "
            "(--allow-provider-url); nothing is sent through this channel",
            spec,
        )
    values: dict[tuple[str, str], str] = {}
    read: dict[str, Mapping[str, str] | None] = {}
    for ref in spec.secret_refs():
        if ref.name not in read:
            try:
                read[ref.name] = read_secret(ref.name)
            except SecretUnreadable as unreadable:
                return ChannelCheck(ChannelReason.SECRET_NOT_FOUND, str(unreadable), spec)
        data = read[ref.name]
        if data is None:
            return ChannelCheck(
                ChannelReason.SECRET_NOT_FOUND, f"Secret {ref.name} not found", spec
            )
        if ref.key not in data:
            return ChannelCheck(
                ChannelReason.SECRET_KEY_NOT_FOUND,
                f"Secret {ref.name} has no key {ref.key}",
                spec,
            )
        values[(ref.name, ref.key)] = data[ref.key]
    return ChannelCheck(ChannelReason.READY, "", spec, values)


def redact(text: str, secrets: Iterable[str]) -> str:
    """``text`` with every Secret value in it replaced: provider errors may echo a URL or token."""
    for value in sorted(secrets, key=len, reverse=True):
        if len(value) >= 4:
            text = text.replace(value, REDACTED)
    return text


def ready_condition(
    check: ChannelCheck,
    last_delivery: Mapping[str, Any] | None,
    previous: Iterable[Mapping[str, Any]],
    generation: int,
    now: datetime,
) -> dict[str, Any]:
    """The channel's Ready condition; ``lastTransitionTime`` moves only when the status flips."""
    reason, message = check.reason, check.message
    if check.ready and last_delivery and last_delivery.get("outcome") == "Failed":
        reason = ChannelReason.DELIVERY_FAILED
        message = f"the last delivery failed: {last_delivery.get('message') or 'no detail'}"
    status = "True" if reason is ChannelReason.READY else "False"
    old = next((c for c in previous if c.get("type") == READY), None)
    since = (
        old.get("lastTransitionTime")
        if old is not None and old.get("status") == status and old.get("lastTransitionTime")
        else format_timestamp(now)
    )
    return {
        "type": READY,
        "status": status,
        "reason": str(reason),
        "message": message,
        "observedGeneration": generation,
        "lastTransitionTime": since,
    }
