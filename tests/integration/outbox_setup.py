"""Givens of the delivery stories: channels, their Secrets, and outbox records in status.

The planner will add Pending records to ``status.notifications`` itself; these
stories write them as it would (``Notification.to_wire``), so delivery is
proven on its own against the real API server.
"""

from __future__ import annotations

import base64
from datetime import UTC, datetime
from typing import Any

from kubernetes import client
from kubernetes.client.exceptions import ApiException

from appdeploy.api.channels import CHANNEL_PLURAL
from appdeploy.api.notifications import Notification, notification_id
from appdeploy.k8s.labels import GROUP, PLURAL, VERSION
from tests.cluster.wait import wait_for

TIMEOUT = 60.0


def slack_channel(token_secret: str = "slack", **extra: Any) -> dict[str, Any]:
    """A Slack channel spec (#mobile-qa) reading its token from ``token_secret``."""
    slack = {"channel": "#mobile-qa", "tokenSecretRef": {"name": token_secret, "key": "token"}}
    return {"slack": {**slack, **extra}}


def webhook_channel(url_secret: str = "hook") -> dict[str, Any]:
    return {"webhook": {"urlSecretRef": {"name": url_secret, "key": "url"}}}


def email_channel(smtp_secret: str = "smtp") -> dict[str, Any]:
    smtp = {"name": smtp_secret, "key": "url"}
    return {"email": {"smtpSecretRef": smtp, "from": "appdeploy@example.com", "to": ["qa@x"]}}


def record(uid: str, channel: str, ordinal: int = 0, **fields: Any) -> Notification:
    """A Pending record as the planner writes it, for gate qa of run 1."""
    event = fields.pop("event", "GateOpened" if ordinal == 0 else "GateReminded")
    return Notification(
        id=notification_id(uid, 1, "qa", event, ordinal=ordinal, channel=channel),
        event=event,
        channel=channel,
        run=1,
        step="qa",
        ordinal=ordinal,
        title=f"shop 1.0.0: qa waits for your approval ({event} {ordinal})",
        created_at=fields.pop("created_at", datetime.now(UTC)),
        **fields,
    )


class Outbox:
    """Channels, Secrets and outbox records in one namespace."""

    def __init__(self, api_client: Any, namespace: str) -> None:
        self.namespace = namespace
        self.custom = client.CustomObjectsApi(api_client)
        self.core = client.CoreV1Api(api_client)

    def channel(self, name: str, spec: dict[str, Any]) -> None:
        body = {"apiVersion": f"{GROUP}/{VERSION}", "kind": "NotificationChannel",
                "metadata": {"name": name}, "spec": spec}  # fmt: skip
        self.custom.create_namespaced_custom_object(
            GROUP, VERSION, self.namespace, CHANNEL_PLURAL, body
        )

    def secret(self, name: str, data: dict[str, str]) -> None:
        encoded = {key: base64.b64encode(value.encode()).decode() for key, value in data.items()}
        body = {"metadata": {"name": name}, "data": encoded}
        try:
            self.core.create_namespaced_secret(self.namespace, body)
        except ApiException as error:
            if error.status != 409:
                raise
            self.core.replace_namespaced_secret(name, self.namespace, body)

    def release(self, name: str) -> str:
        """A release in a namespace no operator watches (its status is the story's); its uid."""
        gate = {"name": "qa", "gate": {"approvers": {"groups": ["qa"]}}}
        spec = {"app": "shop", "version": "1.0.0", "steps": [gate]}
        body = {"apiVersion": f"{GROUP}/{VERSION}", "kind": "AppDeployment",
                "metadata": {"name": name}, "spec": spec}  # fmt: skip
        created = self.custom.create_namespaced_custom_object(
            GROUP, VERSION, self.namespace, PLURAL, body
        )
        return str(created["metadata"]["uid"])

    def write(self, release: str, *records: Notification) -> None:
        """Append records to the release's outbox, as the planner's status write would."""
        current = self.stored(release)
        wire = [*current, *(r.to_wire() for r in records)]
        self.custom.patch_namespaced_custom_object_status(
            GROUP, VERSION, self.namespace, PLURAL, release, {"status": {"notifications": wire}}
        )

    def stored(self, release: str) -> list[dict[str, Any]]:
        body = self.custom.get_namespaced_custom_object(
            GROUP, VERSION, self.namespace, PLURAL, release
        )
        return list((body.get("status") or {}).get("notifications") or [])

    def records(self, release: str) -> dict[str, Notification]:
        return {r["id"]: Notification.model_validate(r) for r in self.stored(release)}

    def wait_for_state(self, release: str, record_id: str, state: str) -> Notification:
        def reached() -> Notification | None:
            found = self.records(release).get(record_id)
            return found if found is not None and found.state == state else None

        return wait_for(reached, TIMEOUT, f"notification {record_id} of {release} to be {state}")

    def ready(self, name: str) -> dict[str, Any] | None:
        """The channel's Ready condition, if written."""
        body = self.custom.get_namespaced_custom_object(
            GROUP, VERSION, self.namespace, CHANNEL_PLURAL, name
        )
        conditions = (body.get("status") or {}).get("conditions") or []
        return next((c for c in conditions if c.get("type") == "Ready"), None)

    def wait_for_ready(self, name: str, status: str, reason: str) -> dict[str, Any]:
        def reached() -> dict[str, Any] | None:
            ready = self.ready(name)
            return (
                ready if ready and (ready["status"], ready["reason"]) == (status, reason) else None
            )

        return wait_for(reached, TIMEOUT, f"channel {name} Ready={status} ({reason})")

    def last_delivery(self, name: str) -> dict[str, Any] | None:
        body = self.custom.get_namespaced_custom_object(
            GROUP, VERSION, self.namespace, CHANNEL_PLURAL, name
        )
        return (body.get("status") or {}).get("lastDelivery")
