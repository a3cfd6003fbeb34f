"""The PagerDuty transport against a fake Events API v2: one incident per gate."""

from __future__ import annotations

import pytest

from appdeploy.api.notify import NotifyEvent
from appdeploy.notify.pagerduty import PagerDutySender, dedup_key
from appdeploy.notify.transport import DeliveryError
from tests.fakes import FakePagerDuty
from tests.unit.notify.messages import RELEASE, a_message, a_record, run


def sender(pagerduty: FakePagerDuty, routing_key: str | None = None) -> PagerDutySender:
    return PagerDutySender(routing_key or pagerduty.routing_key, api_url=pagerduty.events_url)


def test_an_opened_gate_triggers_an_incident_keyed_by_the_gate(pagerduty: FakePagerDuty) -> None:
    message = a_message()
    ref = run(sender(pagerduty).send(message))
    assert ref == dedup_key(RELEASE, 3, "qa-signoff")
    (event,) = pagerduty.events
    assert event["event_action"] == "trigger" and event["dedup_key"] == ref
    payload = event["payload"]
    assert payload["summary"] == message.record.title and payload["source"] == RELEASE
    assert payload["severity"] == "warning"
    assert payload["custom_details"]["id"] == message.record.id
    assert pagerduty.incidents[ref].status == "triggered"


def test_every_escalation_of_a_gate_lands_on_one_incident_resolved_by_the_decision(
    pagerduty: FakePagerDuty,
) -> None:
    async def story() -> None:
        transport = sender(pagerduty)
        await transport.send(a_message())
        for level in (1, 2):
            await transport.send(a_message(a_record(NotifyEvent.GATE_ESCALATED, ordinal=level)))
        await transport.send(a_message(a_record(NotifyEvent.GATE_DECIDED)))
        await transport.close()

    run(story())
    (incident,) = pagerduty.incidents.values()
    actions = [event["event_action"] for event in incident.events]
    assert actions == ["trigger", "trigger", "trigger", "resolve"]
    assert incident.events[1]["payload"]["severity"] == "error"
    assert incident.status == "resolved"


def test_other_gates_and_runs_are_other_incidents() -> None:
    keys = {dedup_key(RELEASE, 3, "qa-signoff"), dedup_key(RELEASE, 4, "qa-signoff")}
    keys |= {dedup_key(RELEASE, 3, "compliance"), dedup_key("other/shop", 3, "qa-signoff")}
    assert len(keys) == 4
    assert all(len(key) <= 255 for key in keys)


def test_a_resend_after_a_lost_answer_is_the_same_incident(pagerduty: FakePagerDuty) -> None:
    message = a_message()
    pagerduty.fail_next(status=500)
    with pytest.raises(DeliveryError) as failed:
        run(sender(pagerduty).send(message))
    assert failed.value.retryable
    run(sender(pagerduty).send(message))
    run(sender(pagerduty).send(message))
    assert len(pagerduty.incidents) == 1


def test_throttling_is_retryable(pagerduty: FakePagerDuty) -> None:
    pagerduty.throttle_next()
    with pytest.raises(DeliveryError) as failed:
        run(sender(pagerduty).send(a_message()))
    assert failed.value.retryable and "HTTP 429" in str(failed.value)


def test_a_wrong_routing_key_is_a_400_not_retryable_and_not_repeated(
    pagerduty: FakePagerDuty,
) -> None:
    wrong = "R0WRONGKEY00000000000000000000000"
    with pytest.raises(DeliveryError) as failed:
        run(sender(pagerduty, wrong).send(a_message()))
    assert not failed.value.retryable and "HTTP 400" in str(failed.value)
    assert wrong not in str(failed.value) and wrong not in repr(sender(pagerduty, wrong))
    assert pagerduty.events == []
