"""Build the transport a NotificationChannel names, with its credentials.

``secret`` is how the caller (the delivery worker) hands over Secret values;
a missing Secret or key is its own KeyError/LookupError and passes through
unchanged. The values live only inside the transport object, whose repr
never shows them.
"""

from __future__ import annotations

from collections.abc import Callable

from appdeploy.api.channels import NotificationChannelSpec, SecretKeyRef
from appdeploy.notify.email import EmailSender
from appdeploy.notify.pagerduty import PagerDutySender
from appdeploy.notify.slack import SlackSender
from appdeploy.notify.teams import TeamsSender
from appdeploy.notify.transport import Transport
from appdeploy.notify.webhook import WebhookSender


def transport_for(
    spec: NotificationChannelSpec, secret: Callable[[SecretKeyRef], str]
) -> Transport:
    """The transport for ``spec``'s one transport field, reading its Secrets through ``secret``."""
    if spec.slack is not None:
        return SlackSender(
            spec.slack.channel, secret(spec.slack.token_secret_ref), api_url=spec.slack.api_url
        )
    if spec.webhook is not None:
        signing = spec.webhook.signing_secret_ref
        return WebhookSender(
            secret(spec.webhook.url_secret_ref), secret(signing) if signing else None
        )
    if spec.email is not None:
        return EmailSender(
            secret(spec.email.smtp_secret_ref), spec.email.from_, list(spec.email.to)
        )
    if spec.pagerduty is not None:
        return PagerDutySender(
            secret(spec.pagerduty.routing_key_secret_ref), api_url=spec.pagerduty.api_url
        )
    if spec.teams is not None:
        return TeamsSender(secret(spec.teams.url_secret_ref))
    raise ValueError("the channel names no transport")
