"""The validate-spec webhook handler, called as kopf calls it: refusals name the field.

The spec fuzzer (tests/fuzz) found the handler answering a spec that is not
a map (a list, a string, a number) with a Python exception, which kopf turns
into a 500; and a falsy one (``""``, ``0``, ``[]``) judged as if it were
``{}``, unlike ``parse_spec`` and the operator.
"""

from __future__ import annotations

from typing import Any

import kopf
import pytest

from appdeploy.admission.configurations import VALIDATE_SPEC
from appdeploy.admission.webhooks import UNPROCESSABLE, register_admission
from appdeploy.api.problems import InvalidSpec
from appdeploy.api.validation import parse_spec

VALID = {"app": "shop", "version": "1", "steps": [{"name": "build", "run": {"image": "b"}}]}


def validate_spec(
    spec: Any, old: Any = None, warnings: list[str] | None = None, channels: set[str] | None = None
) -> str:
    """The handler's refusal message, or "" when it admits the release."""
    registry = kopf.OperatorRegistry()
    register_admission(registry, signing_key=lambda: b"k" * 32, channels=lambda ns: channels)
    (handler,) = [h for h in registry._webhooks.get_all_handlers() if h.id == VALIDATE_SPEC]
    metadata = {"name": "rel", "namespace": "mobile"}
    body = kopf.Body({"metadata": metadata, "spec": spec})
    previous = None if old is None else kopf.Body({"metadata": metadata, "spec": old})
    try:
        handler.fn(body=body, old=previous, warnings=warnings if warnings is not None else [])
    except kopf.AdmissionError as refused:
        assert refused.code == UNPROCESSABLE
        return str(refused)
    return ""


@pytest.mark.parametrize("spec", [["build"], "shop", 42, True, 2.5, "", 0, [], None])
def test_a_spec_that_is_not_a_map_is_refused_naming_spec(spec: Any) -> None:
    with pytest.raises(InvalidSpec) as raised:
        parse_spec(spec)
    assert validate_spec(spec) == f"invalid AppDeployment: {raised.value}"
    assert str(raised.value).startswith("spec: expected a map of fields, not ")


def test_a_valid_spec_is_admitted_and_an_unchanged_one_is_not_judged_again() -> None:
    assert validate_spec(VALID) == ""
    assert validate_spec(["build"], old=["build"]) == ""
    assert validate_spec({**VALID, "app": "Shop"}, old=VALID).startswith(
        "invalid AppDeployment: spec.app: 'Shop' is not a DNS label"
    )


def test_a_release_naming_a_channel_that_does_not_exist_yet_is_admitted_with_a_warning() -> None:
    spec = {**VALID, "notify": {"channels": ["releases", "mobile-qa"]}}
    warnings: list[str] = []
    assert validate_spec(spec, warnings=warnings, channels={"releases"}) == ""
    assert warnings == [
        'spec.notify.channels[1]: no NotificationChannel "mobile-qa" in mobile yet; the release '
        "runs, and NotificationsReady stays False until it exists"
    ]
    unknown: list[str] = []
    assert validate_spec(spec, warnings=unknown, channels=None) == ""
    assert unknown == [], "no warning when the webhook cannot tell"


def test_a_bare_on_key_is_refused_with_the_reason() -> None:
    spec = {**VALID, "notify": {"channels": ["releases"], "true": ["GateOpened"]}}
    assert 'write "on" in quotes' in validate_spec(spec)
