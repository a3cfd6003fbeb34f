"""How a provider program hands its result back: the termination message, and stdout.

Kubernetes copies ``/dev/termination-log`` (at most 4 KiB) into the pod's
status, where the operator reads it as the step's outputs; stdout makes the
same result visible in ``kubectl logs`` and when the program runs by hand,
outside a pod, where the file is usually not writable (say so, and go on).
"""

from __future__ import annotations

import argparse
import json
import sys

DEFAULT_PATH = "/dev/termination-log"


def add_termination_log_flag(parser: argparse.ArgumentParser) -> None:
    """``--termination-log PATH``, for every provider action."""
    parser.add_argument(
        "--termination-log",
        default=DEFAULT_PATH,
        metavar="PATH",
        help=f"where to write the result JSON (default {DEFAULT_PATH}); also printed on stdout",
    )


def write_result(message: dict[str, str], path: str) -> None:
    """Write ``message`` to ``path`` and stdout; an unwritable path is reported, not fatal."""
    text = json.dumps(message, ensure_ascii=False)
    try:
        with open(path, "w", encoding="utf-8") as log:
            log.write(text)
    except OSError as error:
        print(
            f"warning: could not write the termination log {path}: {error.strerror or error}",
            file=sys.stderr,
        )
    print(text, flush=True)
