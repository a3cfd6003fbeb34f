"""ReleaseTemplate and ClusterReleaseTemplate: one recipe, many releases (docs/templates.md).

A team with three apps on two platforms should write its store recipe once
and keep each release to its app, version and a few params. Both kinds share
this spec; they differ only in scope: a ReleaseTemplate serves releases of
its own namespace, a ClusterReleaseTemplate (the admin's) serves every
namespace. Params are typed and declared, unlike Argo's (an ``enum`` that is
not enforced, argo-workflows#6959; a misspelled param silently ignored,
#10482), so a release that sets a param wrongly is refused with the field
named. These models check shapes; param rules and expansion are in
``appdeploy.api.template_params`` and ``appdeploy.api.expansion``.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

from pydantic import Field, StrictBool, StringConstraints

from appdeploy.api.base import ApiModel, cel_rules
from appdeploy.api.notify import ReleaseNotify
from appdeploy.api.spec import MAX_STEPS, NO_GATE_IN_FINALLY, Defaults, Step
from appdeploy.api.substitutions import REFERENCE_NAME
from appdeploy.api.template_ref import TemplateKind

TEMPLATE_KIND = TemplateKind.RELEASE_TEMPLATE.value
TEMPLATE_PLURAL = "releasetemplates"
CLUSTER_TEMPLATE_KIND = TemplateKind.CLUSTER_RELEASE_TEMPLATE.value
CLUSTER_TEMPLATE_PLURAL = "clusterreleasetemplates"

MAX_PARAMS = 64
"""Bounds the CEL cost of the list, and a recipe with more knobs is several recipes."""

ParamName = Annotated[str, StringConstraints(pattern=rf"^{REFERENCE_NAME}$", max_length=63)]
"""A name ``$(params.NAME)`` can spell."""


class ParamType(StrEnum):
    """How a param's value (always written as a string, like ``spec.params``) is read."""

    STRING = "string"
    INT = "int"
    BOOL = "bool"
    SEMVER = "semver"


class TemplateParam(ApiModel):
    """One param a release may (or must) set."""

    name: ParamName
    """Used as ``$(params.NAME)`` in the template's steps and as a key of the release's params."""
    type: ParamType = ParamType.STRING
    """``string``, ``int`` (decimal, 64-bit), ``bool`` (``true`` or ``false``) or ``semver``
    (semver.org 2.0.0, e.g. ``4.13.0-rc.1``)."""
    enum: Annotated[list[str], Field(max_length=100)] = Field(default_factory=list)
    """When set, the only values accepted."""
    pattern: str | None = None
    """A Python regular expression the whole value must match."""
    default: str | None = None
    """The value when the release does not set one."""
    required: StrictBool | None = None
    """Whether the release must set it; when left out, a param without a default is required."""
    description: str = ""
    """What the value means; shown when a release leaves a required param out."""

    @property
    def is_required(self) -> bool:
        """True when a release must set this param."""
        return self.required if self.required is not None else self.default is None


class ReleaseTemplateSpec(ApiModel):
    """A release recipe: the DAG, who runs it, and the params a release fills in."""

    model_config = cel_rules(
        ("!has(self.finally) || self.finally.all(s, !has(s.gate))", NO_GATE_IN_FINALLY, "")
    )

    params: Annotated[list[TemplateParam], Field(max_length=MAX_PARAMS)] = Field(
        default_factory=list
    )
    """The params a release may set; any other is refused."""
    service_account_name: str | None = None
    """Service account of run steps that do not set their own; a release cannot change it."""
    defaults: Defaults = Field(default_factory=Defaults)
    """Timeouts and retries for steps that do not set them."""
    notify: ReleaseNotify | None = None
    """Channels told about the release's events, unless the release names its own."""
    steps: Annotated[list[Step], Field(min_length=1, max_length=MAX_STEPS)]
    """The release DAG; ``$(params.NAME)``, ``$(app)`` and ``$(version)`` as in a release."""
    finally_: list[Step] = Field(default_factory=list, alias="finally", max_length=MAX_STEPS)
    """Steps run after the DAG ends, whatever the outcome."""
