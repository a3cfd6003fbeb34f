"""What validate-spec answers about a release that names a template (docs/templates.md).

A release with ``templateRef`` is expanded at the door when its template is
known, and judged as the expanded release (a bad param is refused with the
field named, like ``appdeploy validate --templates``). A template not known
(not applied yet: GitOps may sync the release first) is a warning, never a
refusal.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from appdeploy.api.expansion import Template, expand
from appdeploy.api.pod_policy import StepPodPolicy
from appdeploy.api.spec import AppDeploymentSpec
from appdeploy.api.template_ref import TemplateKind, TemplateRef

TemplateLookup = Callable[[str, TemplateRef], Template | None]
"""(release namespace, reference) -> the template, or None when not known."""

NOT_RUN_YET = (
    "this operator does not run releases that name a template yet: it sets phase Invalid; "
    "apply the output of appdeploy render instead"
)


def release_to_judge(
    spec: AppDeploymentSpec,
    namespace: str,
    lookup: TemplateLookup,
    pod_policy: StepPodPolicy,
    remind_floor: timedelta,
    *,
    warnings: list[str] | None,
) -> AppDeploymentSpec | None:
    """The release the door judges: ``spec``, or its expansion; None to admit it unjudged.

    Template warnings are added to ``warnings``; InvalidSpec when the release does not
    fit its (known) template.
    """
    if spec.template_ref is None:
        return spec
    expanded, found = template_answer(spec, namespace, lookup, pod_policy, remind_floor)
    if warnings is not None:
        warnings.extend(found)
    return expanded


def template_answer(
    spec: AppDeploymentSpec,
    namespace: str,
    lookup: TemplateLookup,
    pod_policy: StepPodPolicy,
    remind_floor: timedelta,
) -> tuple[AppDeploymentSpec | None, list[str]]:
    """The expanded release (None when its template is not known) and the warnings.

    InvalidSpec when the template is known and the release does not fit it.
    """
    ref = spec.template_ref
    assert ref is not None
    warnings = [f"spec.templateRef: {NOT_RUN_YET}"]
    template = lookup(namespace, ref)
    if template is None:
        where = f" in {namespace}" if ref.kind is TemplateKind.RELEASE_TEMPLATE else ""
        warnings.insert(
            0,
            f"spec.templateRef: no {ref.kind} {ref.name}{where} yet; its params are checked "
            "when it exists (appdeploy validate --templates checks them offline)",
        )
        return None, warnings
    return expand(spec, template, pod_policy, remind_floor=remind_floor), warnings
