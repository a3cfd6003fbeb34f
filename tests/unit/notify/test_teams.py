"""The Teams transport against a fake workflow webhook that takes Adaptive Cards."""

from __future__ import annotations

import pytest

from appdeploy.notify.teams import TeamsSender
from appdeploy.notify.transport import DeliveryError
from tests.fakes import FakeTeams
from tests.unit.notify.messages import RELEASE, a_message, run


def test_send_posts_an_adaptive_card_the_webhook_accepts(teams: FakeTeams) -> None:
    message = a_message()
    assert run(TeamsSender(teams.webhook_url).send(message)) == message.record.id
    (card,) = teams.cards
    texts = [block.get("text") for block in card["body"]]
    assert texts[0] == message.record.title
    assert texts[1] == "For: <at>alice@example.com</at>, <!subteam^S0QA>, not bob"
    assert card["msteams"]["entities"][0]["mentioned"]["id"] == "U0ALICE"
    facts = {fact["title"]: fact["value"] for fact in card["body"][-1]["facts"]}
    assert facts == {"Release": RELEASE, "Run": "3", "Event": "GateOpened"}


@pytest.mark.parametrize(("status", "retryable"), [(429, True), (502, True), (400, False)])
def test_failures_are_classified(teams: FakeTeams, status: int, retryable: bool) -> None:
    teams.fail_next(status=status)
    with pytest.raises(DeliveryError) as failed:
        run(TeamsSender(teams.webhook_url).send(a_message()))
    assert failed.value.retryable is retryable


def test_a_wrong_url_signature_is_refused_and_never_written_in_the_error(teams: FakeTeams) -> None:
    wrong = teams.webhook_url.replace(teams.signature, "sig0wrong0teams0value")
    transport = TeamsSender(wrong)
    with pytest.raises(DeliveryError) as failed:
        run(transport.send(a_message()))
    assert not failed.value.retryable and "HTTP 401" in str(failed.value)
    assert "sig0wrong0teams0value" not in str(failed.value) + repr(transport)
