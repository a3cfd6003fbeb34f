"""Judge one fuzz case with every layer that judges a release, and check they agree.

- ``parse_spec`` raises nothing but ``InvalidSpec``, and every problem names a
  field (``spec…``, or ``metadata.name``); a single mutation's refusal names
  the field it broke.
- The admission webhook's ``validate-spec`` handler (registered by
  ``register_admission`` on a fresh kopf registry, called as kopf calls it)
  refuses exactly the invalid ones, with the same problems, code 422.
- The CRD's structural schema (tests/crd_schema.py) agrees with the models on
  shape: it cannot see cross-step rules or CEL, so only the models' shape
  verdict (pydantic alone) is compared.
- ``plan`` never raises: an invalid release becomes phase Invalid, Stalled,
  with one Warning and nothing created; a valid one runs. Then a few things
  happen (Jobs finish with odd outputs or fail, people approve and reject,
  time passes, retry and cancel arrive) and every pass is planned again; an
  invalid spec committed over a running release stops it creating anything.

Any other exception, or any disagreement, fails the case (AssertionError).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from typing import Any

import kopf
from pydantic import ValidationError

from appdeploy.admission.configurations import VALIDATE_SPEC
from appdeploy.admission.webhooks import UNPROCESSABLE, register_admission
from appdeploy.api.crd import API_VERSION, KIND
from appdeploy.api.problems import InvalidSpec
from appdeploy.api.spec import AppDeploymentSpec
from appdeploy.api.status import Phase
from appdeploy.api.validation import parse_spec, release_name_problems
from appdeploy.engine import CreateJob, DeleteJob, Observed, PostEvent, Release, plan
from appdeploy.engine.planner import INVALID_MESSAGE_LIMIT, read_status
from appdeploy.engine.reasons import Reason
from tests.crd_schema import crd_validator, schema_errors
from tests.fuzz.cases import Case
from tests.fuzz.happenings import play
from tests.unit.harness import T0, UID, Simulation

FIELD = re.compile(r"^(spec([.\[].*)?|metadata\.name)$")


@dataclass(frozen=True)
class Verdict:
    """What the layers agreed on: valid or not, and the problems that say why."""

    valid: bool
    problems: tuple[str, ...]
    """``path: message`` of every problem."""
    kinds: frozenset[str]
    """The problems' messages with names and numbers blanked: the kinds of error seen."""


def judge(case: Case) -> Verdict:
    """Run the case through every layer; AssertionError on any disagreement."""
    try:
        parse_spec(case.spec)
        spec_problems: list[tuple[str, str]] = []
    except InvalidSpec as invalid:
        spec_problems = [(p.path, p.message) for p in invalid.problems]
        assert spec_problems, "InvalidSpec without a problem"
    name_problems = [(p.path, p.message) for p in release_name_problems(case.name)]
    for path, message in spec_problems + name_problems:
        assert FIELD.match(path), f"problem without a field path: {path!r}: {message}"
        assert message.strip(), f"{path}: empty message"
    _check_expectations(case, [path for path, _ in spec_problems])
    _check_schema(case)
    refusal = [f"{p}: {m}" for p, m in (name_problems or spec_problems)]
    _check_webhook(case, refusal)
    _check_plan(case, refusal)
    return Verdict(
        valid=not refusal,
        problems=tuple(f"{p}: {m}" for p, m in spec_problems + name_problems),
        kinds=frozenset(error_kind(m) for _, m in spec_problems + name_problems),
    )


def error_kind(message: str) -> str:
    """``unknown step "ghost-a" among steps`` -> ``unknown step "…" among steps``."""
    blanked = re.sub(r"\"[^\"]*\"|'[^']*'|\$\([^)]*\)", "…", message)
    return re.sub(r"[0-9]+", "N", blanked)[:72]


def _check_expectations(case: Case, paths: list[str]) -> None:
    must = [m for m in case.mutations if m.expect]
    if case.strict and must:
        (mutation,) = must
        assert any(re.fullmatch(mutation.expect, p) for p in paths), (
            f"{mutation.kind} at {mutation.path}: refusal should name /{mutation.expect}/, "
            f"named {paths or 'nothing (accepted)'}"
        )
    if not case.mutations:
        assert not paths, f"the unmutated spec was refused: {paths}"


@cache
def _validator() -> Any:
    return crd_validator()


def _check_schema(case: Case) -> None:
    try:
        AppDeploymentSpec.model_validate(case.spec)
        models = True
    except ValidationError:
        models = False
    document = {
        "apiVersion": API_VERSION,
        "kind": KIND,
        "metadata": {"name": case.name},
        "spec": case.spec,
    }
    errors = schema_errors(_validator(), document)
    assert models == (not errors), (
        f"the models {'accept' if models else 'refuse'} the shape, "
        f"the CRD schema {'refuses' if errors else 'accepts'} it: {errors[:3]}"
    )


@cache
def _validate_spec_handler() -> Any:
    registry = kopf.OperatorRegistry()
    register_admission(registry, signing_key=lambda: b"k" * 32)
    # kopf keeps admission handlers in this private registry; the harness calls the one
    # the /validate-spec URL is served by, with the arguments kopf passes.
    handlers = [h for h in registry._webhooks.get_all_handlers() if h.id == VALIDATE_SPEC]
    return handlers[0].fn


def _check_webhook(case: Case, refusal: list[str]) -> None:
    body = kopf.Body(
        {
            "apiVersion": API_VERSION,
            "kind": KIND,
            "metadata": {"name": case.name},
            "spec": case.spec,
        }
    )
    try:
        _validate_spec_handler()(body=body, old=None)
    except kopf.AdmissionError as error:
        assert refusal, f"the webhook refused a valid release: {error}"
        assert error.code == UNPROCESSABLE
        assert str(error) == "invalid AppDeployment: " + "; ".join(refusal)
        return
    assert not refusal, f"the webhook admitted an invalid release: {refusal[:3]}"


def _check_plan(case: Case, refusal: list[str]) -> None:
    release = Release(case.name, "ns", 1, case.spec, None, uid=UID)
    first = plan(release, Observed(), T0)
    if refusal:
        assert first.status.phase is Phase.INVALID, first.status.phase
        expected = "; ".join(refusal[:INVALID_MESSAGE_LIMIT])
        assert first.status.message.startswith(expected), (first.status.message, expected)
        assert not first.of_type(CreateJob) and not first.of_type(DeleteJob)
        assert [e.reason for e in first.of_type(PostEvent)] == [Reason.INVALID_SPEC]
        stalled = [c for c in first.status.conditions if c.type == "Stalled"]
        assert stalled and stalled[0].status == "True"
    else:
        assert first.status.phase is not Phase.INVALID, first.status.message
    read_status(first.wire_status())
    _check_with_history(case, refusal)


def _check_with_history(case: Case, refusal: list[str]) -> None:
    if not refusal:
        simulation = Simulation(case.spec, name=case.name)
        simulation.reconcile()
        play(simulation, case.seed)
        return
    names_fine = not release_name_problems(case.name)
    simulation = Simulation(case.base if names_fine else case.spec, name=case.name)
    simulation.reconcile()
    if names_fine:
        play(simulation, case.seed)
        created = len(simulation.created)
        simulation.spec = case.spec
        simulation.generation += 1
        simulation.reconcile()
        assert len(simulation.created) == created, "an invalid spec created Jobs"
    assert simulation.phase == Phase.INVALID, simulation.phase
    simulation.approve("ghost", "alice@example.com")
    assert simulation.phase == Phase.INVALID
