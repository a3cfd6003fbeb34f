"""Releases judged by ReleasePolicies offline: loading the policies, placing each violation.

``validate --policies`` and ``policy explain`` both come through here, and
both call ``appdeploy.engine.policies``, the evaluation the webhook and the
operator will call: git, the door and the operator judge alike.

Offline there is no Namespace object to read, so its labels come from
``--namespace-labels``, plus the one every namespace carries since Kubernetes
1.21, ``kubernetes.io/metadata.name``, taken from the release's
``metadata.namespace`` when it has one.
"""

from __future__ import annotations

import argparse
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from appdeploy.api.policy import Enforcement, ReleasePolicy
from appdeploy.api.text import escape_line
from appdeploy.cli.channel_check import is_policy
from appdeploy.cli.files import yaml_files
from appdeploy.cli.locate import line_of
from appdeploy.cli.release_check import Checked, FileProblem, check_files
from appdeploy.engine.policies import PolicyViolation, applicable, violations

NAME_LABEL = "kubernetes.io/metadata.name"


def namespace_labels(text: str) -> dict[str, str]:
    """``k=v,k2=v2`` as a dict (argparse type); ``k=`` is an empty value."""
    labels: dict[str, str] = {}
    for item in filter(None, (part.strip() for part in text.split(","))):
        key, equals, value = item.partition("=")
        if not equals or not key:
            raise argparse.ArgumentTypeError(f"{item!r} is not KEY=VALUE (e.g. team=mobile)")
        labels[key] = value
    return labels


def add_policy_arguments(parser: argparse.ArgumentParser, required: bool) -> None:
    """``--policies`` and ``--namespace-labels``, worded alike in every command."""
    parser.add_argument(
        "--policies",
        action="append",
        default=[],
        required=required,
        metavar="FILE|DIR",
        help="ReleasePolicy files, or directories searched for them (repeatable); other "
        "documents there are ignored",
    )
    parser.add_argument(
        "--namespace-labels",
        type=namespace_labels,
        default={},
        metavar="K=V,...",
        help="labels of the namespace the releases go to, as the policies' namespaceSelector "
        f"sees them ({NAME_LABEL} comes from metadata.namespace)",
    )


@dataclass(frozen=True)
class LoadedPolicies:
    """The valid policies found, and the problems of the invalid ones."""

    policies: list[ReleasePolicy]
    problems: list[FileProblem]


def load_policies(paths: Sequence[str]) -> LoadedPolicies:
    """Every ReleasePolicy in ``paths``; MissingPathError for a path that does not exist."""
    return policies_in(check_files(yaml_files(paths)))


def policies_in(documents: Iterable[Checked]) -> LoadedPolicies:
    """The ReleasePolicies among checked documents (from files, or read from a cluster)."""
    policies: list[ReleasePolicy] = []
    problems: list[FileProblem] = []
    for checked in documents:
        if checked.document is None:
            problems.extend(checked.problems)  # unreadable: it may have held a policy
        elif is_policy(checked.document.data):
            problems.extend(checked.problems)
            if checked.policy is not None:
                policies.append(ReleasePolicy(checked.name, checked.policy))
    return LoadedPolicies(policies, problems)


def labels_of(checked: Checked, given: dict[str, str]) -> dict[str, str]:
    """The namespace labels a release is judged with: ``given``, and its namespace's name."""
    labels = dict(given)
    if checked.namespace and NAME_LABEL not in labels:
        labels[NAME_LABEL] = checked.namespace
    return labels


@dataclass(frozen=True)
class Judgement:
    """A release under the policies: which applied, and each violation placed in its file."""

    applied: list[ReleasePolicy]
    violations: list[PolicyViolation]
    denied: list[FileProblem]
    warned: list[FileProblem]


def judge(checked: Checked, policies: Sequence[ReleasePolicy], labels: dict[str, str]) -> Judgement:
    """Judge a valid release (``checked.spec`` set) by the policies that cover it."""
    assert checked.spec is not None and checked.document is not None
    applied = applicable(policies, labels_of(checked, labels), checked.spec.app)
    found = violations(checked.spec, applied)
    denied, warned = [], []
    # An expanded release's paths are the template's: say so, the release cannot fix them.
    source = f" (in {checked.expanded_from})" if checked.expanded_from is not None else ""
    for violation in found:
        line = line_of(checked.document.node, violation.path)
        if violation.enforcement is Enforcement.DENY:
            text = shown(violation) + source
            denied.append(FileProblem(checked.file, line, violation.path, text))
        else:
            text = f"{violation.path}: {shown(violation)}{source}"
            warned.append(FileProblem(checked.file, line, "warning", text))
    return Judgement(applied, found, denied, warned)


def shown(violation: PolicyViolation) -> str:
    """The message as printed: escaped (names come from the release), with its enforcement."""
    return f"{escape_line(violation.message)} [{violation.rule}, {violation.enforcement}]"
