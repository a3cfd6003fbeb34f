"""``appdeploy policy explain``: which ReleasePolicies cover a release, and what they ask of it.

A refusal that only says "denied" sends the release engineer to the cluster
admin; this says which policies apply and why (the namespace selector, the
app glob), which steps are protected and by what, and each violation with
the field to change. It judges with the same evaluation as ``validate
--policies`` (``appdeploy.cli.policy_judge``), offline from files or with
what it reads from a cluster (``appdeploy.cli.policy_cluster``): only where
the release, policies and labels come from differs, never how they are
judged or shown.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from dataclasses import dataclass

from appdeploy.api.policy import ReleasePolicy
from appdeploy.api.text import escape_line
from appdeploy.cli.connection_flags import add_connection_flags
from appdeploy.cli.exit_codes import INVALID, OK, USAGE, HelpFormatter, exit_codes_help
from appdeploy.cli.files import MissingPathError, yaml_files
from appdeploy.cli.policy_judge import (
    NAME_LABEL,
    LoadedPolicies,
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
    INVALID: "a policy that applies denies the release (Deny), a file or policy is invalid, "
    "or the cluster refused a read (the object and the way around it are named)",
    USAGE: "usage error: a path that does not exist, an unknown option, NAME and -f both "
    "or neither, a file for another namespace than -n",
}
EPILOG = f"""{exit_codes_help(EXIT_CODES)}

offline (-f and --policies: no cluster is contacted):
  appdeploy policy explain -f shop.yaml --policies policies/ \\
      --namespace-labels appdeploy.dev/tier=production

against a cluster (what no flag gives is read from it, as you):
  appdeploy policy explain shop-4-12-0 -n mobile-releases
  appdeploy policy explain -f shop.yaml -n mobile-releases    # before committing"""


class ClusterReadError(Exception):
    """Something explain needs could not be read; the message names it and the way around."""


@dataclass(frozen=True)
class Sources:
    """Where one explain found its releases, policies and namespace labels."""

    releases: list[Checked]
    loaded: LoadedPolicies
    policies_from: str
    labels: Callable[[Checked], dict[str, str]]
    """The namespace labels a release is judged with."""


def add_policy_command(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register ``appdeploy policy explain``."""
    parser = commands.add_parser(
        "policy",
        help="ReleasePolicies: which apply to a release, and why (offline or on a cluster)",
        description="Work with ReleasePolicies (docs/policies.md), from files or a cluster.",
    )
    actions = parser.add_subparsers(dest="policy_command", required=True, metavar="ACTION")
    explain = actions.add_parser(
        "explain",
        help="say which policies apply to a release and why, what they protect, each violation",
        description="For each AppDeployment (NAME on the cluster, or in FILE): each policy "
        "found, whether it applies and why (namespaceSelector, apps), the steps it protects "
        "and what they use, and each violation with its field, rule and enforcement. With "
        "-f and --policies nothing is read from a cluster; otherwise the release (NAME), the "
        "policies (without --policies) and the namespace's labels (without --namespace-labels) "
        "are read from the cluster as you.",
        epilog=EPILOG,
        formatter_class=HelpFormatter,
    )
    explain.add_argument(
        "name", nargs="?", metavar="NAME", help="an AppDeployment on the cluster (or use -f)"
    )
    explain.add_argument("-f", "--filename", metavar="FILE", help="release file (or use NAME)")
    add_policy_arguments(explain, required=False)
    add_connection_flags(explain)
    explain.set_defaults(handler=run_explain)


def run_explain(args: argparse.Namespace) -> int:
    """Print the explanation; 1 when a Deny policy that applies is broken or a file is invalid."""
    if (args.name is None) == (args.filename is None):
        print("appdeploy policy explain: error: give NAME or -f FILE (one)", file=sys.stderr)
        return USAGE
    try:
        sources = _offline(args) if args.filename and args.policies else _cluster(args)
    except MissingPathError as error:
        print(f"appdeploy policy explain: error: {error}", file=sys.stderr)
        return USAGE
    except ClusterReadError as error:
        print(f"appdeploy policy explain: error: {error}", file=sys.stderr)
        return INVALID
    except ValueError as error:  # --as-group without --as; a file's namespace not -n's
        print(f"appdeploy policy explain: error: {error}", file=sys.stderr)
        return USAGE
    return _report(sources, args.name or args.filename)


def _offline(args: argparse.Namespace) -> Sources:
    loaded = load_policies(args.policies)
    releases = check_files(yaml_files([args.filename]))
    return Sources(releases, loaded, ", ".join(args.policies), lambda _: args.namespace_labels)


def _cluster(args: argparse.Namespace) -> Sources:
    from appdeploy.cli.policy_cluster import ClusterReader  # noqa: PLC0415 (kubernetes is slow)

    reader = ClusterReader(args)
    if args.name:
        releases = reader.release(args.name)
    else:
        releases = check_files(yaml_files([args.filename]))
        for checked in releases:
            if args.namespace and checked.namespace not in ("", args.namespace):
                raise ValueError(
                    f"{checked.file}: {checked.name} is for namespace {checked.namespace}, "
                    f"not -n {args.namespace} (as for kubectl apply)"
                )
    policies_from = ", ".join(args.policies) or "the cluster"
    loaded = load_policies(args.policies) if args.policies else reader.policies()

    def namespace_of(checked: Checked) -> str:
        return checked.namespace or reader.namespace

    # Read before anything is printed, so a refusal is the only output.
    judged = sorted({namespace_of(checked) for checked in releases if checked.spec is not None})
    found = {
        namespace: {NAME_LABEL: namespace, **(args.namespace_labels or reader.labels(namespace))}
        for namespace in judged
    }
    return Sources(releases, loaded, policies_from, lambda checked: found[namespace_of(checked)])


def _report(sources: Sources, where: str) -> int:
    problems = [*sources.loaded.problems, *(p for c in sources.releases for p in c.problems)]
    for problem in problems:
        print(problem)
    if problems:
        print("fix the problems above, then explain again")
        return INVALID
    if not sources.loaded.policies:
        print(f"no ReleasePolicy found in {sources.policies_from}", file=sys.stderr)
    denied = False
    valid = [checked for checked in sources.releases if checked.spec is not None]
    if not valid:
        print(f"appdeploy policy explain: no AppDeployment in {where}", file=sys.stderr)
    for checked in valid:
        denied |= _explain(checked, sources.loaded.policies, sources.labels(checked))
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
