"""``appdeploy provider play|appstore ACTION``: the store actions a rollout step's Jobs run.

The rollout step runs these in its Jobs (docs/rollouts.md): the target comes
as JSON in APPDEPLOY_ROLLOUT_TARGET, the credentials from the namespace's
Secrets, and the store's state after the action goes to the termination
message (and stdout) as a JSON object of strings. A store's refusal is a
result, not a crash: exit 0 with ``error`` and ``retryable``, so the planner
decides whether to try again. Only a wrong invocation exits 2.
"""

from __future__ import annotations

import argparse
import os

from appdeploy.cli.exit_codes import OK, USAGE, HelpFormatter, exit_codes_help
from appdeploy.cli.termination_message import add_termination_log_flag, usage_error, write_result
from appdeploy.providers.stores.appstore import APP_STORE_ACTIONS, run_app_store_action
from appdeploy.providers.stores.play import PLAY_ACTIONS, run_play_action
from appdeploy.providers.stores.targets import (
    TARGET_ENV,
    AppStoreTarget,
    GooglePlayTarget,
    TargetError,
    parse_target,
)

EXIT_HELP = exit_codes_help(
    {OK: "a result was written (the store's state, or its error)", USAGE: "usage error"}
)


def _fraction(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not 0 < value <= 1:
        raise argparse.ArgumentTypeError(f"{text} is outside (0, 1]: 0.05 means 5%, 1 completes")
    return value


def add_store_actions(providers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register ``play`` and ``appstore`` under ``appdeploy provider``."""
    play = providers.add_parser(
        "play",
        help="Google Play staged rollout: read, set-fraction, halt, resume, complete",
        description="Act on a Google Play release through the Publishing API's edits: "
        f"{TARGET_ENV} holds {{packageName, track, versionCodes, changesInReviewBehavior}}, "
        "APPDEPLOY_SERVICE_ACCOUNT_JSON the service account's key. Reads before it writes: "
        "when the release is already as wanted, nothing is committed (changed: false).",
        epilog=EXIT_HELP,
        formatter_class=HelpFormatter,
    )
    play.add_argument(
        "action", choices=PLAY_ACTIONS, metavar="ACTION", help=", ".join(PLAY_ACTIONS)
    )
    play.add_argument(
        "--fraction",
        type=_fraction,
        metavar="F",
        help="set-fraction: the share of users, 0 < F <= 1 (1 completes the rollout)",
    )
    add_termination_log_flag(play)
    play.set_defaults(handler=run_play_command)

    appstore = providers.add_parser(
        "appstore",
        help="App Store phased release: read, pause, resume, complete",
        description="Act on an App Store version's phased release through the App Store "
        f"Connect API: {TARGET_ENV} holds {{appId, version}}, APPDEPLOY_ASC_KEY_ID, "
        "APPDEPLOY_ASC_ISSUER_ID and APPDEPLOY_ASC_PRIVATE_KEY the API key. Reads before it "
        "writes: when the release is already as wanted, nothing is changed (changed: false).",
        epilog=EXIT_HELP,
        formatter_class=HelpFormatter,
    )
    appstore.add_argument(
        "action", choices=APP_STORE_ACTIONS, metavar="ACTION", help=", ".join(APP_STORE_ACTIONS)
    )
    add_termination_log_flag(appstore)
    appstore.set_defaults(handler=run_app_store_command)


def run_play_command(args: argparse.Namespace) -> int:
    if args.action == "set-fraction" and args.fraction is None:
        return usage_error("set-fraction needs --fraction F (0 < F <= 1)", args.termination_log)
    if args.action != "set-fraction" and args.fraction is not None:
        return usage_error(
            f"--fraction belongs to set-fraction, not {args.action}", args.termination_log
        )
    try:
        target = parse_target(GooglePlayTarget, os.environ.get(TARGET_ENV))
    except TargetError as error:
        return usage_error(str(error), args.termination_log)
    write_result(run_play_action(args.action, target, args.fraction), args.termination_log)
    return OK


def run_app_store_command(args: argparse.Namespace) -> int:
    try:
        target = parse_target(AppStoreTarget, os.environ.get(TARGET_ENV))
    except TargetError as error:
        return usage_error(str(error), args.termination_log)
    write_result(run_app_store_action(args.action, target), args.termination_log)
    return OK
