"""The hash that names one version of a release's spec (attribution, break-glass, history).

sha256 over the spec as canonical JSON (keys sorted, no spaces), so the same
spec always hashes the same whichever client wrote it, and any change to it
(a gate removed, ``required`` lowered) gives another hash. Pure.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

PREFIX = "sha256:"


def spec_hash(spec: Any) -> str:
    """``sha256:<hex>`` of ``spec`` as stored (a mapping, or whatever the object holds)."""
    canonical = json.dumps(spec, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return PREFIX + hashlib.sha256(canonical.encode()).hexdigest()
