"""``spec.templateRef``: a release that takes its steps from a ReleaseTemplate (docs/templates.md).

Its own module so that ``appdeploy.api.spec`` can hold the field while the
template models (which hold steps) live in ``appdeploy.api.templates``.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

from pydantic import StringConstraints

from appdeploy.api.base import ApiModel

DIGEST_PATTERN = r"^sha256:[0-9a-f]{64}$"


class TemplateKind(StrEnum):
    """Where the template lives: the release's namespace, or the whole cluster."""

    RELEASE_TEMPLATE = "ReleaseTemplate"
    CLUSTER_RELEASE_TEMPLATE = "ClusterReleaseTemplate"


class TemplateRef(ApiModel):
    """Which template a release expands, optionally pinned to one exact version of it."""

    kind: TemplateKind = TemplateKind.RELEASE_TEMPLATE
    """``ReleaseTemplate`` (in the release's namespace) or ``ClusterReleaseTemplate``."""
    name: Annotated[str, StringConstraints(min_length=1, max_length=253)]
    """The template's ``metadata.name``."""
    digest: Annotated[str, StringConstraints(pattern=DIGEST_PATTERN)] | None = None
    """``sha256:<hex>`` of the template's spec (``appdeploy render`` prints it): a template
    whose spec hashes otherwise is refused, so an edited recipe cannot slip in."""
