"""``appdeploy provider ACTION``: the programs that step Jobs run in the operator's image.

Each action is registered by a function in ``PROVIDER_ACTIONS``, so a new
one (a store action) is one import and one list entry here.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable

from appdeploy.cli.exit_codes import HelpFormatter
from appdeploy.cli.provider_measure import add_measure_action
from appdeploy.cli.store_commands import add_store_actions

SUMMARY = "Programs that check and rollout steps run inside their Jobs (docs/rollouts.md)"

ProviderAction = Callable[["argparse._SubParsersAction[argparse.ArgumentParser]"], None]
"""Adds one action (``measure``, ``play``, …) to the ``provider`` group."""

PROVIDER_ACTIONS: list[ProviderAction] = [
    add_measure_action,
    add_store_actions,
]


def add_provider_command(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register ``provider`` and every action in ``PROVIDER_ACTIONS``."""
    parser = commands.add_parser(
        "provider",
        help=SUMMARY,
        description=SUMMARY + ". They read their input from the environment, talk to one "
        "outside service, and write the result JSON to the termination log and stdout.",
        formatter_class=HelpFormatter,
    )
    actions = parser.add_subparsers(dest="provider_action", required=True, metavar="ACTION")
    for add_action in PROVIDER_ACTIONS:
        add_action(actions)
