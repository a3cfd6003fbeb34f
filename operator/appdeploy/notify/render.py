"""A message's words, as each transport writes them: title, mentions, body.

The planner decides what a record says; this module only decides how it
looks. Slack gets mrkdwn with real mentions (``<@U0123>`` pings a person,
``<!subteam^S01>`` a user group); every other transport gets plain names.
People in ``except_users`` are named, never mentioned: they cannot help, so
they must not be pinged.
"""

from __future__ import annotations

import re

from appdeploy.api.channels import Directory
from appdeploy.api.notifications import Mentions
from appdeploy.notify.transport import Message

SLACK_MEMBER_ID = re.compile(r"^[UW][A-Z0-9]{2,}$")
"""A Slack member id (``U0123``, ``W0123`` on Enterprise Grid): mentioned as ``<@id>``."""


def slack_escape(text: str) -> str:
    """``text`` with Slack's control characters escaped.

    A comment or a version string could otherwise carry ``<!channel>`` and
    ping a whole workspace.
    """
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def slack_user(username: str, directory: Directory) -> str:
    """How Slack mentions ``username``: ``<@U0123>``, a handle as given, or the plain name."""
    handle = directory.users.get(username)
    if handle is None:
        return slack_escape(username)
    return f"<@{handle}>" if SLACK_MEMBER_ID.match(handle) else handle


def slack_group(group: str, directory: Directory) -> str:
    """How Slack mentions ``group``: the directory's mention string, or the plain name."""
    return directory.groups.get(group, slack_escape(group))


def slack_mentions(mentions: Mentions, directory: Directory) -> str:
    """``<@U0123>, <!subteam^S01>, not bob``; empty when nobody is named."""
    parts = [slack_user(user, directory) for user in mentions.users]
    parts += [slack_group(group, directory) for group in mentions.groups]
    parts += [f"not {slack_escape(user)}" for user in mentions.except_users]
    return ", ".join(parts)


def plain_mentions(mentions: Mentions) -> str:
    """``alice@example.com, qa, not bob``: names as the gate spells them."""
    parts = [*mentions.users, *mentions.groups]
    parts += [f"not {user}" for user in mentions.except_users]
    return ", ".join(parts)


def slack_text(message: Message) -> str:
    """The whole Slack message: bold title, who it is for, the body."""
    record = message.record
    lines = [f"*{slack_escape(record.title)}*"]
    mentioned = slack_mentions(record.mentions, message.directory)
    if mentioned:
        lines.append(f"For: {mentioned}")
    if record.text:
        lines.append(slack_escape(record.text))
    return "\n".join(lines)


def plain_text(message: Message) -> str:
    """Plain text for e-mail and PagerDuty: who it is for, the body, the release."""
    record = message.record
    lines = []
    mentioned = plain_mentions(record.mentions)
    if mentioned:
        lines.append(f"For: {mentioned}")
    if record.text:
        lines.append(record.text)
    lines.append(f"Release: {message.release} (run {record.run})")
    return "\n".join(lines)


def teams_mentions(mentions: Mentions, directory: Directory) -> tuple[str, list[dict[str, object]]]:
    """The mention line of an Adaptive Card and its ``msteams.entities``.

    Teams pings a person only through an ``<at>`` tag matched by an entity
    carrying their id (the directory's handle: an Entra object id or UPN);
    people without a handle and groups are written as plain names.
    """
    parts: list[str] = []
    entities: list[dict[str, object]] = []
    for user in mentions.users:
        handle = directory.users.get(user)
        if handle is None:
            parts.append(user)
            continue
        tag = f"<at>{user}</at>"
        parts.append(tag)
        entities.append({"type": "mention", "text": tag, "mentioned": {"id": handle, "name": user}})
    parts += [directory.groups.get(group, group) for group in mentions.groups]
    parts += [f"not {user}" for user in mentions.except_users]
    return ", ".join(parts), entities
