"""What the demo says once the release ended: how it ended, and what the providers received.

The exit status follows from both: 0 only when the release Succeeded and
every notification in its outbox reached its fake provider exactly once.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from appdeploy.api.notifications import Notification
from appdeploy.api.status import AppDeploymentStatus, Phase
from appdeploy.cli.release_view import status_text
from demo.channels import DemoChannels
from demo.handoffs import received_summary
from demo.providers import Providers
from demo.view import Printer


def summary(final: dict[str, Any], printer: Printer, took: float) -> int:
    status = AppDeploymentStatus.model_validate(final.get("status") or {})
    printer.line()
    printer.line(
        f"{printer.bold(str(final['metadata']['name']))} ended "
        f"{printer.phase(str(status.phase), pad=False)} after {took:.0f}s"
    )
    printer.line()
    for text in status_text(final, datetime.now().astimezone()).splitlines():
        printer.line(f"  {text}" if text else "")
    printer.line()
    return 0 if status.phase is Phase.SUCCEEDED else 1


def received(
    final: dict[str, Any], channels: DemoChannels, providers: Providers, printer: Printer
) -> bool:
    """What each fake provider received, per channel; True if every message arrived once."""
    records = [
        Notification.model_validate(r) for r in (final.get("status") or {}).get("notifications", [])
    ]
    lines, problems = received_summary(records, channels, providers.received())
    printer.line(printer.bold("What the fake providers received, per channel:"))
    for text in lines:
        printer.line(f"  {text}")
    for problem in problems:
        printer.line(printer.paint(f"  problem: {problem}", "31"))
    if not problems:
        printer.line(
            f"  every one of the {len(records)} notifications arrived exactly once "
            "(checked by record id: Slack metadata, Idempotency-Key, Message-ID, PagerDuty)"
        )
    printer.line()
    return not problems
