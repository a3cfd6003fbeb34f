"""The world of a notification story: one namespace, its operator, the fake providers.

The operator is the real process with the real transports (no recording
stub), serving the real admission webhooks on 127.0.0.1, so every approval is
made by an impersonated user through kubectl and signed by the webhook. It
lets reminders come every second (``--min-reminder-interval 1s``, the
test/demo knob) and may send to the fake Slack on 127.0.0.1
(``--allow-provider-url``). The fakes record what they received; a story
waits on that, or on a record's state in status, never on a clock.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kubernetes import client
from kubernetes.client.exceptions import ApiException

from appdeploy.api.notifications import Notification
from appdeploy.api.status import Condition
from tests.cluster.wait import wait_for
from tests.fakes.slack import FakeSlack, Posted
from tests.fakes.smtp import FakeSmtp
from tests.fakes.webhook import FakeWebhookSink
from tests.integration.crashable_operator import CrashableOperator
from tests.integration.outbox_setup import Outbox
from tests.integration.releases import Releases
from tests.integration.signed_webhook import SignedWebhook

TIMEOUT = 60.0
RETRY_TIMEOUT = 100.0
"""A failed record backs off 10 s, 20 s ...; a channel not Ready is checked again every 30 s."""
SLACK_TOKEN = "xoxb-story-token"
SIGNING_SECRET = "whsec-story-signing"
CONSOLE = "http://127.0.0.1:8443"
"""Only written into messages (--console-url); nothing dials it."""
QA, LEADS = "C0MOBILEQA", "C0QALEADS"
"""The fake workspace's conversations #mobile-qa and #qa-leads."""
DIRECTORY = {
    "users": {"alice": "U0ALICE", "bob": "U0BOB", "carol": "U0CAROL"},
    "groups": {"qa": "<!subteam^S0QA>", "release-managers": "<!subteam^S0RM>"},
}


@dataclass
class Providers:
    """The fake Slack workspace, webhook receiver and SMTP server, on 127.0.0.1."""

    slack: FakeSlack
    sink: FakeWebhookSink
    smtp: FakeSmtp

    def slack_posts(self, record_id: str) -> list[Posted]:
        """Slack messages carrying this record's id in their metadata."""
        return [post for post in self.slack.posts() if payload(post).get("id") == record_id]

    def thread(self, first: Posted) -> list[Posted]:
        """The replies under ``first``, oldest first."""
        return [post for post in self.slack.posts(first.channel) if post.thread_ts == first.ts]


def payload(post: Posted) -> dict[str, Any]:
    """The appdeploy metadata of a Slack message (record id, event, ...)."""
    return dict((post.metadata or {}).get("event_payload") or {})


