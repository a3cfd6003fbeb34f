"""Signed approval envelopes (DESIGN.md §5): who decided a gate, as the API server saw them.

Only the API server knows who wrote an annotation; it tells the admission
webhook, which replaces the annotation's value with an envelope naming that
person and signs it with an HMAC key the operator holds. The signature binds
the envelope to one release (namespace, name, uid), one run, one gate and
one kind of decision, so a signed approval cannot be altered, nor copied to
another release, gate or run. An approval of a gate that declares ``attest``
carries the values the approver attested to, and the signature covers them;
an envelope without them signs exactly the bytes it always did, so the
approvals recorded before attestation existed still verify. Pure: no I/O,
the key is passed in.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from appdeploy.api.timestamps import format_timestamp, utc_seconds

VERSION = 1


@dataclass(frozen=True)
class Target:
    """The release a decision is about."""

    namespace: str
    name: str
    uid: str


@dataclass(frozen=True)
class Envelope:
    """A decision and who made it, as carried in the annotation value."""

    kind: str
    """approve or reject."""
    gate: str
    user: str
    groups: tuple[str, ...]
    comment: str
    at: datetime | None
    run: int | None
    signature: str = ""
    attest: tuple[tuple[str, str], ...] = ()
    """The values the approver attested to, sorted by name (``attest_pairs``)."""

    def payload(self, target: Target) -> bytes:
        """The canonical bytes the signature covers."""
        fields = [
            VERSION,
            target.namespace,
            target.name,
            target.uid,
            self.kind,
            self.gate,
            self.user,
            sorted(self.groups),
            self.comment,
            format_timestamp(self.at) if self.at else "",
            self.run,
        ]
        if self.attest:
            # Appended only when present: an envelope without attest keeps its old bytes.
            fields.append([list(pair) for pair in sorted(self.attest)])
        return json.dumps(fields, separators=(",", ":"), ensure_ascii=False).encode()

    def signed(self, key: bytes, target: Target) -> Envelope:
        """The same envelope with its signature."""
        digest = hmac.new(key, self.payload(target), hashlib.sha256).hexdigest()
        return replace(self, signature=digest)

    def verify(self, key: bytes, target: Target) -> bool:
        """True when the signature was made with ``key`` for exactly this decision and release."""
        expected = self.signed(key, target).signature
        return bool(self.signature) and hmac.compare_digest(expected, self.signature)

    def to_annotation(self) -> str:
        """The annotation value: compact JSON."""
        return json.dumps(
            {
                "v": VERSION,
                "user": self.user,
                "groups": list(self.groups),
                "comment": self.comment,
                "at": format_timestamp(self.at) if self.at else None,
                "run": self.run,
                "signature": self.signature,
                **({"attest": dict(self.attest)} if self.attest else {}),
            },
            separators=(",", ":"),
            ensure_ascii=False,
        )


AUTHOR_READABLE_LIMIT = 40
COMMENT_LIMIT = 1024
"""Characters a comment or reason may hold: it is copied into status, Events and logs."""


def comment_problem(text: str) -> str:
    """Why a comment or reason cannot be recorded ("" if it can): too long, or control chars."""
    if len(text) > COMMENT_LIMIT:
        return f"the comment is {len(text)} characters long; at most {COMMENT_LIMIT} are kept"
    odd = next((char for char in text if not (char.isprintable() or char in "\n\t")), None)
    if odd is not None:
        return f"the comment holds the control character U+{ord(odd):04X}; write plain text"
    return ""


def author_tag(user: str) -> str:
    """A DNS label naming one person, for the annotation key that holds their decision.

    Readable (``alice-example-com-…``) and unique: the hash is of the exact
    username, so two people never share a key however their names compare.
    """
    readable = re.sub(r"[^a-z0-9]+", "-", user.lower()).strip("-")
    readable = readable[:AUTHOR_READABLE_LIMIT].strip("-") or "user"
    return f"{readable}-{hashlib.sha256(user.encode()).hexdigest()[:10]}"


def comment_of(value: str) -> str:
    """What the person wrote: the raw value, or the ``comment`` of a JSON object they wrote.

    Any identity a caller put in the value is discarded: only the API server's word counts.
    """
    parsed = _json_object(value)
    if parsed is None:
        return value.strip()
    return str(parsed.get("comment") or "")


def attest_pairs(values: Mapping[str, str]) -> tuple[tuple[str, str], ...]:
    """Attested values as an envelope holds them: (name, value) pairs sorted by name."""
    return tuple(sorted((str(key), str(value)) for key, value in values.items()))


def attest_of(value: str) -> tuple[tuple[str, str], ...]:
    """The values a person attests to: the ``attest`` object of a JSON value they wrote.

    ValueError when ``attest`` is there but not an object of texts, so a
    malformed attestation is refused rather than read as none.
    """
    parsed = _json_object(value)
    if parsed is None or parsed.get("attest") is None:
        return ()
    attest = parsed["attest"]
    if not isinstance(attest, dict) or not all(isinstance(v, str) for v in attest.values()):
        raise ValueError('"attest" must be an object of texts, e.g. {"buildDigest": "sha256:…"}')
    return attest_pairs(attest)


def read_envelope(kind: str, gate: str, value: str) -> Envelope | None:
    """The envelope in an annotation value, or None if the value is not one.

    Raises ValueError when it looks like an envelope but a field is unreadable.
    """
    parsed = _json_object(value)
    if parsed is None or "user" not in parsed:
        return None
    run = parsed.get("run")
    at = parsed.get("at")
    return Envelope(
        kind=kind,
        gate=gate,
        user=str(parsed["user"]),
        groups=tuple(str(group) for group in parsed.get("groups") or ()),
        comment=str(parsed.get("comment") or ""),
        at=utc_seconds(datetime.fromisoformat(str(at).replace("Z", "+00:00"))) if at else None,
        run=int(run) if run is not None else None,
        signature=str(parsed.get("signature") or ""),
        attest=attest_of(value),
    )


def _json_object(value: str) -> dict[str, Any] | None:
    text = value.strip()
    if not text.startswith("{"):
        return None
    try:
        parsed = json.loads(text)
    except ValueError:
        return None
    return parsed if isinstance(parsed, dict) else None
