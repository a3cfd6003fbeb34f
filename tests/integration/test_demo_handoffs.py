"""``make demo``'s hand-offs on the real control plane: who was told what, and what arrived.

The demo runs as ``make demo AUTO_APPROVE=1`` runs it (the real operator
process, its admission webhooks, approvals by impersonated people, one
through that person's web console), on the session's cluster, delivering to
the fake providers this test holds, so what each provider received is
checked here, not only as the demo reports it.
"""

from __future__ import annotations

import io
import re
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from demo.__main__ import run_demo
from demo.channels import demo_channels, load_channels, slack_conversations
from demo.cluster import ClusterHandle
from demo.policy import remove_policy
from demo.providers import Providers
from demo.release import demo_release, load_example
from demo.view import Printer
from kubernetes import client

from appdeploy.api.notifications import DeliveryState
from appdeploy.api.status import AppDeploymentStatus
from appdeploy.k8s.labels import GROUP, PLURAL, VERSION
from tests.cluster.ports import is_listening

DEMO_TIMEOUT = 240.0
QA = "alice@example.com, bob@example.com (group qa)"
CONSOLE = re.compile(r"^ {5}(\S+) \(.*?\)\s+http://127\.0\.0\.1:(\d+)/releases/", re.M)


@pytest.fixture
def demo_policy_removed(api_client: Any) -> Iterator[None]:
    """The demo's cluster-scoped ReleasePolicy is removed after: it would cover later stories."""
    yield
    remove_policy(api_client)


def test_the_demo_shows_who_was_told_and_each_provider_got_each_message_once(
    cluster: Any, api_client: Any, tmp_path: Path, demo_policy_removed: None
) -> None:
    # Given the demo's release and channels, delivering to fakes on 127.0.0.1
    release = demo_release(load_example())
    documents = load_channels()
    out = io.StringIO()
    handle = ClusterHandle("pytest", tmp_path, cluster.kubeconfig, started=False)
    with Providers(slack_conversations(documents)) as providers:
        # When the demo runs, approving by itself
        code = run_demo(
            handle,
            release=release,
            channels=demo_channels(documents, providers.endpoints()),
            providers=providers,
            auto_approve=True,
            timeout=DEMO_TIMEOUT,
            printer=Printer(out, colour=False),
            began=time.monotonic(),
        )
        shown = out.getvalue()
        # Then it succeeded, and showed the hand-offs as they were delivered, a reminder included
        assert code == 0, shown
        told = [line.split("  ", 2)[-1] for line in shown.splitlines() if "  → " in line]
        assert f"→ mobile-qa (slack): qa-signoff waits for {QA}" in told
        assert f"→ mobile-qa (slack): reminder: qa-signoff still waits for {QA}" in told
        assert f"→ releases (webhook): qa-signoff waits for {QA}" in told
        assert "→ compliance-mail (email): compliance waits for carol@example.com (group " in (
            "\n".join(told)
        )
        assert "→ releases (webhook): shop 4.12.0: released" in told
        assert "every one of the" in shown and "arrived exactly once" in shown
        # The policy covers the demo namespace: the shortcut past compliance was refused at
        # the door, naming the policy, the rule and the field; the release itself passed
        refusal = next(line for line in shown.splitlines() if "is refused at the door" in line)
        assert (
            "ReleasePolicy production-store (rule protect): spec.steps[9]: upload-testflight "
            "uses Secret app-store-connect-api-key"
        ) in refusal
        consoles = {user: int(port) for user, port in CONSOLE.findall(shown)}
        assert list(consoles) == [f"{n}@example.com" for n in ("alice", "bob", "carol", "dave")]

        # And every record in the outbox is Sent and reached its provider exactly once
        body = client.CustomObjectsApi(api_client).get_namespaced_custom_object(
            GROUP, VERSION, release.namespace, PLURAL, release.name
        )
        status = AppDeploymentStatus.model_validate(body["status"])
        assert [(r.policy, r.outcome) for r in status.policies] == [("production-store", "Passed")]
        records = status.notifications
        assert {r.state for r in records} == {DeliveryState.SENT}
        by_channel: dict[str, set[str]] = {}
        for record in records:
            by_channel.setdefault(record.channel, set()).add(record.id)
        assert len(told) == len(records)  # one line per delivered record

        slack = Counter(str(p.metadata["event_payload"]["id"]) for p in providers.slack.posts())
        assert set(slack) == by_channel["mobile-qa"] and set(slack.values()) == {1}
        reminder = next(r for r in records if r.event == "GateReminded")
        first = next(r for r in records if r.event == "GateOpened" and r.channel == "mobile-qa")
        assert reminder.thread == first.id
        # QA approved only once reminded: the reminder was delivered while the gate waited
        qa = next(step for step in status.steps if step.name == "qa-signoff")
        assert reminder.sent_at is not None and len(qa.approvals) == 2
        assert all(reminder.sent_at <= approval.at for approval in qa.approvals)
        posted = {str(p.metadata["event_payload"]["id"]): p for p in providers.slack.posts()}
        assert posted[reminder.id].thread_ts == posted[first.id].ts
        assert posted[first.id].edited  # the first message now says how the gate was decided

        assert all(r.signature_ok for r in providers.sink.received)
        keys = providers.sink.delivered_keys()
        assert set(keys) == by_channel["releases"] and set(keys.values()) == {1}
        mails = Counter(
            str(m["Message-ID"]).strip("<>").split("@")[0] for m in providers.smtp.messages
        )
        assert set(mails) == by_channel["compliance-mail"] and set(mails.values()) == {1}
        assert providers.pagerduty.events == []  # nobody waited 24 (demo) hours for QA

        # And compliance was approved in carol's web console, as her browser submits the
        # gate page's form: the webhook signed it as her, the operator verified it
        gate = f"/releases/{release.namespace}/{release.name}/gates/compliance"
        console = f"http://127.0.0.1:{consoles['carol@example.com']}"
        assert f"carol@example.com's console: POST {console}{gate}/approve" in shown
        answer = "carol@example.com: Approved compliance as carol@example.com; the gate is "
        assert answer in shown
        compliance = next(step for step in status.steps if step.name == "compliance")
        [carol] = compliance.approvals
        assert (carol.user, carol.verified) == ("carol@example.com", True)
        assert carol.comment == "scan clean, release notes reviewed"
        # attesting the builds the page showed (the example's gate.attest), signed with them
        assert carol.attest == {"iosBuild": "412", "androidBuild": "4120"}
        # And notifications link to the gate's page in alice's console (--console-url)
        alice = f"http://127.0.0.1:{consoles['alice@example.com']}"
        link = f"console: {alice}/releases/{release.namespace}/{release.name}/gates/qa-signoff"
        assert any(link in text for p in providers.slack.posts() for text in [p.text, *p.updates])
        # And every console was stopped with the demo
        assert not any(is_listening(port) for port in consoles.values())
        assert not (tmp_path / "demo-consoles" / "running.json").exists()
