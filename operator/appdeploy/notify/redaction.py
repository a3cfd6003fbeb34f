"""Keep credentials out of error messages.

Providers and libraries describe failures in their own words, and those words
sometimes echo what was sent (a URL with its token in the path, a server that
repeats the request). Every DeliveryError message passes through ``redact``
with the channel's credentials before it reaches status, Events or logs.
"""

from __future__ import annotations

from collections.abc import Iterable
from urllib.parse import quote, urlsplit

SHORTEST_SECRET = 4
"""Shorter fragments (``/``, a port) are not secrets, and redacting them would garble text."""
REDACTED = "<redacted>"


def secret_fragments(secret: str) -> list[str]:
    """``secret`` and, for a URL, the parts of it that carry credentials on their own."""
    fragments = [secret, quote(secret, safe="")]
    parts = urlsplit(secret)
    if parts.scheme and parts.netloc:
        fragments += [parts.path, parts.query, parts.password or "", parts.username or ""]
    return [fragment for fragment in fragments if len(fragment) >= SHORTEST_SECRET]


def redact(text: str, secrets: Iterable[str]) -> str:
    """``text`` with every credential (and credential-bearing URL part) replaced."""
    fragments = sorted(
        {fragment for secret in secrets for fragment in secret_fragments(secret)},
        key=len,
        reverse=True,
    )
    for fragment in fragments:
        text = text.replace(fragment, REDACTED)
    return text