class NotifyStory:
    """Given / when / then of one notification story."""

    def __init__(
        self,
        api_client: Any,
        namespace: str,
        kubectl: Callable[..., list[str]],
        operators: CrashableOperator,
        providers: Providers,
    ) -> None:
        self.namespace = namespace
        self.kubectl = kubectl
        self.operators = operators
        self.providers = providers
        self.releases = Releases(api_client, namespace, kubectl)
        self.outbox = Outbox(api_client, namespace)

    # --- given ---------------------------------------------------------------------
    def slack_channel(
        self, name: str = "mobile-qa", conversation: str = "#mobile-qa", secret: str = "slack"
    ) -> None:
        """A Slack channel posting into ``conversation`` of the fake, with the directory."""
        if secret == "slack":
            self.outbox.secret("slack", {"token": SLACK_TOKEN})
        slack = {
            "channel": conversation,
            "tokenSecretRef": {"name": secret, "key": "token"},
            "apiUrl": self.providers.slack.api_url,
        }
        self.outbox.channel(name, {"slack": slack, "directory": DIRECTORY})

    def webhook_channel(self, name: str = "releases") -> None:
        """A signed webhook channel posting to the fake sink."""
        url = f"{self.providers.sink.url}/hooks/{name}"
        self.outbox.secret("hook", {"url": url, "signing": SIGNING_SECRET})
        self.outbox.channel(
            name,
            {
                "webhook": {
                    "urlSecretRef": {"name": "hook", "key": "url"},
                    "signingSecretRef": {"name": "hook", "key": "signing"},
                }
            },
        )

    def email_channel(self, name: str = "qa-mail") -> None:
        """An e-mail channel through the fake SMTP server (AtMostOnce, e-mail's default)."""
        self.outbox.secret("smtp", {"url": self.providers.smtp.url()})
        smtp = {"name": "smtp", "key": "url"}
        spec = {"smtpSecretRef": smtp, "from": "appdeploy@example.com", "to": ["qa@example.com"]}
        self.outbox.channel(name, {"email": spec})

    # --- when ----------------------------------------------------------------------
    def annotate_approval(self, user: str, groups: list[str], gate: str = "qa") -> Any:
        """``kubectl annotate`` of an approval as ``user``; the webhook may refuse it."""
        return self.releases.annotate(
            "shop", f"approve.appdeploy.dev/{gate}", "ok", as_user=user, groups=groups
        )

    # --- then ----------------------------------------------------------------------
    def records(self, event: str = "", channel: str = "") -> list[Notification]:
        """The release's outbox records (of an event, to a channel), in list order."""
        return [
            record
            for record in self.outbox.records("shop").values()
            if event in ("", record.event) and channel in ("", record.channel)
        ]

    def wait_for_record(
        self,
        event: str,
        channel: str,
        state: str = "Sent",
        when: Callable[[Notification], bool] = lambda record: True,
        timeout: float = TIMEOUT,
    ) -> Notification:
        """The first record of ``event`` to ``channel`` in ``state`` (and matching ``when``).

        A matching record settled otherwise (Failed while Sent is wanted) ends the wait at once.
        """

        def found() -> Notification | None:
            matching = [r for r in self.records(event, channel) if when(r)]
            if lost := [r for r in matching if r.state.is_settled and r.state != state]:
                raise AssertionError(f"{event} to {channel} ended {lost[0].state}: {lost[0].error}")
            return next((r for r in matching if r.state == state), None)

        return wait_for(found, timeout, f"a {event} record to {channel} in state {state}")

    def wait_until_settled(self, timeout: float = TIMEOUT) -> list[Notification]:
        """Every record of the outbox, once none is Pending or Sending any more."""

        def settled() -> list[Notification] | None:
            records = self.records()
            return records if records and all(r.state.is_settled for r in records) else None

        return wait_for(settled, timeout, "every notification to be settled")

    def condition(self, kind: str) -> Condition | None:
        """The release's condition of this type, if written."""
        conditions = self.releases.status("shop").conditions
        return next((c for c in conditions if c.type == kind), None)

    def wait_for_condition(
        self, kind: str, status: str, reason: str, timeout: float = TIMEOUT
    ) -> Condition:
        def reached() -> Condition | None:
            found = self.condition(kind)
            return found if found and (found.status, found.reason) == (status, reason) else None

        return wait_for(reached, timeout, f"{kind}={status} ({reason})", ignore=(ApiException,))


def grant_group(api_client: Any, namespace: str, group: str) -> None:
    """Let ``group`` annotate releases too (the role ``grant_approvers`` made)."""
    client.RbacAuthorizationV1Api(api_client).create_namespaced_role_binding(
        namespace,
        {
            "metadata": {"name": f"approvers-{group}"},
            "roleRef": {
                "apiGroup": "rbac.authorization.k8s.io",
                "kind": "Role",
                "name": "release-approver",
            },
            "subjects": [{"apiGroup": "rbac.authorization.k8s.io", "kind": "Group", "name": group}],
        },
    )


def open_story(
    cluster: Any,
    api_client: Any,
    namespace: str,
    kubectl: Callable[..., list[str]],
    logs: Path,
) -> Iterator[NotifyStory]:
    """A story in ``namespace`` (one no shared operator watches); stops everything after."""
    providers = Providers(
        FakeSlack(SLACK_TOKEN, {QA: "mobile-qa", LEADS: "qa-leads"}).start(),
        FakeWebhookSink(SIGNING_SECRET).start(),
        FakeSmtp().start(),
    )
    webhook = SignedWebhook(api_client, namespace, logs)
    flags = ["--allow-provider-url", f"{providers.slack.url}/", "--min-reminder-interval", "1s",
             "--console-url", CONSOLE]  # fmt: skip
    operators = CrashableOperator(cluster.kubeconfig, namespace, logs, webhook, flags)
    grant_group(api_client, namespace, "release-managers")
    try:
        yield NotifyStory(api_client, namespace, kubectl, operators, providers)
    finally:
        operators.stop()
        webhook.remove()
        providers.slack.stop()
        providers.sink.stop()
        providers.smtp.stop()
