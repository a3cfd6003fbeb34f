"""A transport that records what it is asked to send, for the delivery tests.

It stands in for a provider, not for anything delivery does: the operator
process loads it through ``APPDEPLOY_TRANSPORT_FACTORY`` and every send is
appended as a JSON line to the file named by ``RECORDING_TRANSPORT_LOG``
(so sends survive an operator killed mid-delivery). What the channel's
credential says steers it: ``fail-retryable`` and ``fail-permanent`` make
sends fail; anything else is taken. Like Slack (message metadata), a
``slack`` channel can find an earlier send of a record; a webhook cannot.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from appdeploy.api.channels import NotificationChannelSpec, SecretKeyRef
from appdeploy.notify.transport import DeliveryError, Message

LOG_ENV = "RECORDING_TRANSPORT_LOG"
FACTORY = "tests.integration.recording_transport:transport_for"


class RecordingTransport:
    """Appends each send to a JSON-lines file."""

    def __init__(self, log: Path, kind: str, destination: str, credential: str) -> None:
        self.log = log
        self.kind = kind
        self.destination = destination
        self.credential = credential

    async def send(self, message: Message) -> str:
        if self.credential == "fail-retryable":
            raise DeliveryError("503 Service Unavailable", retryable=True)
        if self.credential == "fail-permanent":
            # A provider echoing the credential: it must never reach status or Events.
            raise DeliveryError(f"invalid_auth for token {self.credential}", retryable=False)
        ref = f"{self.destination}:{message.record.id}"
        line = {
            "id": message.record.id,
            "kind": self.kind,
            "destination": self.destination,
            "credential": self.credential,
            "thread_ref": message.thread_ref,
            "replaces_ref": message.replaces_ref,
            "title": message.record.title,
            "release": message.release,
            "ref": ref,
        }
        with self.log.open("a") as log:
            log.write(json.dumps(line) + "\n")
        return ref

    async def find_sent(self, message: Message) -> str | None:
        if self.kind != "slack":
            return None
        sent = [line for line in read_sends(self.log) if line["id"] == message.record.id]
        return str(sent[0]["ref"]) if sent else None

    async def close(self) -> None:
        return None


def transport_for(
    spec: NotificationChannelSpec, secret: Callable[[SecretKeyRef], str]
) -> RecordingTransport:
    """The factory the operator calls for each channel."""
    log = Path(os.environ[LOG_ENV])
    if spec.slack is not None:
        return RecordingTransport(
            log, "slack", spec.slack.channel, secret(spec.slack.token_secret_ref)
        )
    if spec.webhook is not None:
        url = secret(spec.webhook.url_secret_ref)
        return RecordingTransport(log, "webhook", url, url)
    if spec.email is not None:
        return RecordingTransport(
            log, "email", ",".join(spec.email.to), secret(spec.email.smtp_secret_ref)
        )
    raise ValueError(f"no recording transport for {spec.transport}")


def read_sends(log: Path) -> list[dict[str, Any]]:
    """Every send recorded so far, oldest first."""
    if not log.exists():
        return []
    return [json.loads(line) for line in log.read_text().splitlines() if line.strip()]
