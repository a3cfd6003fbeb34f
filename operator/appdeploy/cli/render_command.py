"""``appdeploy render FILE``: print the release a templateRef expands to.

Five lines in git are easy to review; what they run is not on the page. This
shows it, exactly as the operator would store it, with the template's digest
to pin (``templateRef.digest``). A release without a templateRef is printed as
it is. Nothing is printed unless every release in the file is valid.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Mapping
from typing import Any

import yaml

from appdeploy.cli.envelope import is_appdeployment
from appdeploy.cli.exit_codes import INVALID, OK, USAGE, HelpFormatter, exit_codes_help
from appdeploy.cli.files import MissingPathError, yaml_files
from appdeploy.cli.release_check import Checked, check_files
from appdeploy.cli.template_check import add_template_argument

EXIT_CODES = {
    OK: "every release was expanded and is valid; the expanded releases are on stdout",
    INVALID: "a release is invalid (or its template is missing); problems are printed as "
    "FILE:LINE: FIELD: ...",
    USAGE: "usage error: a path that does not exist, an unknown option",
}
EPILOG = f"""{exit_codes_help(EXIT_CODES)}

examples:
  appdeploy render releases/shop-4-13-0.yaml --templates templates/
  appdeploy render releases/shop-4-13-0.yaml --templates templates/ | kubectl diff -f -"""


def add_render_command(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register ``appdeploy render``."""
    parser = commands.add_parser(
        "render",
        help="print the release a templateRef expands to (offline)",
        description="Expand every AppDeployment in FILE whose spec names a template "
        "(spec.templateRef), with the templates found in --templates and in FILE, and print "
        "the expanded releases as YAML, each preceded by a comment naming the template and "
        "its digest (what templateRef.digest pins). Releases are checked as appdeploy "
        "validate checks them; when one is invalid, its problems are printed and nothing else.",
        epilog=EPILOG,
        formatter_class=HelpFormatter,
    )
    parser.add_argument("file", metavar="FILE", help="a file holding AppDeployments")
    add_template_argument(parser)
    parser.set_defaults(handler=run_render_command)


def run_render_command(args: argparse.Namespace) -> int:
    """Print the expanded releases; 1 when any is invalid, 2 when a path is missing."""
    try:
        files = yaml_files([args.file])
        template_files = yaml_files(args.templates)
    except MissingPathError as error:
        print(f"appdeploy render: error: {error}", file=sys.stderr)
        return USAGE
    checked = [c for c in check_files(files, template_files=template_files) if _is_release(c)]
    problems = [problem for c in checked for problem in c.problems]
    if problems:
        for problem in problems:
            print(problem)
        print("nothing rendered: fix the problems above, then run appdeploy render again")
        return INVALID
    if not checked:
        print(f"appdeploy render: no AppDeployment in {args.file}", file=sys.stderr)
        return INVALID
    print("---\n".join(rendered(c) for c in checked), end="")
    return OK


def _is_release(checked: Checked) -> bool:
    # An unreadable file (no document) counts: its problem is reported.
    return checked.document is None or is_appdeployment(checked.document.data)


def rendered(checked: Checked) -> str:
    """One release as YAML: its envelope with the expanded spec, under a comment."""
    assert checked.document is not None and checked.spec is not None
    data: Mapping[str, Any] = checked.document.data
    spec = checked.expanded if checked.expanded is not None else data.get("spec")
    document = {key: data[key] for key in ("apiVersion", "kind", "metadata") if key in data}
    document["spec"] = spec
    header = ""
    if checked.expanded_from is not None:
        source = checked.expanded_from
        header = f"# {checked.name}: expanded from {source} ({source.digest})\n"
    body = yaml.safe_dump(document, sort_keys=False, default_flow_style=False, width=100)
    return header + body
