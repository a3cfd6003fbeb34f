"""Operator logs: one human-readable line per transition, or JSON lines for log pipelines."""

from __future__ import annotations

import copy
import json
import logging
import sys
from datetime import UTC, datetime

from appdeploy.api.text import escape_line

FORMATS = ("text", "json")


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, and release/reason if known."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.fromtimestamp(record.created, UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        for field in ("release", "reason"):
            if hasattr(record, field):
                entry[field] = getattr(record, field)
        if record.exc_info:
            entry["error"] = self.formatException(record.exc_info)
        return json.dumps(entry)


class TextFormatter(logging.Formatter):
    """One line per message: newlines and other control characters in it are escaped.

    Messages carry text people wrote (comments, reasons) and step output; a
    newline there must not forge a second log line. (A traceback the operator
    itself logs still follows on its own lines.)
    """

    def format(self, record: logging.LogRecord) -> str:
        safe = copy.copy(record)
        safe.msg, safe.args = escape_line(record.getMessage()), None
        return super().format(safe)


def configure_logging(log_format: str, verbose: bool) -> None:
    """Route appdeploy's and kopf's logs to stderr in the chosen format."""
    handler = logging.StreamHandler(sys.stderr)
    if log_format == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(
            TextFormatter("%(asctime)s %(levelname)-7s %(message)s", "%Y-%m-%dT%H:%M:%S")
        )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(logging.DEBUG if verbose else logging.INFO)
    # kopf narrates every watch and handler at INFO; keep its warnings and errors.
    logging.getLogger("kopf").setLevel(logging.INFO if verbose else logging.WARNING)
    for noisy in ("urllib3", "kubernetes", "asyncio", "aiohttp"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
