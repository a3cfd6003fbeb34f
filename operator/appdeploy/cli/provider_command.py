"""``appdeploy provider …``: the programs a release's Jobs run (docs/rollouts.md)."""

from __future__ import annotations

import argparse

from appdeploy.cli.store_commands import add_store_actions

SUMMARY = "Programs run inside step Jobs: store actions (docs/rollouts.md)"


def add_provider_command(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register ``provider`` and its programs."""
    parser = commands.add_parser("provider", help=SUMMARY, description=SUMMARY)
    providers = parser.add_subparsers(dest="provider", required=True, metavar="PROGRAM")
    add_store_actions(providers)
