"""``appdeploy schema`` and ``appdeploy crd``: the API's schemas, from the installed version.

Printing them from the CLI (rather than pointing at a URL) means an editor,
a CI linter and a cluster get the schema of the exact appdeploy version the
team runs, generated from the same models that validate releases.
"""

from __future__ import annotations

import argparse
import json
import sys

from appdeploy.api.crd import render_crd
from appdeploy.cli.exit_codes import OK, USAGE, HelpFormatter, exit_codes_help
from appdeploy.cli.json_schema import appdeployment_json_schema

EXIT_CODES = {OK: "printed", USAGE: "usage error: an unknown option"}
SCHEMA_EPILOG = f"""{exit_codes_help(EXIT_CODES)}

editor setup (yaml-language-server, e.g. VS Code's YAML extension):
  appdeploy schema > .schemas/appdeployment.schema.json
  then start each release file with
  # yaml-language-server: $schema=../.schemas/appdeployment.schema.json"""

CRD_EPILOG = f"""{exit_codes_help(EXIT_CODES)}

example:
  appdeploy crd | kubectl apply --server-side -f -"""


def add_schema_commands(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register ``appdeploy schema`` and ``appdeploy crd``."""
    schema = commands.add_parser(
        "schema",
        help="print a JSON Schema of an AppDeployment (editors, yaml-language-server)",
        description="Print a JSON Schema (draft 2020-12) of a whole AppDeployment document, "
        "with every field's description and default, for editor completion and checks as "
        "you type. It checks shapes only; appdeploy validate also checks the rules that "
        "span steps (needs, cycles, substitutions).",
        epilog=SCHEMA_EPILOG,
        formatter_class=HelpFormatter,
    )
    schema.set_defaults(handler=run_schema_command)
    crd = commands.add_parser(
        "crd",
        help="print the AppDeployment CustomResourceDefinition (YAML)",
        description="Print the CustomResourceDefinition of appdeployments.appdeploy.dev, "
        "the same as crds/ in the repository.",
        epilog=CRD_EPILOG,
        formatter_class=HelpFormatter,
    )
    crd.set_defaults(handler=run_crd_command)


def run_schema_command(args: argparse.Namespace) -> int:
    """Print the JSON Schema as indented JSON."""
    sys.stdout.write(json.dumps(appdeployment_json_schema(), indent=2) + "\n")
    return OK


def run_crd_command(args: argparse.Namespace) -> int:
    """Print the CRD as YAML."""
    sys.stdout.write(render_crd())
    return OK
