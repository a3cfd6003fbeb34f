"""How every ``appdeploy provider …`` program hands back its result: termination log and stdout.

Kubernetes copies ``/dev/termination-log`` (at most 4 KiB) into the pod's
status, where the operator reads it as the step's outputs; stdout makes the
same result visible in ``kubectl logs`` and when the program runs by hand,
outside a pod, where the file is usually not writable (say so, and go on).
A wrong invocation is written too (``usage_error``), so a failed Job's
status says what was wrong with it rather than only "exit code 2".
"""

from __future__ import annotations

import argparse
import json
import sys

from appdeploy.cli.exit_codes import USAGE
from appdeploy.providers.result import shorten

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
    """Print ``message`` and write it to ``path``; an unwritable path is reported, not fatal."""
    text = json.dumps(message, ensure_ascii=False)
    print(text, flush=True)
    try:
        with open(path, "w", encoding="utf-8") as log:
            log.write(text)
    except OSError as error:
        print(
            f"warning: could not write the result to {path} ({error.strerror or error}); "
            "it is on stdout only",
            file=sys.stderr,
        )


def usage_error(message: str, path: str) -> int:
    """Say ``message`` on stderr, write it as a non-retryable error result, and return exit 2."""
    print(f"error: {message}", file=sys.stderr)
    write_result({"error": shorten(message), "retryable": "false"}, path)
    return USAGE
