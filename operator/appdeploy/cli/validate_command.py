"""``appdeploy validate FILE|DIR...``: check releases before they reach a cluster.

Meant for pre-commit and CI in the GitOps repository, where a mistake found
at commit time costs a minute and one found at sync time costs a stalled
release. Exits 1 when anything is invalid so a hook or a CI job fails.
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter

from appdeploy.api.durations import format_duration, parse_duration
from appdeploy.api.notify import REMIND_FLOOR
from appdeploy.api.pod_policy import StepPodPolicy
from appdeploy.api.spec import AppDeploymentSpec
from appdeploy.cli.exit_codes import INVALID, OK, USAGE, HelpFormatter, exit_codes_help
from appdeploy.cli.files import MissingPathError, yaml_files
from appdeploy.cli.release_check import Checked, check_files

EXIT_CODES = {
    OK: "every AppDeployment found is valid (or there was none to check)",
    INVALID: "a file or release is invalid; each problem is printed as FILE:LINE: FIELD: ...",
    USAGE: "usage error: a path that does not exist, an unknown option",
}
EPILOG = f"""{exit_codes_help(EXIT_CODES)}

examples:
  appdeploy validate releases/            every *.yaml and *.yml below releases/
  appdeploy validate --strict shop.yaml   also fail on documents that are not AppDeployments
  kubectl appdeploy validate -q a.yaml b.yaml"""


def add_validate_command(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register ``appdeploy validate``."""
    parser = commands.add_parser(
        "validate",
        help="check AppDeployment files offline (pre-commit, CI)",
        description="Check every AppDeployment in the given files, and in *.yaml / *.yml "
        "files below the given directories, without a cluster: the YAML, apiVersion, "
        "kind and metadata.name, and the spec with the same rules as the admission "
        "webhook, and every NotificationChannel. Each problem is printed as FILE:LINE: "
        "FIELD: what is wrong and what to do. Documents of other kinds are ignored unless "
        "--strict.",
        epilog=EPILOG,
        formatter_class=HelpFormatter,
    )
    parser.add_argument("paths", nargs="+", metavar="FILE|DIR", help="files or directories")
    parser.add_argument(
        "--strict",
        action="store_true",
        help="fail on documents that are not AppDeployments instead of ignoring them",
    )
    parser.add_argument(
        "-q", "--quiet", action="store_true", help="print problems only, no line per valid release"
    )
    parser.add_argument(
        "--allow-tolerate-all-taints",
        action="store_true",
        help="accept tolerate-everything tolerations, as an operator started with this flag does",
    )
    parser.add_argument(
        "--allow-any-pod-labels",
        action="store_true",
        help="accept pod labels outside user.appdeploy.dev/, as an operator started with "
        "this flag does",
    )
    parser.add_argument(
        "--min-reminder-interval",
        type=parse_duration,
        default=REMIND_FLOOR,
        metavar="DURATION",
        help="the shortest remind.every accepted, as an operator started with this flag "
        f"(default {format_duration(REMIND_FLOOR)})",
    )
    parser.set_defaults(handler=run_validate_command)


def run_validate_command(args: argparse.Namespace) -> int:
    """Check the files; 0 when all valid, 1 when any problem, 2 when a path is missing."""
    try:
        files = yaml_files(args.paths)
    except MissingPathError as error:
        print(f"appdeploy validate: error: {error}", file=sys.stderr)
        return USAGE
    policy = StepPodPolicy(
        allow_tolerate_all_taints=args.allow_tolerate_all_taints,
        allow_any_pod_labels=args.allow_any_pod_labels,
    )
    results = check_files(
        files, strict=args.strict, policy=policy, remind_floor=args.min_reminder_interval
    )
    for checked in results:
        for problem in checked.problems:
            print(problem)
        if checked.spec is not None and not args.quiet:
            print(f"{checked.file}: {checked.name} ok ({step_summary(checked.spec)})")
        if checked.channel is not None and not args.quiet:
            transport = checked.channel.transport
            print(f"{checked.file}: {checked.name} ok (NotificationChannel, {transport})")
    return _conclude(results, len(files), args.quiet)


def _conclude(results: list[Checked], file_count: int, quiet: bool) -> int:
    problems = sum(len(checked.problems) for checked in results)
    if problems:
        bad_files = len({checked.file for checked in results if checked.problems})
        print(
            f"{_count(problems, 'problem')} in {_count(bad_files, 'file')}: fix them as "
            "described above, then run appdeploy validate again"
        )
        return INVALID
    checked_any = any(c.spec is not None or c.channel is not None for c in results)
    if not quiet and not checked_any:
        print(
            f"appdeploy validate: no AppDeployment in {_count(file_count, 'file')}, nothing "
            "checked; name the files that hold releases (or use --strict to fail on this)",
            file=sys.stderr,
        )
    return OK


def step_summary(spec: AppDeploymentSpec) -> str:
    """``3 steps: 2 run, 1 gate`` (and ``; 1 finally``): the shape of a release at a glance."""
    kinds = Counter(step.type for step in spec.steps)
    parts = ", ".join(f"{kinds[kind]} {kind}" for kind in sorted(kinds, key=_kind_order))
    summary = f"{_count(len(spec.steps), 'step')}: {parts}"
    if spec.finally_:
        summary += f"; {len(spec.finally_)} finally"
    return summary


def _kind_order(kind: str) -> int:
    return ("run", "gate", "wait").index(kind)


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}" if number == 1 else f"{number} {noun}s"
