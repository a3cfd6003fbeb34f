"""Who was told what: a line per delivered notification, and what the providers received.

The lines are read from the release's outbox (``status.notifications``): a
record is printed once, when it turns ``Sent`` (or ``Failed``), with the
channel, its transport and who it was for. A gate's record names groups
(``qa``); the demo knows who in them it plays (the cast in ``approvers``), so
the line names those people, as the channel's directory would mention them.
At the end, ``received_summary`` compares the outbox with what the fake
providers got, by record id: every message must have arrived exactly once.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from appdeploy.api.notifications import DeliveryState, Mentions, Notification
from appdeploy.api.notify import NotifyEvent
from demo.channels import DemoChannels
from demo.providers import times_received
from demo.view import Printer, clock


def who(mentions: Mentions, members: Mapping[str, Sequence[str]]) -> str:
    """``alice@example.com, bob@example.com (group qa)``: the people who can still help."""
    barred = set(mentions.except_users)
    people = list(mentions.users)
    for group in mentions.groups:
        people += [m for m in members.get(group, ()) if m not in barred and m not in people]
    groups = ""
    if mentions.groups:
        groups = ("group " if len(mentions.groups) == 1 else "groups ") + ", ".join(mentions.groups)
        if barred:
            groups += f"; not {', '.join(mentions.except_users)}"
    if people and groups:
        return f"{', '.join(people)} ({groups})"
    return ", ".join(people) or groups


def told(record: Notification, members: Mapping[str, Sequence[str]]) -> str:
    """What the record told, in one line: ``qa-signoff waits for alice, bob (group qa)``."""
    for_whom = who(record.mentions, members)
    if not record.step or not for_whom:
        return record.title  # "shop 4.12.0: released", "shop 4.12.0: qa-signoff approved by …"
    if record.event is NotifyEvent.GATE_OPENED:
        return f"{record.step} waits for {for_whom}"
    if record.event is NotifyEvent.GATE_REMINDED:
        return f"reminder: {record.step} still waits for {for_whom}"
    if record.event is NotifyEvent.GATE_ESCALATED:
        return f"escalated (level {record.ordinal}): {record.step} still waits for {for_whom}"
    return record.title


@dataclass
class HandoffView:
    """Prints each outbox record once, when it was delivered (or given up on)."""

    printer: Printer
    transports: Mapping[str, str]
    members: Mapping[str, Sequence[str]]
    shown: set[str] = field(default_factory=set)

    def show(self, records: Sequence[Notification]) -> None:
        for record in records:
            if record.id in self.shown or not record.state.is_settled:
                continue
            self.shown.add(record.id)
            channel = f"{record.channel} ({self.transports.get(record.channel, '?')})"
            if record.state is DeliveryState.SENT:
                arrow = self.printer.paint("→", "36")
                at = clock(record.sent_at)
                self.printer.line(f"  {at}  {arrow} {channel}: {told(record, self.members)}")
            else:
                mark = self.printer.paint("!", "31")
                self.printer.line(
                    f"  {clock()}  {mark} {channel}: not delivered: {record.title}: {record.error}"
                )


def received_summary(
    records: Sequence[Notification], channels: DemoChannels, received: Counter[str]
) -> tuple[list[str], list[str]]:
    """(a line per channel of what its provider got, the problems: missing or duplicate)."""
    lines: list[str] = []
    problems: list[str] = []
    width = max(len(name) for name in channels.transports)
    where_width = max(len(channels.describe(name)) for name in channels.transports)
    accounted = 0
    for name, transport in channels.transports.items():
        events: list[str] = []
        for record in records:
            if record.channel != name:
                continue
            times = times_received(record, transport, received)
            accounted += times
            events += [str(record.event)] * times
            if record.state is not DeliveryState.SENT:
                problems.append(f"{name}: {record.event} {record.step} is {record.state}")
            elif times != 1:
                what = "never arrived" if times == 0 else f"arrived {times} times"
                problems.append(f"{name}: {record.event} {record.step} {what}")
        counted = ", ".join(
            f"{event} x{count}" if count > 1 else event for event, count in Counter(events).items()
        )
        got = f"{len(events)} message{'' if len(events) == 1 else 's'}: {counted}"
        lines.append(
            f"{name.ljust(width)}  {channels.describe(name).ljust(where_width)}  "
            f"{got if events else 'nothing'}"
        )
    unknown = sum(received.values()) - accounted
    if unknown:
        problems.append(f"the providers got {unknown} message(s) no outbox record accounts for")
    return lines, problems
