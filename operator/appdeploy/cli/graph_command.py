"""``appdeploy graph FILE``: draw a release's DAG, its gates and its waits.

For reviewing a release change before merging it: the text form reads in a
terminal or a CI log, Mermaid renders in GitHub Markdown (pull request
descriptions, docs), DOT feeds Graphviz. The graph goes to stdout and
problems to stderr, so ``graph ... | dot -Tsvg`` never draws an error message.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path

from appdeploy.api.expansion import template_as_release
from appdeploy.api.problems import did_you_mean
from appdeploy.cli.exit_codes import INVALID, OK, USAGE, HelpFormatter, exit_codes_help
from appdeploy.cli.files import MissingPathError, yaml_files
from appdeploy.cli.graph_diagrams import render_dot, render_mermaid
from appdeploy.cli.graph_model import ReleaseGraph, release_graph
from appdeploy.cli.graph_text import render_text
from appdeploy.cli.release_check import Checked, check_files
from appdeploy.cli.template_check import add_template_argument

RENDERERS: dict[str, Callable[[ReleaseGraph], str]] = {
    "text": render_text,
    "mermaid": render_mermaid,
    "dot": render_dot,
}

EXIT_CODES = {
    OK: "the graph is printed",
    INVALID: "the release is invalid; its problems are printed to stderr as FILE:LINE: FIELD: ...",
    USAGE: "usage error: FILE does not exist or holds no AppDeployment, several without --name",
}
EPILOG = f"""{exit_codes_help(EXIT_CODES)}

markers: [run], [gate: 2 of group qa, within 48h], [wait 24h]; stage N steps may run at once.

examples:
  appdeploy graph examples/shop-ios-android.yaml
  appdeploy graph release.yaml --format mermaid     paste into Markdown as a ```mermaid block
  appdeploy graph release.yaml --format dot | dot -Tsvg > release.svg
  appdeploy graph releases.yaml --name shop-4-12-0  when the file holds several releases"""


def add_graph_command(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register ``appdeploy graph``."""
    parser = commands.add_parser(
        "graph",
        help="draw a release's DAG with its gates and waits (text, mermaid, dot)",
        description="Draw the steps of one AppDeployment in the order they can run, with "
        "what each gate requires and how long each wait lasts, then the finally steps. "
        "The release must be valid; problems are printed as appdeploy validate prints them. "
        "A release with spec.templateRef is drawn expanded (templates from --templates and "
        "FILE), and a ReleaseTemplate or ClusterReleaseTemplate is drawn as its recipe.",
        epilog=EPILOG,
        formatter_class=HelpFormatter,
    )
    parser.add_argument("file", metavar="FILE", help="a YAML file holding the AppDeployment")
    parser.add_argument(
        "--format", choices=tuple(RENDERERS), default="text", help="output format (default text)"
    )
    parser.add_argument(
        "--name", metavar="NAME", help="the AppDeployment to draw when FILE holds several"
    )
    add_template_argument(parser)
    parser.set_defaults(handler=run_graph_command)


def run_graph_command(args: argparse.Namespace) -> int:
    """Print the graph; 1 when the release is invalid, 2 when FILE or --name is not usable."""
    path = Path(args.file)
    if not path.is_file():
        what = "a directory" if path.is_dir() else "no such file"
        return _usage(f"{args.file} is {what}; graph draws the release in one YAML file")
    try:
        template_files = yaml_files(args.templates)
    except MissingPathError as error:
        return _usage(str(error))
    results = check_files([path], template_files=template_files)
    if results and results[0].document is None:
        return _invalid(results[0])
    releases = [checked for checked in results if not checked.skipped]
    names = [checked.name for checked in releases]
    if args.name is not None:
        releases = [checked for checked in releases if checked.name == args.name]
        if not releases:
            return _usage(
                f'{args.file} holds no AppDeployment named "{args.name}"'
                f"{did_you_mean(args.name, names)}; it holds: {', '.join(names) or 'none'}"
            )
    if not releases:
        return _usage(f"{args.file} holds no AppDeployment; give the file of a release")
    if len(releases) > 1:
        return _usage(
            f"{args.file} holds {len(releases)} AppDeployments ({', '.join(names)}); "
            "choose one with --name NAME"
        )
    chosen = releases[0]
    if chosen.template is not None and not chosen.problems:
        spec = template_as_release(chosen.template)
    elif chosen.spec is None:
        return _invalid(chosen)
    else:
        spec = chosen.spec
    sys.stdout.write(RENDERERS[args.format](release_graph(chosen.name, spec)))
    return OK


def _invalid(checked: Checked) -> int:
    for problem in checked.problems:
        print(problem, file=sys.stderr)
    print(
        f"appdeploy graph: {checked.file} is not a valid release; fix the problems above "
        f"(appdeploy validate {checked.file} checks again), then draw it",
        file=sys.stderr,
    )
    return INVALID


def _usage(message: str) -> int:
    print(f"appdeploy graph: error: {message}", file=sys.stderr)
    return USAGE
