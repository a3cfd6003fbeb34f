"""``appdeploy`` and ``kubectl appdeploy``: one program, one subcommand per module.

Exit codes: 0 success, 1 failure (e.g. an invalid release), 2 usage error.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

from appdeploy import __version__
from appdeploy.cli.cluster_commands import add_cluster_commands
from appdeploy.cli.console_command import add_console_command
from appdeploy.cli.offline import add_offline_commands
from appdeploy.cli.operator_command import add_operator_command
from appdeploy.cli.provider_command import add_provider_command

EXIT_CODES = "Exit codes: 0 success, 1 failure (e.g. an invalid release), 2 usage error."


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of every subcommand."""
    # Installed twice: as `appdeploy`, and as `kubectl-appdeploy` so that
    # `kubectl appdeploy …` works; usage lines should show what was typed.
    invoked = os.path.basename(sys.argv[0]) if sys.argv and sys.argv[0] else ""
    parser = argparse.ArgumentParser(
        prog="kubectl appdeploy" if invoked == "kubectl-appdeploy" else "appdeploy",
        description="Orchestrate mobile app releases on Kubernetes.",
        epilog=EXIT_CODES,
    )
    parser.add_argument("--version", action="version", version=f"appdeploy {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    add_operator_command(commands)
    add_offline_commands(commands)
    add_cluster_commands(commands)
    add_console_command(commands)
    add_provider_command(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``appdeploy`` command."""
    args = build_parser().parse_args(argv)
    code: int = args.handler(args)
    return code


if __name__ == "__main__":
    sys.exit(main())
