"""The demo's NotificationChannels, derived in code from the example (pure).

The example (``examples/notification-channels.yaml``) names real providers
(slack.com, events.pagerduty.com, an SMTP server, a webhook receiver)
through Secrets it does not hold. The demo keeps
every channel as the example has it (name, transport, conversation,
directory, sender and recipients) and only points it at the fake providers
it runs on 127.0.0.1: Slack's and PagerDuty's ``apiUrl`` (the operator runs
with ``--allow-provider-url http://127.0.0.1:``), and Secrets with demo
values for every key a channel reads (the sink's URL, the fake SMTP server's
URL, the fake workspace's token, a routing key, a signing key). As with the
release, deriving instead of copying keeps the demo from drifting from the
example.
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from appdeploy.api.channels import CHANNEL_KIND, NotificationChannelSpec
from demo.release import REPO

CHANNELS_EXAMPLE = REPO / "examples" / "notification-channels.yaml"
CHANNEL_CRD = REPO / "crds" / "notificationchannels.appdeploy.dev.yaml"
SUPPORTED = ("slack", "webhook", "email", "pagerduty")
"""Transports the demo has a fake provider for (the example's)."""


@dataclass(frozen=True)
class Endpoints:
    """Where the fake providers listen, and the credentials they accept."""

    slack_api_url: str
    slack_token: str
    webhook_url: str
    webhook_signing_key: str
    smtp_url: str
    pagerduty_url: str
    pagerduty_routing_key: str


@dataclass(frozen=True)
class DemoChannels:
    """The channel manifests to apply and the Secrets they read."""

    manifests: list[dict[str, Any]]
    secrets: dict[str, dict[str, str]]
    """Secret name -> string data."""
    transports: dict[str, str]
    """Channel name -> transport (``slack``, ``webhook`` ...), for the live view."""

    def describe(self, name: str) -> str:
        """``slack #mobile-qa``, ``email to compliance@example.com``: where a channel goes."""
        spec = self.spec(name)
        if spec.slack is not None:
            return f"slack {spec.slack.channel}"
        if spec.email is not None:
            return f"email to {', '.join(spec.email.to)}"
        return spec.transport

    def spec(self, name: str) -> NotificationChannelSpec:
        manifest = next(m for m in self.manifests if m["metadata"]["name"] == name)
        return NotificationChannelSpec.model_validate(manifest["spec"])


def load_channels(path: Path = CHANNELS_EXAMPLE) -> list[dict[str, Any]]:
    """The example's NotificationChannel documents."""
    documents = [d for d in yaml.safe_load_all(path.read_text()) if d]
    if not documents or any(d.get("kind") != CHANNEL_KIND for d in documents):
        raise ValueError(f"{path}: expected NotificationChannel documents only")
    return documents


def slack_conversations(documents: list[dict[str, Any]]) -> dict[str, str]:
    """Conversation id -> name for every Slack channel (the fake workspace must hold them)."""
    found: dict[str, str] = {}
    for document in documents:
        slack = document["spec"].get("slack")
        if slack:
            name = str(slack["channel"]).removeprefix("#")
            found["C0" + re.sub(r"[^A-Z0-9]", "", name.upper())] = name
    return found


def demo_channels(documents: list[dict[str, Any]], endpoints: Endpoints) -> DemoChannels:
    """The example's channels pointed at the fakes, and Secrets with the demo's values."""
    manifests: list[dict[str, Any]] = []
    secrets: dict[str, dict[str, str]] = {}
    transports: dict[str, str] = {}
    for document in documents:
        manifest = copy.deepcopy(document)
        name = manifest["metadata"]["name"]
        # Fails here, naming the field, if the example stops being a valid channel.
        spec = NotificationChannelSpec.model_validate(manifest["spec"])
        if spec.transport not in SUPPORTED:
            raise ValueError(f"channel {name}: the demo has no fake {spec.transport} provider")
        transports[name] = spec.transport
        wire = manifest["spec"]
        if spec.slack is not None:
            wire["slack"]["apiUrl"] = endpoints.slack_api_url
        if spec.pagerduty is not None:
            wire["pagerduty"]["apiUrl"] = endpoints.pagerduty_url
        for secret, key, value in _secret_values(spec, endpoints):
            data = secrets.setdefault(secret, {})
            if data.get(key, value) != value:
                raise ValueError(f"Secret {secret} key {key} is read as two different things")
            data[key] = value
        labels = manifest["metadata"].setdefault("labels", {})
        labels["app.kubernetes.io/part-of"] = "appdeploy-demo"
        manifests.append(manifest)
    return DemoChannels(manifests, secrets, transports)


def _secret_values(
    spec: NotificationChannelSpec, endpoints: Endpoints
) -> list[tuple[str, str, str]]:
    """(Secret, key, demo value) for every credential the channel reads."""
    refs: list[tuple[Any, str]] = []
    if spec.slack is not None:
        refs.append((spec.slack.token_secret_ref, endpoints.slack_token))
    if spec.webhook is not None:
        refs.append((spec.webhook.url_secret_ref, endpoints.webhook_url))
        if spec.webhook.signing_secret_ref is not None:
            refs.append((spec.webhook.signing_secret_ref, endpoints.webhook_signing_key))
    if spec.email is not None:
        refs.append((spec.email.smtp_secret_ref, endpoints.smtp_url))
    if spec.pagerduty is not None:
        refs.append((spec.pagerduty.routing_key_secret_ref, endpoints.pagerduty_routing_key))
    return [(ref.name, ref.key, value) for ref, value in refs]
