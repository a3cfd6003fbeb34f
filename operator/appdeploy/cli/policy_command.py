"""``appdeploy policy explain``: which ReleasePolicies cover a release, and what they ask of it.

A refusal that only says "denied" sends the release engineer to the cluster
admin; this says, offline, which policies apply and why (the namespace
selector, the app glob), which steps are protected and by what, and each
violation with the field to change. It judges with the same evaluation as
``validate --policies`` (``appdeploy.cli.policy_judge``).
"""

from __future__ import annotations

import argparse
import sys

from appdeploy.api.policy import ReleasePolicy
from appdeploy.api.text import escape_line
from appdeploy.cli.exit_codes import INVALID, OK, USAGE, HelpFormatter, exit_codes_help
from appdeploy.cli.files import MissingPathError, yaml_files
from appdeploy.cli.policy_judge import (
    add_policy_arguments,
    judge,
    labels_of,
    load_policies,
    shown,
)
from appdeploy.cli.release_check import Checked, check_files
from appdeploy.engine.policies import PolicyViolation, protected_steps, scope

EXIT_CODES = {
    OK: "explained; no policy that applies denies the release",
    INVALID: "a policy that applies denies the release (Deny), or a file is invalid",
    USAGE: "usage error: a path that does not exist, an unknown option",
}
EPILOG = f"""{exit_codes_help(EXIT_CODES)}

examples:
  appdeploy policy explain -f shop.yaml --policies policies/ \\
      --namespace-labels appdeploy.dev/tier=production"""


def add_policy_command(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register ``appdeploy policy explain``."""
    parser = commands.add_parser(
        "policy",
        help="ReleasePolicies offline: which apply to a release, and why",
        description="Work with ReleasePolicies (docs/policies.md) without a cluster.",
    )
    actions = parser.add_subparsers(dest="policy_command", required=True, metavar="ACTION")
    explain = actions.add_parser(
        "explain",
        help="say which policies apply to a release and why, what they protect, each violation",
        description="For each AppDeployment in FILE: each policy found, whether it applies "
        "and why (namespaceSelector, apps), the steps it protects and what they use, and "
        "each violation with its field, rule and enforcement.",
        epilog=EPILOG,
        formatter_class=HelpFormatter,
    )
    explain.add_argument("-f", "--filename", required=True, metavar="FILE", help="release file")
    add_policy_arguments(explain, required=True)
    explain.set_defaults(handler=run_explain)


def run_explain(args: argparse.Namespace) -> int:
    """Print the explanation; 1 when a Deny policy that applies is broken or a file is invalid."""
    try:
        loaded = load_policies(args.policies)
        releases = check_files(yaml_files([args.filename]))
    except MissingPathError as error:
        print(f"appdeploy policy explain: error: {error}", file=sys.stderr)
        return USAGE
    problems = [*loaded.problems, *(p for checked in releases for p in checked.problems)]
    for problem in problems:
        print(problem)
    if problems:
        print("fix the problems above, then explain again")
        return INVALID
    if not loaded.policies:
        print(f"no ReleasePolicy found in {', '.join(args.policies)}", file=sys.stderr)
    denied = False
    valid = [checked for checked in releases if checked.spec is not None]
    if not valid:
        print(f"appdeploy policy explain: no AppDeployment in {args.filename}", file=sys.stderr)
    for checked in valid:
        denied |= _explain(checked, loaded.policies, args.namespace_labels)
    return INVALID if denied else OK


def _explain(checked: Checked, policies: list[ReleasePolicy], given: dict[str, str]) -> bool:
    """Print one release's explanation; True when a Deny policy refuses it."""
    assert checked.spec is not None
    labels = labels_of(checked, given)
    shown = ", ".join(f"{k}={v}" for k, v in sorted(labels.items())) or "none"
    print(f"{checked.file}: {checked.name} (app {checked.spec.app})")
    print(f"  namespace labels: {escape_line(shown)}")
    judgement = judge(checked, policies, given)
    for policy in policies:
        covered = scope(policy, labels, checked.spec.app)
        verdict = "applies" if covered.applies else "does not apply"
        print(f"  ReleasePolicy {policy.name} ({policy.spec.enforcement}): {verdict}")
        for reason in covered.reasons:
            print(f"    - {escape_line(reason)}")
        if covered.applies:
            _details(checked, policy, judgement.violations)
    refused = bool(judgement.denied)
    warned = f" with {len(judgement.warned)} warning(s)" if judgement.warned else ""
    print(f"  => {'denied' if refused else 'allowed'}{warned}")
    return refused


def _details(checked: Checked, policy: ReleasePolicy, found: list[PolicyViolation]) -> None:
    assert checked.spec is not None
    protected = protected_steps(checked.spec, policy)
    print(f"    protected steps: {len(protected) or 'none'}")
    for step in protected:
        uses = ", ".join(f"{use} ({use.path})" for use in step.uses)
        print(f"      {step.path} {step.step.name}: {escape_line(uses)}")
    mine = [violation for violation in found if violation.policy == policy.name]
    print(f"    violations: {len(mine) or 'none'}")
    for violation in mine:
        print(f"      {violation.path}: {shown(violation)}")
