"""Signed claims about a spec: who wrote it (``spec-author``), who broke the glass for it.

The mutating webhook writes them (docs/security.md, "Attributed changes"):
the API server's word on who sent the request, the hash of the spec it
carried, when, and an HMAC with the operator's key, in the style of the
approval envelopes (``appdeploy.api.approvals``).

The signature binds a claim to the release's namespace and name and to the
generation the spec gets. Not to its uid: a mutating webhook does not know
the uid of an object being created. The generation stands in for it: a
CREATE is generation 1, a spec change is the stored generation plus one, so a
claim copied from an earlier version of the same release (or another release)
no longer verifies, even when the spec is set back to what it was then. Pure.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from appdeploy.api.approvals import comment_of
from appdeploy.api.timestamps import format_timestamp, utc_seconds

VERSION = 1
SPEC_AUTHOR = "spec-author"
BREAK_GLASS = "break-glass"


@dataclass(frozen=True)
class ClaimTarget:
    """The release and the generation of its spec a claim is about."""

    namespace: str
    name: str
    generation: int


@dataclass(frozen=True)
class SpecClaim:
    """A signed statement about one spec, as carried in the annotation value."""

    kind: str
    """``spec-author`` or ``break-glass``: one kind's signature never passes for the other."""
    user: str
    groups: tuple[str, ...]
    spec_hash: str
    generation: int
    at: datetime | None
    reason: str = ""
    """Why the glass was broken (empty for an author)."""
    signature: str = ""

    def payload(self, namespace: str, name: str) -> bytes:
        """The canonical bytes the signature covers."""
        fields = [
            VERSION,
            self.kind,
            namespace,
            name,
            self.generation,
            self.user,
            sorted(self.groups),
            self.spec_hash,
            self.reason,
            format_timestamp(self.at) if self.at else "",
        ]
        return json.dumps(fields, separators=(",", ":"), ensure_ascii=False).encode()

    def signed(self, key: bytes, namespace: str, name: str) -> SpecClaim:
        """The same claim with its signature."""
        digest = hmac.new(key, self.payload(namespace, name), hashlib.sha256).hexdigest()
        return replace(self, signature=digest)

    def verify(self, key: bytes, namespace: str, name: str) -> bool:
        """True when the signature was made with ``key`` for exactly this claim and release."""
        expected = self.signed(key, namespace, name).signature
        return bool(self.signature) and hmac.compare_digest(expected, self.signature)

    def to_annotation(self) -> str:
        """The annotation value: compact JSON."""
        value: dict[str, Any] = {
            "v": VERSION,
            "user": self.user,
            "groups": list(self.groups),
            "specHash": self.spec_hash,
            "generation": self.generation,
            "at": format_timestamp(self.at) if self.at else None,
        }
        if self.kind == BREAK_GLASS:
            value["reason"] = self.reason
        value["signature"] = self.signature
        return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def read_claim(kind: str, value: str) -> SpecClaim | None:
    """The claim in an annotation value; None when it is not a JSON object naming a user.

    Raises ValueError when it looks like a claim but a field is unreadable.
    """
    text = value.strip()
    if not text.startswith("{"):
        return None
    try:
        parsed = json.loads(text)
    except ValueError:
        return None
    if not isinstance(parsed, dict) or "user" not in parsed:
        return None
    at = parsed.get("at")
    return SpecClaim(
        kind=kind,
        user=str(parsed["user"]),
        groups=tuple(str(group) for group in parsed.get("groups") or ()),
        spec_hash=str(parsed.get("specHash") or ""),
        generation=int(parsed.get("generation") or 0),
        at=utc_seconds(datetime.fromisoformat(str(at).replace("Z", "+00:00"))) if at else None,
        reason=str(parsed.get("reason") or ""),
        signature=str(parsed.get("signature") or ""),
    )


def reason_of(value: str) -> str:
    """What a person wrote as the break-glass reason: plain text or ``{"reason": "..."}``.

    Any identity or signature in the value is discarded, as for approvals.
    """
    text = value.strip()
    if text.startswith("{"):
        try:
            parsed = json.loads(text)
        except ValueError:
            return text
        if isinstance(parsed, dict):
            return str(parsed.get("reason") or parsed.get("comment") or "").strip()
    return comment_of(text)
