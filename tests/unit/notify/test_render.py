"""How a record reads on each transport: mentions resolved through the channel's directory."""

from __future__ import annotations

import pytest

from appdeploy.api.channels import Directory
from appdeploy.api.notifications import Mentions
from appdeploy.notify.render import (
    plain_mentions,
    plain_text,
    slack_mentions,
    slack_text,
    teams_mentions,
)
from tests.unit.notify.messages import DIRECTORY, RELEASE, a_message, a_record

SLACK_CASES = [
    pytest.param(Mentions(users=["alice@example.com"]), "<@U0ALICE>", id="member-id"),
    pytest.param(Mentions(groups=["qa"]), "<!subteam^S0QA>", id="group-as-given"),
    pytest.param(Mentions(users=["carol@example.com"]), "carol@example.com", id="unknown-user"),
    pytest.param(Mentions(groups=["compliance"]), "compliance", id="unknown-group"),
    pytest.param(
        Mentions(groups=["qa"], except_users=["bob@example.com"]),
        "<!subteam^S0QA>, not bob@example.com",
        id="except-named-not-mentioned",
    ),
    pytest.param(Mentions(), "", id="nobody"),
]


@pytest.mark.parametrize(("mentions", "expected"), SLACK_CASES)
def test_slack_mentions(mentions: Mentions, expected: str) -> None:
    assert slack_mentions(mentions, DIRECTORY) == expected


def test_a_slack_handle_that_is_not_a_member_id_is_written_as_given() -> None:
    directory = Directory(users={"dave": "@dave.ops", "erin": "W0ERIN"})
    assert slack_mentions(Mentions(users=["dave", "erin"]), directory) == "@dave.ops, <@W0ERIN>"


def test_slack_text_escapes_what_could_ping_a_whole_workspace() -> None:
    record = a_record(title="shop <!channel> & co", text="comment: <!here>", mentions=Mentions())
    text = slack_text(a_message(record))
    assert "<!channel>" not in text and "<!here>" not in text
    assert text == "*shop &lt;!channel&gt; &amp; co*\ncomment: &lt;!here&gt;"


def test_slack_text_has_title_mentions_and_body() -> None:
    text = slack_text(a_message())
    title, mentions, body = text.split("\n")
    assert title == "*shop 4.12.0: qa-signoff waits for your approval*"
    assert mentions == "For: <@U0ALICE>, <!subteam^S0QA>, not bob"
    assert "kubectl appdeploy approve shop-4-12-0 qa-signoff" in body


def test_plain_mentions_use_the_gates_names() -> None:
    mentions = Mentions(users=["alice@example.com"], groups=["qa"], except_users=["bob"])
    assert plain_mentions(mentions) == "alice@example.com, qa, not bob"


def test_plain_text_names_the_release_and_run() -> None:
    text = plain_text(a_message())
    assert text.splitlines()[0] == "For: alice@example.com, qa, not bob"
    assert text.splitlines()[-1] == f"Release: {RELEASE} (run 3)"


def test_teams_mentions_pair_each_at_tag_with_an_entity() -> None:
    line, entities = teams_mentions(
        Mentions(users=["alice@example.com", "carol"], groups=["qa"], except_users=["bob"]),
        Directory(users={"alice@example.com": "alice@contoso.com"}, groups={"qa": "QA team"}),
    )
    assert line == "<at>alice@example.com</at>, carol, QA team, not bob"
    assert entities == [
        {
            "type": "mention",
            "text": "<at>alice@example.com</at>",
            "mentioned": {"id": "alice@contoso.com", "name": "alice@example.com"},
        }
    ]
