"""The commands that talk to a cluster: list, status, watch, approve, reject, retry, cancel,
break-glass, logs.

Registered here without importing the kubernetes client (the offline
commands must start fast); each handler imports what it needs.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable

from appdeploy.cli.connection_flags import add_connection_flags
from appdeploy.cli.exit_codes import INVALID, OK, HelpFormatter, exit_codes_help

WAITING_ON_PEOPLE = 3
ACTION_CODES = {
    OK: "done, and the operator took it",
    INVALID: "refused (the reason is printed), or the release does not exist",
    2: "usage error",
}
WATCH_CODES = {
    OK: "the release Succeeded",
    INVALID: "it Failed, was Cancelled or is Invalid",
    2: "usage error",
    WAITING_ON_PEOPLE: "it waits on people (AwaitingApproval)",
}


def _handler(name: str) -> Callable[[argparse.Namespace], int]:
    def run(args: argparse.Namespace) -> int:
        from appdeploy.cli import cluster_handlers  # noqa: PLC0415 (kubernetes loads slowly)

        try:
            return int(getattr(cluster_handlers, name)(args))
        except cluster_handlers.ActionError as error:
            print(f"error: {error}", file=sys.stderr)
            return INVALID
        except ValueError as error:
            print(f"error: {error}", file=sys.stderr)
            return 2

    return run


def add_cluster_commands(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register every cluster subcommand."""

    def command(name: str, summary: str, codes: dict[int, str]) -> argparse.ArgumentParser:
        parser = commands.add_parser(
            name,
            help=summary,
            description=summary,
            epilog=exit_codes_help(codes),
            formatter_class=HelpFormatter,
        )
        add_connection_flags(parser)
        parser.set_defaults(handler=_handler(f"run_{name}"))
        return parser

    listing = command("list", "list releases with their phase and what they wait on", ACTION_CODES)
    listing.add_argument(
        "-A", "--all-namespaces", action="store_true", help="list releases in every namespace"
    )
    status = command(
        "status",
        "show a release's steps (phase, attempts, duration, who a gate waits for, outputs), "
        "its conditions and its audit trail",
        ACTION_CODES,
    )
    status.add_argument("name", metavar="NAME")
    watch = command("watch", "follow a release until it ends or waits on people", WATCH_CODES)
    watch.add_argument("name", metavar="NAME")
    watch.add_argument(
        "--timeout",
        type=float,
        default=0,
        metavar="SECONDS",
        help="give up after this long (default: never)",
    )
    for verb, flag_help in (("approve", "your comment"), ("reject", "why (required)")):
        decision = command(verb, f"{verb} a waiting gate as yourself", ACTION_CODES)
        decision.add_argument("name", metavar="NAME")
        decision.add_argument("gate", metavar="GATE")
        decision.add_argument(
            "-m", "--message", default="", required=verb == "reject", help=flag_help
        )
        if verb == "approve":
            decision.add_argument(
                "--attest",
                action="append",
                metavar="NAME=VALUE",
                help="state a value the gate asks you to attest (repeatable; default: the "
                "values the gate shows in status); refused unless it is what the gate attests",
            )
        _wait_flag(decision)
    retry = command(
        "retry",
        "re-run a step (or every failed step) and everything downstream of an ended release",
        ACTION_CODES,
    )
    retry.add_argument("name", metavar="NAME")
    which = retry.add_mutually_exclusive_group(required=True)
    which.add_argument("--step", help="the step to re-run")
    which.add_argument("--failed", action="store_true", help="re-run every failed step")
    _wait_flag(retry)
    cancel = command("cancel", "cancel the active run (finally steps still run)", ACTION_CODES)
    cancel.add_argument("name", metavar="NAME")
    cancel.add_argument("-m", "--message", required=True, help="why")
    _wait_flag(cancel)
    glass = command(
        "break-glass",
        "override the ReleasePolicies for the release's current spec (breakGlass.groups only)",
        ACTION_CODES,
    )
    glass.set_defaults(handler=_handler("run_break_glass"))
    glass.add_argument("name", metavar="NAME")
    glass.add_argument("--reason", required=True, help="why (recorded with your name)")
    logs = command("logs", "print the logs of a step's pod", ACTION_CODES)
    logs.add_argument("name", metavar="NAME")
    logs.add_argument("step", metavar="STEP")
    logs.add_argument("--attempt", type=int, help="which attempt (default: the latest)")


def _wait_flag(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--wait",
        type=float,
        default=30,
        metavar="SECONDS",
        help="how long to wait for the operator to take it (default 30)",
    )
