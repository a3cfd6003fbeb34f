"""Templates offline: checking template documents, and expanding the releases that name one.

``appdeploy validate`` and ``render`` read templates from ``--templates`` and
from the files they were given, then expand each release with a
``templateRef`` (``appdeploy.api.expansion``) before checking it: a release
is judged by what it will run, never by its five lines. Unlike Argo's
offline lint, which skips templateRef params (argo-workflows#14603), a
param the template does not declare fails here as it will at the door.
"""

from __future__ import annotations

import argparse
from collections.abc import Mapping, Sequence
from datetime import timedelta
from typing import Any

from appdeploy.api.expansion import Template, expand, expanded_wire, find_template, parse_template
from appdeploy.api.pod_policy import StepPodPolicy
from appdeploy.api.problems import InvalidSpec, Problem
from appdeploy.api.spec import AppDeploymentSpec
from appdeploy.api.template_ref import TemplateKind
from appdeploy.cli.channel_check import spec_envelope_problems

TEMPLATE_KINDS = tuple(kind.value for kind in TemplateKind)


def add_template_argument(parser: argparse.ArgumentParser) -> None:
    """``--templates``, worded alike in validate and render."""
    parser.add_argument(
        "--templates",
        action="append",
        default=[],
        metavar="FILE|DIR",
        help="ReleaseTemplate and ClusterReleaseTemplate files, or directories searched for "
        "them (repeatable), used to expand releases with spec.templateRef; other documents "
        "there are ignored",
    )


def is_template(data: Any) -> bool:
    """True for a document whose kind is ReleaseTemplate or ClusterReleaseTemplate."""
    return isinstance(data, Mapping) and data.get("kind") in TEMPLATE_KINDS


def template_problems(
    data: Mapping[str, Any], policy: StepPodPolicy, remind_floor: timedelta
) -> tuple[Template | None, list[Problem]]:
    """The template when valid, and every problem with its field path."""
    problems = list(spec_envelope_problems(data))
    raw = data.get("spec")
    try:
        spec = parse_template(raw, policy, remind_floor=remind_floor)
    except InvalidSpec as invalid:
        return None, [*problems, *invalid.problems]
    if problems:
        return None, problems
    metadata = data.get("metadata") or {}
    kind = TemplateKind(data["kind"])
    namespace = "" if kind is TemplateKind.CLUSTER_RELEASE_TEMPLATE else metadata.get("namespace")
    assert isinstance(raw, Mapping)
    return Template(kind, str(metadata["name"]), str(namespace or ""), spec, raw), []


def expanded_release(
    release: AppDeploymentSpec,
    namespace: str,
    templates: Sequence[Template],
    policy: StepPodPolicy,
    remind_floor: timedelta,
) -> tuple[Template, dict[str, Any], AppDeploymentSpec]:
    """The template used, the expanded spec as stored, and the validated expanded release.

    InvalidSpec naming the release's fields when the template is missing, its digest
    differs, a param is wrong, or the expansion is not a valid release.
    """
    ref = release.template_ref
    assert ref is not None
    found = find_template(ref, namespace, templates)
    if isinstance(found, str):
        raise InvalidSpec(
            [
                Problem(
                    "spec.templateRef",
                    f"{found} among the files checked; pass the directory that holds it with "
                    "--templates DIR",
                )
            ]
        )
    wire = expanded_wire(release, found)
    return found, wire, expand(release, found, policy, remind_floor=remind_floor)
