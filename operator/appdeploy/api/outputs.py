"""Step outputs: the JSON object of strings a run step writes to its termination message.

Outputs come from the step's container, which may be compromised, and flow
into later steps' argv and env, gate descriptions, status, Events and logs.
So they are checked when read (docs/run-semantics.md, "Outputs"): a name a
``$(steps.STEP.outputs.NAME)`` reference can spell, and a value of at most
``MAX_VALUE`` printable characters (no newlines, escapes or other control
and format characters, which would forge log lines or disguise text). A
step whose outputs break these rules fails, naming the output; the kubelet
already caps the whole message at 4 KiB. ``$`` is allowed: values are escaped
for the kubelet where they are substituted (``appdeploy.api.substitutions``).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping

from appdeploy.api.substitutions import REFERENCE_NAME

MAX_NAME = 63
MAX_VALUE = 1024
_NAME = re.compile(rf"^{REFERENCE_NAME}$")


def _shown(text: str) -> str:
    # JSON quoting keeps a hostile name on one line and visible.
    return json.dumps(text[:MAX_NAME] + ("…" if len(text) > MAX_NAME else ""))


def output_problems(outputs: Mapping[str, str]) -> list[str]:
    """Why each output breaks the rules above, e.g. ``notes: contains U+000A``; [] if none."""
    problems = []
    for name, value in outputs.items():
        if len(name) > MAX_NAME or not _NAME.match(name):
            problems.append(
                f"{_shown(name)} is not an output name: use letters, digits, '_', '-' and '.' "
                f"(at most {MAX_NAME}), starting with a letter, digit or '_'"
            )
            continue
        if len(value) > MAX_VALUE:
            problems.append(f"{name}: {len(value)} characters; an output holds at most {MAX_VALUE}")
        elif bad := next((char for char in value if not char.isprintable()), None):
            problems.append(f"{name}: contains U+{ord(bad):04X}; outputs are one line of text")
    return problems


def parse_outputs(message: str) -> tuple[dict[str, str], str]:
    """Outputs from a termination message that is a JSON object of strings, and a note.

    Anything else (a log tail, a JSON list) yields no outputs and a note saying so.
    """
    text = message.strip()
    if not text:
        return {}, ""
    try:
        parsed = json.loads(text)
    except ValueError:
        parsed = None
    if isinstance(parsed, dict) and all(isinstance(v, str) for v in parsed.values()):
        return {str(key): value for key, value in parsed.items()}, ""
    return {}, "termination message is not a JSON object of strings; no outputs recorded"
