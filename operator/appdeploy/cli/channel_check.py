"""Offline checks of NotificationChannel and ReleasePolicy documents, for ``appdeploy validate``.

A channel or policy in git is checked with the same models the API server's
schema and the operator use, so a typo is found at commit time.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from appdeploy.api.channels import CHANNEL_KIND, NotificationChannelSpec
from appdeploy.api.crd import API_VERSION
from appdeploy.api.policy import POLICY_KIND, ReleasePolicySpec
from appdeploy.api.problems import Problem, problems_from
from appdeploy.cli.envelope import metadata_problems

Spec = TypeVar("Spec", bound=BaseModel)


def is_channel(data: Any) -> bool:
    """True for a document whose kind is NotificationChannel."""
    return isinstance(data, Mapping) and data.get("kind") == CHANNEL_KIND


def is_policy(data: Any) -> bool:
    """True for a document whose kind is ReleasePolicy."""
    return isinstance(data, Mapping) and data.get("kind") == POLICY_KIND


def channel_problems(
    data: Mapping[str, Any],
) -> tuple[NotificationChannelSpec | None, list[Problem]]:
    """The channel's spec when valid, and every problem with its field path."""
    return spec_problems(data, NotificationChannelSpec)


def policy_problems(data: Mapping[str, Any]) -> tuple[ReleasePolicySpec | None, list[Problem]]:
    """The policy's spec when valid, and every problem with its field path."""
    return spec_problems(data, ReleasePolicySpec)


def spec_problems(data: Mapping[str, Any], model: type[Spec]) -> tuple[Spec | None, list[Problem]]:
    """``spec`` as ``model`` when the document is valid, and every problem with its field path."""
    problems = list(_envelope(data))
    spec: Spec | None = None
    try:
        spec = model.model_validate(data.get("spec"))
    except ValidationError as error:
        problems += problems_from(error, "spec")
    return (spec if not problems else None), problems


def spec_envelope_problems(data: Mapping[str, Any]) -> Iterator[Problem]:
    """Problems of apiVersion and metadata of a document checked by its spec model."""
    yield from _envelope(data)


def _envelope(data: Mapping[str, Any]) -> Iterator[Problem]:
    if data.get("apiVersion") != API_VERSION:
        yield Problem("apiVersion", f"use {API_VERSION}")
    yield from metadata_problems(data.get("metadata"))
