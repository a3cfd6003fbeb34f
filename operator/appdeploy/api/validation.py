"""Whole-release validation (DESIGN.md §2): the rules a single field cannot check.

``parse_spec`` is the one entry point: it checks shapes with the pydantic
models, then the cross-step rules (unique names, exactly one kind per step,
known ``needs``, no cycles, reachable approvals, substitutions that refer to
params that exist and to outputs of ancestors). All problems are collected,
each naming its field path.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import timedelta

from pydantic import ValidationError

from appdeploy.api.approvers import SOME_APPROVER
from appdeploy.api.check_validation import check_problems
from appdeploy.api.graph import ancestors, find_cycle
from appdeploy.api.notify import REMIND_FLOOR
from appdeploy.api.notify_validation import gate_notify_problems
from appdeploy.api.pod import quantity_value
from appdeploy.api.pod_policy import SAFE_POLICY, StepPodPolicy, pod_problems
from appdeploy.api.problems import InvalidSpec, Problem, did_you_mean, problems_from
from appdeploy.api.spec import (
    NO_CHECK_IN_FINALLY,
    NO_GATE_IN_FINALLY,
    ONE_KIND,
    ONLY_RUN_RETRIES,
    STEPS_OR_TEMPLATE,
    TEMPLATE_OWNS,
    WAIT_HAS_NO_TIMEOUT,
    AppDeploymentSpec,
    Step,
    StepType,
)
from appdeploy.api.substitutions import (
    Reference,
    ReferenceKind,
    references_in,
    substitutable_fields,
)

SPEC = "spec"


def parse_spec(
    raw: object, policy: StepPodPolicy = SAFE_POLICY, *, remind_floor: timedelta = REMIND_FLOOR
) -> AppDeploymentSpec:
    """The validated spec; InvalidSpec listing every problem with its field path.

    ``raw`` may be anything a request can carry (a list, a string, null): what is
    not a spec is refused like any other problem, never with another exception.

    ``policy`` says what the cluster admin allows step pods (the default allows nothing more);
    ``remind_floor`` is the shortest ``remind.every`` accepted (an operator setting).
    """
    try:
        spec = AppDeploymentSpec.model_validate(raw)
    except ValidationError as error:
        raise InvalidSpec(problems_from(error, SPEC)) from None
    problems = list(release_problems(spec, policy, remind_floor=remind_floor))
    if problems:
        raise InvalidSpec(problems)
    return spec


RELEASE_NAME_MAX = 63


def release_name_problems(name: str) -> list[Problem]:
    """A release name must fit in a label value: every Job of the release is labelled with it."""
    if len(name) > RELEASE_NAME_MAX:
        return [
            Problem(
                "metadata.name",
                f'"{name}" is {len(name)} characters; a release name has at most '
                f"{RELEASE_NAME_MAX} (it labels every Job of the release)",
            )
        ]
    return []


def release_problems(
    spec: AppDeploymentSpec,
    policy: StepPodPolicy = SAFE_POLICY,
    *,
    remind_floor: timedelta = REMIND_FLOOR,
) -> Iterator[Problem]:
    """Every cross-step problem of an already shape-valid spec."""
    yield from _template_ref_problems(spec)
    located = _locate(spec)
    yield from _duplicate_names(located)
    for path, step in located:
        yield from _kind_problems(path, step)
        yield from _resource_problems(path, step)
        if step.run is not None:
            yield from pod_problems(f"{path}.run", step.run, policy)
    yield from _needs_problems(f"{SPEC}.steps", spec.steps)
    yield from _needs_problems(f"{SPEC}.finally", spec.finally_)
    for path, step in located:
        if step.gate is not None:
            yield from _gate_problems(path, step, spec)
            yield from gate_notify_problems(f"{path}.gate", step, spec, remind_floor)
    yield from _substitution_problems(spec, located)


# What a release that names a template may not set: the template owns the DAG and
# who runs it. serviceAccountName above all: a release that could swap the
# template's identity would run the recipe with rights its author never gave
# (Argo Workflows GHSA-3775-99mw-8rp4; docs/templates.md).
TEMPLATE_OWNED = {
    "steps": "steps",
    "finally_": "finally",
    "service_account_name": "serviceAccountName",
    "defaults": "defaults",
}


def _template_ref_problems(spec: AppDeploymentSpec) -> Iterator[Problem]:
    if spec.template_ref is None:
        if not spec.steps:
            yield Problem(f"{SPEC}.steps", f"required field is missing; {STEPS_OR_TEMPLATE}")
        return
    template = f"{spec.template_ref.kind} {spec.template_ref.name}"
    for field in sorted(spec.model_fields_set & set(TEMPLATE_OWNED)):
        wire = TEMPLATE_OWNED[field]
        yield Problem(
            f"{SPEC}.{wire}",
            f"{TEMPLATE_OWNS}: remove {wire} ({template} gives it), or change the template",
        )


def _locate(spec: AppDeploymentSpec) -> list[tuple[str, Step]]:
    return [(f"{SPEC}.steps[{i}]", step) for i, step in enumerate(spec.steps)] + [
        (f"{SPEC}.finally[{i}]", step) for i, step in enumerate(spec.finally_)
    ]


def _duplicate_names(located: Sequence[tuple[str, Step]]) -> Iterator[Problem]:
    first: dict[str, str] = {}
    for path, step in located:
        if step.name in first:
            yield Problem(
                f"{path}.name",
                f'duplicate step name "{step.name}" (also {first[step.name]}.name); '
                "names are unique among steps and finally",
            )
        else:
            first[step.name] = path


def _kind_problems(path: str, step: Step) -> Iterator[Problem]:
    kinds = [kind for kind in StepType if getattr(step, kind) is not None]
    if len(kinds) != 1:
        found = ", ".join(kinds) if kinds else "none"
        yield Problem(path, f"{ONE_KIND} (found {found})")
        return
    if step.retries is not None and step.run is None:
        yield Problem(f"{path}.retries", f"{ONLY_RUN_RETRIES}; {step.name} is a {kinds[0]} step")
    if step.timeout is not None and step.wait is not None:
        yield Problem(f"{path}.timeout", WAIT_HAS_NO_TIMEOUT)
    if step.gate is not None and path.startswith(f"{SPEC}.finally"):
        yield Problem(f"{path}.gate", NO_GATE_IN_FINALLY)
    if step.check is not None and path.startswith(f"{SPEC}.finally"):
        yield Problem(f"{path}.check", NO_CHECK_IN_FINALLY)
    if step.check is not None:
        yield from check_problems(f"{path}.check", step.check)


def _resource_problems(path: str, step: Step) -> Iterator[Problem]:
    # The API server refuses the Job otherwise; say so before a run starts.
    resources = step.run.resources if step.run is not None else None
    if resources is None:
        return
    for name, request in resources.requests.items():
        limit = resources.limits.get(name)
        if limit is not None and quantity_value(request) > quantity_value(limit):
            yield Problem(
                f"{path}.run.resources.requests.{name}",
                f"{request} is more than the limit {limit}; a request is at most its limit",
            )


def _needs_problems(prefix: str, steps: Sequence[Step]) -> Iterator[Problem]:
    names = [step.name for step in steps]
    scope = "steps" if prefix.endswith("steps") else "finally steps"
    for index, step in enumerate(steps):
        seen: set[str] = set()
        for position, need in enumerate(step.needs):
            path = f"{prefix}[{index}].needs[{position}]"
            if need == step.name:
                yield Problem(path, f"{step.name} cannot need itself")
            elif need not in names:
                yield Problem(
                    path, f'unknown step "{need}" among {scope}{did_you_mean(need, names)}'
                )
            elif need in seen:
                yield Problem(path, f'"{need}" is listed twice')
            seen.add(need)
    cycle = find_cycle({step.name: [n for n in step.needs if n != step.name] for step in steps})
    if cycle is not None:
        at = names.index(cycle[0])
        yield Problem(f"{prefix}[{at}].needs", "cycle " + " -> ".join(cycle))


def _gate_problems(path: str, step: Step, spec: AppDeploymentSpec) -> Iterator[Problem]:
    assert step.gate is not None
    gate = step.gate
    users = set(gate.approvers.users)
    if not users and not gate.approvers.groups:
        yield Problem(f"{path}.gate.approvers", SOME_APPROVER)
    elif not gate.approvers.groups and gate.required > len(users):
        yield Problem(
            f"{path}.gate.required",
            f"{gate.required} approvals required but only {len(users)} listed user(s) "
            "may approve and no group",
        )
    gates = [other.name for other in spec.steps if other.gate is not None]
    for position, other in enumerate(gate.distinct_from):
        where = f"{path}.gate.distinctFrom[{position}]"
        if other == step.name:
            yield Problem(where, f"{step.name} cannot be distinct from itself")
        elif other not in gates:
            yield Problem(where, f'unknown gate "{other}"{did_you_mean(other, gates)}')


def _substitution_problems(
    spec: AppDeploymentSpec, located: Sequence[tuple[str, Step]]
) -> Iterator[Problem]:
    main_needs = {step.name: step.needs for step in spec.steps}
    finally_needs = {step.name: step.needs for step in spec.finally_}
    for path, step in located:
        in_finally = step.name in finally_needs and path.startswith(f"{SPEC}.finally")
        upstream = (
            set(main_needs) | ancestors(finally_needs, step.name)
            if in_finally
            else ancestors(main_needs, step.name)
        )
        for relative, text in substitutable_fields(step):
            where = f"{path}.{relative}"
            try:
                references = references_in(text)
            except ValueError as error:
                yield Problem(where, str(error))
                continue
            for reference in references:
                if message := _reference_problem(reference, step.name, in_finally, upstream, spec):
                    yield Problem(where, f"{reference.text}: {message}")


def _reference_problem(
    reference: Reference,
    consumer: str,
    in_finally: bool,
    upstream: set[str],
    spec: AppDeploymentSpec,
) -> str:
    kind, name, producer = reference.kind, reference.name, reference.step
    if kind is ReferenceKind.PARAM and name not in spec.params:
        return f'no param "{name}" in spec.params{did_you_mean(name, spec.params)}'
    if kind is ReferenceKind.RUN_PHASE and not in_finally:
        return "the run's phase is only known in finally steps"
    if kind is not ReferenceKind.OUTPUT:
        return ""
    names = [step.name for step in spec.all_steps()]
    if producer not in names:
        return f'no step named "{producer}"{did_you_mean(producer, names)}'
    if spec.step(producer).type is not StepType.RUN:
        return f"{producer} is a {spec.step(producer).type} step; only run steps have outputs"
    if producer not in upstream:
        return (
            f"{producer} is not upstream of {consumer}; add it to needs "
            "(directly or through another step)"
        )
    return ""
