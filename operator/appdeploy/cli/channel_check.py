"""Offline checks of NotificationChannel documents, for ``appdeploy validate``.

A channel in git is checked with the same models the API server's schema
and the operator use, so a typo in a transport is found at commit time.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from pydantic import ValidationError

from appdeploy.api.channels import CHANNEL_KIND, NotificationChannelSpec
from appdeploy.api.crd import API_VERSION
from appdeploy.api.problems import Problem, problems_from
from appdeploy.cli.envelope import metadata_problems


def is_channel(data: Any) -> bool:
    """True for a document whose kind is NotificationChannel."""
    return isinstance(data, Mapping) and data.get("kind") == CHANNEL_KIND


def channel_problems(
    data: Mapping[str, Any],
) -> tuple[NotificationChannelSpec | None, list[Problem]]:
    """The channel's spec when valid, and every problem with its field path."""
    problems = list(_envelope(data))
    spec: NotificationChannelSpec | None = None
    try:
        spec = NotificationChannelSpec.model_validate(data.get("spec"))
    except ValidationError as error:
        problems += problems_from(error, "spec")
    return (spec if not problems else None), problems


def _envelope(data: Mapping[str, Any]) -> Iterator[Problem]:
    if data.get("apiVersion") != API_VERSION:
        yield Problem("apiVersion", f"use {API_VERSION}")
    yield from metadata_problems(data.get("metadata"))
