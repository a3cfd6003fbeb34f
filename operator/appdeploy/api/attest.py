"""The names and values a gate's approvers attest to (``gate.attest``), as the API takes them.

Kept apart from ``appdeploy.api.spec`` so ReleasePolicy (``requireGates[].attest``) names
keys with the same rule. Each value is a text with substitutions, resolved when the gate
opens (docs/run-semantics.md, "Attested approvals").
"""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import AfterValidator, Field

ATTEST_KEY_PATTERN = r"^[A-Za-z][A-Za-z0-9_-]*$"
MAX_ATTEST = 16
ATTEST_KEY_LENGTH = 63
ATTEST_VALUE_LENGTH = 512
ATTEST_KEYS = (
    f"attest names start with a letter and hold letters, digits, '_' and '-', at most "
    f"{ATTEST_KEY_LENGTH} characters"
)


def _attest_keys(values: dict[str, str]) -> dict[str, str]:
    bad = [
        key
        for key in values
        if re.fullmatch(ATTEST_KEY_PATTERN, key) is None or len(key) > ATTEST_KEY_LENGTH
    ]
    if bad:
        raise ValueError(f"{', '.join(map(repr, bad))}: {ATTEST_KEYS}")
    return values


AttestValues = Annotated[
    dict[str, Annotated[str, Field(min_length=1, max_length=ATTEST_VALUE_LENGTH)]],
    Field(
        max_length=MAX_ATTEST,
        json_schema_extra={
            "x-kubernetes-validations": [
                {
                    "rule": f"self.all(k, size(k) <= {ATTEST_KEY_LENGTH} && "
                    f"k.matches('{ATTEST_KEY_PATTERN}'))",
                    "message": ATTEST_KEYS,
                }
            ]
        },
    ),
    AfterValidator(_attest_keys),
]
