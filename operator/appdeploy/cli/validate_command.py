"""``appdeploy validate FILE|DIR...``: check releases before they reach a cluster.

Meant for pre-commit and CI in the GitOps repository, where a mistake found
at commit time costs a minute and one found at sync time costs a stalled
release. Exits 1 when anything is invalid so a hook or a CI job fails.
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from dataclasses import replace

from appdeploy.api.durations import format_duration, parse_duration
from appdeploy.api.notify import REMIND_FLOOR
from appdeploy.api.pod_policy import StepPodPolicy
from appdeploy.api.spec import AppDeploymentSpec
from appdeploy.cli.exit_codes import INVALID, OK, USAGE, HelpFormatter, exit_codes_help
from appdeploy.cli.files import MissingPathError, yaml_files
from appdeploy.cli.policy_judge import LoadedPolicies, add_policy_arguments, judge, load_policies
from appdeploy.cli.release_check import Checked, check_files
from appdeploy.cli.template_check import add_template_argument

EXIT_CODES = {
    OK: "every AppDeployment found is valid (or there was none to check), and breaks no "
    "Deny policy",
    INVALID: "a file or release is invalid, or breaks a Deny policy; each problem is printed as "
    "FILE:LINE: FIELD: ...",
    USAGE: "usage error: a path that does not exist, an unknown option",
}
EPILOG = f"""{exit_codes_help(EXIT_CODES)}

examples:
  appdeploy validate releases/            every *.yaml and *.yml below releases/
  appdeploy validate --strict shop.yaml   also fail on documents that are not AppDeployments
  kubectl appdeploy validate -q a.yaml b.yaml
  appdeploy validate --policies policies/ \\
      --namespace-labels appdeploy.dev/tier=production releases/
  appdeploy validate --templates templates/ releases/shop-4-13-0.yaml"""


def add_validate_command(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register ``appdeploy validate``."""
    parser = commands.add_parser(
        "validate",
        help="check AppDeployment files offline (pre-commit, CI)",
        description="Check every AppDeployment in the given files, and in *.yaml / *.yml "
        "files below the given directories, without a cluster: the YAML, apiVersion, "
        "kind and metadata.name, and the spec with the same rules as the admission "
        "webhook, and every NotificationChannel, ReleasePolicy, ReleaseTemplate and "
        "ClusterReleaseTemplate. A release with spec.templateRef is expanded with the "
        "templates found in --templates and in the files given, and the expanded release is "
        "checked (docs/templates.md). With --policies, each "
        "release is also judged by the ReleasePolicies that cover it (docs/policies.md): a "
        "Deny violation fails like a problem, Warn and Audit ones are printed as warnings. "
        "Each problem is printed as FILE:LINE: FIELD: what is wrong and what to do. "
        "Documents of other kinds are ignored unless --strict.",
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
    add_template_argument(parser)
    add_policy_arguments(parser, required=False)
    parser.set_defaults(handler=run_validate_command)


def run_validate_command(args: argparse.Namespace) -> int:
    """Check the files; 0 when all valid, 1 when any problem, 2 when a path is missing."""
    try:
        files = yaml_files(args.paths)
        template_files = yaml_files(args.templates)
        loaded = load_policies(args.policies)
    except MissingPathError as error:
        print(f"appdeploy validate: error: {error}", file=sys.stderr)
        return USAGE
    policy = StepPodPolicy(
        allow_tolerate_all_taints=args.allow_tolerate_all_taints,
        allow_any_pod_labels=args.allow_any_pod_labels,
    )
    results = check_files(
        files,
        strict=args.strict,
        policy=policy,
        remind_floor=args.min_reminder_interval,
        template_files=template_files,
    )
    if loaded.problems:
        return _unusable_policies(loaded)
    if args.policies and not loaded.policies:
        where = ", ".join(args.policies)
        print(f"appdeploy validate: note: no ReleasePolicy in {where}", file=sys.stderr)
    judged = [_judged(checked, loaded, args) for checked in results]
    results = [checked for checked, _ in judged]
    for checked, applied in judged:
        for problem in checked.problems:
            print(problem)
        if checked.spec is not None and not checked.problems and not args.quiet:
            meets = f"; meets {', '.join(applied)}" if applied else ""
            source = f"; from {checked.expanded_from}" if checked.expanded_from else ""
            summary = f"{step_summary(checked.spec)}{source}{meets}"
            print(f"{checked.file}: {checked.name} ok ({summary})")
        if checked.channel is not None and not args.quiet:
            transport = checked.channel.transport
            print(f"{checked.file}: {checked.name} ok (NotificationChannel, {transport})")
        if checked.template is not None and not args.quiet:
            template = checked.template
            params = _count(len(template.spec.params), "param")
            print(f"{checked.file}: {checked.name} ok ({template.kind}, {params})")
        if checked.policy is not None and not args.quiet:
            enforcement = checked.policy.enforcement
            print(f"{checked.file}: {checked.name} ok (ReleasePolicy, {enforcement})")
    _note_unused(loaded, {name for _, applied in judged for name in applied}, args)
    return _conclude(results, len(files), args.quiet)


def _unusable_policies(loaded: LoadedPolicies) -> int:
    for problem in loaded.problems:
        print(problem)
    print("the policies above are invalid, so no release was judged: fix them first")
    return INVALID


def _judged(
    checked: Checked, loaded: LoadedPolicies, args: argparse.Namespace
) -> tuple[Checked, list[str]]:
    """The release with its Deny violations as problems, and the policies that covered it.

    Warn and Audit violations are printed here, as warnings on stderr.
    """
    if checked.spec is None or not loaded.policies:
        return checked, []
    judgement = judge(checked, loaded.policies, args.namespace_labels)
    for warning in judgement.warned:
        print(warning, file=sys.stderr)
    applied = [f"ReleasePolicy {policy.name}" for policy in judgement.applied]
    denied = sorted(judgement.denied, key=lambda problem: problem.line or 0)
    return replace(checked, problems=(*checked.problems, *denied)), applied


def _note_unused(loaded: LoadedPolicies, used: set[str], args: argparse.Namespace) -> None:
    # A selector that matched nothing is the likeliest reason a policy "passes" in CI.
    for policy in loaded.policies:
        if f"ReleasePolicy {policy.name}" not in used and not args.quiet:
            labels = ",".join(f"{k}={v}" for k, v in args.namespace_labels.items()) or "none"
            print(
                f"appdeploy validate: note: ReleasePolicy {policy.name} covers none of the "
                f"releases checked (namespace labels given: {labels}; see appdeploy policy "
                "explain)",
                file=sys.stderr,
            )


def _conclude(results: list[Checked], file_count: int, quiet: bool) -> int:
    problems = sum(len(checked.problems) for checked in results)
    if problems:
        bad_files = len({checked.file for checked in results if checked.problems})
        print(
            f"{_count(problems, 'problem')} in {_count(bad_files, 'file')}: fix them as "
            "described above, then run appdeploy validate again"
        )
        return INVALID
    checked_any = any(
        c.spec is not None or c.channel is not None or c.policy is not None or c.template
        for c in results
    )
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
    return ("run", "gate", "wait", "check").index(kind)


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}" if number == 1 else f"{number} {noun}s"
