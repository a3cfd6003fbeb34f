"""``appdeploy provider measure``: one health measurement, inside a check step's Job.

The input and the result are docs/rollouts.md's contract: the provider JSON
in ``APPDEPLOY_CHECK_PROVIDER``, credentials in their own env vars, the
result as the termination message. The HTTP client loads only when the
command runs, so the rest of the CLI starts as fast as before.
"""

from __future__ import annotations

import argparse
import os

from appdeploy.cli.exit_codes import OK, USAGE, HelpFormatter, exit_codes_help
from appdeploy.cli.termination_message import add_termination_log_flag, usage_error, write_result

SUMMARY = "Take one health measurement (Prometheus, HTTP, Sentry, Play vitals) for a check step"


def add_measure_action(actions: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register ``provider measure``."""
    parser = actions.add_parser(
        "measure",
        help=SUMMARY,
        description=SUMMARY + ". Reads the step's resolved check.provider as JSON from "
        "APPDEPLOY_CHECK_PROVIDER (exactly one of prometheus, http, sentry, playVitals), "
        "credentials from APPDEPLOY_TOKEN (sentry), APPDEPLOY_SERVICE_ACCOUNT_JSON "
        "(playVitals) or the header env vars (http), and writes "
        '{"value", "sample", "resolvedQuery", "note"} or {"error"} as strings. '
        "It judges nothing: the check step's conditions do (docs/rollouts.md).",
        epilog=exit_codes_help(
            {
                OK: "a result was written (an error measurement included)",
                USAGE: "usage error: bad or missing APPDEPLOY_CHECK_PROVIDER, a missing "
                "credential (also written as the result, with retryable false)",
            }
        ),
        formatter_class=HelpFormatter,
    )
    add_termination_log_flag(parser)
    parser.add_argument(
        "--timeout",
        type=float,
        default=30.0,
        metavar="SECONDS",
        help="give up on the provider after this long (default 30)",
    )
    parser.set_defaults(handler=run_measure)


def run_measure(args: argparse.Namespace) -> int:
    from appdeploy.providers.job_input import UsageError  # noqa: PLC0415
    from appdeploy.providers.measure import (  # noqa: PLC0415 (httpx loads on demand)
        PROVIDER_ENV,
        parse_provider,
        take_measurement,
    )

    if args.timeout <= 0:
        return usage_error("--timeout must be more than 0 seconds", args.termination_log)
    try:
        provider = parse_provider(os.environ.get(PROVIDER_ENV))
        measurement = take_measurement(provider, os.environ, args.timeout)
    except UsageError as error:
        return usage_error(str(error), args.termination_log)
    write_result(measurement.to_message(), args.termination_log)
    return OK
