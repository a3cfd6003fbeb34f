"""The commands that need no cluster: validate, render, graph, policy explain, schema, crd.

They import only ``appdeploy.api`` and the pure ``appdeploy.engine`` (never
kopf or the kubernetes client), so they start fast in pre-commit hooks and CI
jobs and work without a kubeconfig.
"""

from __future__ import annotations

import argparse

from appdeploy.cli.graph_command import add_graph_command
from appdeploy.cli.policy_command import add_policy_command
from appdeploy.cli.render_command import add_render_command
from appdeploy.cli.schema_command import add_schema_commands
from appdeploy.cli.validate_command import add_validate_command


def add_offline_commands(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register every offline subcommand, in the order ``--help`` lists them."""
    add_validate_command(commands)
    add_render_command(commands)
    add_graph_command(commands)
    add_policy_command(commands)
    add_schema_commands(commands)
