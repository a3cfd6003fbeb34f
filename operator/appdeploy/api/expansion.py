"""From a release that names a template to the release that runs: ``expand``.

Expansion is plain data in, plain data out, so ``appdeploy validate``, the
admission webhook and (later) the operator expand alike. The expanded release
is the template's steps, finally, serviceAccountName, defaults and notify,
with the release's app and version, and as params every declared param's
value (the release's, else the default). ``$(params.NAME)`` is left in the
steps and resolved when a step starts, exactly as in a hand-written release:
an expanded release *is* a hand-written release, checked by ``parse_spec``
with the same rules, so policies judge it like any other.

A template's digest is the ``spec_hash`` of its spec as stored; a release may
pin it (``templateRef.digest``) so an edited recipe is refused, not run.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from pydantic import ValidationError

from appdeploy.api.notify import REMIND_FLOOR
from appdeploy.api.pod_policy import ADMIN_ALLOWS_ALL, SAFE_POLICY, StepPodPolicy
from appdeploy.api.problems import InvalidSpec, Problem, problems_from
from appdeploy.api.spec import AppDeploymentSpec
from appdeploy.api.spec_hash import spec_hash
from appdeploy.api.template_params import declaration_problems, resolved_params
from appdeploy.api.template_ref import TemplateKind, TemplateRef
from appdeploy.api.templates import ReleaseTemplateSpec
from appdeploy.api.validation import parse_spec

SPEC = "spec"
# A release made only to check a template's steps: every declared param exists.
_PROBE_APP, _PROBE_VERSION = "any-app", "any-version"


@dataclass(frozen=True)
class Template:
    """A valid template as found (in files or in the cluster)."""

    kind: TemplateKind
    name: str
    namespace: str
    """Empty for a ClusterReleaseTemplate, and for a ReleaseTemplate file without one."""
    spec: ReleaseTemplateSpec
    raw: Mapping[str, Any]
    """The spec as stored: what the digest covers and what expansion copies."""

    @property
    def digest(self) -> str:
        """``sha256:<hex>`` of the spec as stored (canonical JSON)."""
        return template_digest(self.raw)

    def __str__(self) -> str:
        return f"{self.kind} {self.name}"


def template_digest(raw_spec: Any) -> str:
    """The digest a ``templateRef.digest`` pins: ``spec_hash`` of the template's spec."""
    return spec_hash(raw_spec)


def parse_template(
    raw: object, policy: StepPodPolicy = SAFE_POLICY, *, remind_floor: timedelta = REMIND_FLOOR
) -> ReleaseTemplateSpec:
    """The validated template spec; InvalidSpec naming every field at fault.

    Its steps are checked as a release's are, with every declared param set, so a
    ``$(params.typo)`` or a cycle is found on the template, not on each release.
    """
    try:
        spec = ReleaseTemplateSpec.model_validate(raw)
    except ValidationError as error:
        raise InvalidSpec(problems_from(error, SPEC)) from None
    problems = list(declaration_problems(spec.params, f"{SPEC}.params"))
    probe = _wire(spec, raw, _PROBE_APP, _PROBE_VERSION, _probe_params(spec))
    try:
        parse_spec(probe, policy, remind_floor=remind_floor)
    except InvalidSpec as invalid:
        problems.extend(invalid.problems)
    if problems:
        raise InvalidSpec(problems)
    return spec


def template_as_release(template: Template) -> AppDeploymentSpec:
    """The template's DAG as a release (every param at its default, or empty), for drawing."""
    wire = _wire(
        template.spec, template.raw, _PROBE_APP, _PROBE_VERSION, _probe_params(template.spec)
    )
    return parse_spec(wire, ADMIN_ALLOWS_ALL, remind_floor=timedelta(0))


def _probe_params(spec: ReleaseTemplateSpec) -> dict[str, str]:
    return {param.name: param.default or "" for param in spec.params}


def expanded_wire(release: AppDeploymentSpec, template: Template) -> dict[str, Any]:
    """The expanded release's spec as it would be stored; InvalidSpec for bad params or pin.

    Not yet validated as a release: ``expand`` does that.
    """
    ref = release.template_ref
    assert ref is not None, "only a release with templateRef expands"
    problems = list(pin_problems(ref, template))
    values, param_problems = resolved_params(template.spec.params, release.params, str(template))
    problems.extend(param_problems)
    if problems:
        raise InvalidSpec(problems)
    wire = _wire(template.spec, template.raw, release.app, release.version, values)
    if release.notify is not None:
        wire["notify"] = release.notify.to_wire()
    return wire


def expand(
    release: AppDeploymentSpec,
    template: Template,
    policy: StepPodPolicy = SAFE_POLICY,
    *,
    remind_floor: timedelta = REMIND_FLOOR,
) -> AppDeploymentSpec:
    """The release ``template`` makes of ``release``, validated like a hand-written one.

    InvalidSpec names the release's fields (``spec.params.track``, ``spec.templateRef.digest``);
    a problem of the expanded steps is reported at ``spec.templateRef`` with the template's
    own field path, since the release cannot fix it.
    """
    wire = expanded_wire(release, template)
    try:
        return parse_spec(wire, policy, remind_floor=remind_floor)
    except InvalidSpec as invalid:
        raise InvalidSpec(
            [
                Problem(f"{SPEC}.templateRef", f"{template} expands to an invalid release: {p}")
                for p in invalid.problems
            ]
        ) from None


def pin_problems(ref: TemplateRef, template: Template) -> list[Problem]:
    """The digest pin that the template no longer matches, if any."""
    if ref.digest is None or ref.digest == template.digest:
        return []
    return [
        Problem(
            f"{SPEC}.templateRef.digest",
            f"{template} now has digest {template.digest}, not the pinned {ref.digest}: "
            "the template changed; review the change and pin the new digest, or remove the pin",
        )
    ]


def _wire(
    spec: ReleaseTemplateSpec,
    raw: object,
    app: str,
    version: str,
    params: Mapping[str, str],
) -> dict[str, Any]:
    # Copied from the template as written (not the model's dump), so the expanded
    # release reads like its source and a field added later changes no digest.
    source = raw if isinstance(raw, Mapping) else spec.to_wire()
    body = {key: copy.deepcopy(value) for key, value in source.items() if key != "params"}
    return {"app": app, "version": version, "params": dict(params), **body}


def find_template(
    ref: TemplateRef, namespace: str, templates: Sequence[Template]
) -> Template | str:
    """The template ``ref`` names for a release in ``namespace``, or why there is none.

    A ReleaseTemplate serves its own namespace; offline, a file without a namespace
    matches any (GitOps tools often set it at apply time).
    """
    found = [
        template
        for template in templates
        if template.kind == ref.kind
        and template.name == ref.name
        and (
            ref.kind is TemplateKind.CLUSTER_RELEASE_TEMPLATE
            or not template.namespace
            or not namespace
            or template.namespace == namespace
        )
    ]
    if len(found) == 1:
        return found[0]
    where = (
        f" in namespace {namespace}"
        if namespace and ref.kind is TemplateKind.RELEASE_TEMPLATE
        else ""
    )
    if not found:
        return f"no {ref.kind} named {ref.name}{where}"
    spaces = ", ".join(sorted(t.namespace or "(none)" for t in found))
    return (
        f"{len(found)} {ref.kind}s named {ref.name} (namespaces {spaces}); set metadata.namespace"
    )
