"""The parts of an AppDeployment around its spec: apiVersion, kind, metadata.

``parse_spec`` checks the spec only, because that is all the operator and
the webhook ever see after the API server has checked the rest. A file in
git has not met the API server yet, so ``appdeploy validate`` checks the
envelope the way the API server would, with messages that name the field.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any

from appdeploy.api.base import DNS_LABEL_PATTERN
from appdeploy.api.crd import API_VERSION, GROUP, KIND
from appdeploy.api.problems import Problem, did_you_mean
from appdeploy.api.validation import release_name_problems

TOP_LEVEL_FIELDS = ("apiVersion", "kind", "metadata", "spec", "status")
DNS_SUBDOMAIN_MAX = 253
_DNS_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
_DNS_LABEL = re.compile(DNS_LABEL_PATTERN)


def is_appdeployment(data: Any) -> bool:
    """True for documents meant as AppDeployments, including ones with a typo in apiVersion or kind.

    A document is taken as an AppDeployment when its kind says so (in any
    letter case) or its apiVersion is in the appdeploy.dev group: skipping
    ``kind: AppDeploymnet`` as "some other resource" would hide the very
    mistake validation is for.
    """
    if not isinstance(data, Mapping):
        return False
    kind, api_version = data.get("kind"), data.get("apiVersion")
    return (isinstance(kind, str) and kind.lower() == KIND.lower()) or (
        isinstance(api_version, str) and api_version.split("/")[0] == GROUP
    )


def describe_other(data: Any) -> str:
    """How to name a document that is not an AppDeployment, for ``--strict``."""
    if not isinstance(data, Mapping):
        return f"a YAML {type(data).__name__}"
    kind, api_version = data.get("kind"), data.get("apiVersion")
    if kind is None:
        return "a mapping without kind"
    return f"kind {kind} ({api_version})"


def envelope_problems(data: Mapping[str, Any]) -> Iterator[Problem]:
    """Everything wrong outside ``spec``, and a missing ``spec``."""
    api_version = data.get("apiVersion")
    if api_version is None:
        yield Problem("apiVersion", f"required field is missing; add apiVersion: {API_VERSION}")
    elif api_version != API_VERSION:
        yield Problem(
            "apiVersion",
            f"{_show(api_version)} is not served by appdeploy; use {API_VERSION}",
        )
    kind = data.get("kind")
    if kind is None:
        yield Problem("kind", f"required field is missing; add kind: {KIND}")
    elif kind != KIND:
        yield Problem("kind", f"{_show(kind)} is not a kind of {GROUP}; use {KIND}")
    yield from _metadata_problems(data.get("metadata"))
    if "spec" not in data:
        yield Problem("spec", "required field is missing; add the release's app, version and steps")
    for field in data:
        if field not in TOP_LEVEL_FIELDS:
            yield Problem(
                str(field),
                f"unknown field{did_you_mean(str(field), TOP_LEVEL_FIELDS)}; an AppDeployment "
                "has apiVersion, kind, metadata and spec: remove it or move it into one of them",
            )


def metadata_problems(metadata: Any) -> Iterator[Problem]:
    """Problems of ``metadata``: a name the API server takes, a namespace name."""
    yield from _metadata_problems(metadata)


def _metadata_problems(metadata: Any) -> Iterator[Problem]:
    if metadata is None:
        yield Problem("metadata", "required field is missing; add metadata: {name: RELEASE}")
        return
    if not isinstance(metadata, Mapping):
        yield Problem("metadata", "must be a mapping such as {name: shop-4-12-0}")
        return
    name = metadata.get("name")
    if name is None:
        yield Problem(
            "metadata.name", "required field is missing; name the release, e.g. shop-4-12-0"
        )
    elif not isinstance(name, str) or not _is_dns_subdomain(name):
        yield Problem(
            "metadata.name",
            f"{_show(name)} is not a DNS subdomain name: use lowercase letters, digits, "
            "'-' and '.', starting and ending with a letter or digit, at most "
            f"{DNS_SUBDOMAIN_MAX} characters (e.g. shop-4-12-0)",
        )
    elif too_long := release_name_problems(name):
        yield from too_long
    namespace = metadata.get("namespace")
    if namespace is not None and not (
        isinstance(namespace, str) and _DNS_LABEL.match(namespace) and len(namespace) <= 63
    ):
        yield Problem(
            "metadata.namespace",
            f"{_show(namespace)} is not a namespace name: use a DNS label (lowercase letters, "
            "digits and '-', at most 63 characters)",
        )


def _is_dns_subdomain(name: str) -> bool:
    return len(name) <= DNS_SUBDOMAIN_MAX and _DNS_SUBDOMAIN.match(name) is not None


def _show(value: Any) -> str:
    return f'"{value}"' if isinstance(value, str) else repr(value)
