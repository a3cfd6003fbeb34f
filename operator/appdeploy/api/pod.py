"""The parts of a Kubernetes container and pod that a run step may set.

These are the subset of core/v1 that release steps need, typed so that a typo
is reported at validation time. Secrets are only ever *referenced* here.
"""

from __future__ import annotations

import json
import re
from decimal import MAX_EMAX, MAX_PREC, MIN_EMIN, Context, Decimal
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BeforeValidator,
    Field,
    StrictBool,
    WithJsonSchema,
)

from appdeploy.api.base import ApiModel, Int64, NonEmptyStr

# The API server's grammar (k8s.io/apimachinery resource.ParseQuantity):
# <signedNumber><suffix>, suffix binary Ki..Ei, decimal n u m "" k M G T P E,
# or an integer exponent e3 / E-3. Negative amounts are refused: no request,
# limit or divisor may be below zero, so the CRD's pattern omits the '-' sign.
QUANTITY_PATTERN = r"^\+?([0-9]+(\.[0-9]*)?|\.[0-9]+)([KMGTPE]i|[numkMGTPE]|[eE][+-]?[0-9]+)?$"
_QUANTITY = re.compile(QUANTITY_PATTERN)
_QUANTITY_NUMBER = re.compile(r"^[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)")
_QUANTITY_SCALE = {
    **{f"{prefix}i": Decimal(1024) ** (power + 1) for power, prefix in enumerate("KMGTPE")},
    **{prefix: Decimal(10) ** (3 * power) for power, prefix in enumerate("kMGTPE", start=1)},
    "n": Decimal("1e-9"),
    "u": Decimal("1e-6"),
    "m": Decimal("1e-3"),
    "": Decimal(1),
}


# Exponents like 1e99999999999 are in the grammar; amounts are compared in a
# context that saturates to Infinity (or 0) instead of raising decimal.Overflow.
_WIDE = Context(prec=MAX_PREC, Emax=MAX_EMAX, Emin=MIN_EMIN, traps=[])


def _quantity_text(value: Any) -> Any:
    # YAML turns `cpu: 2` into an int; the CRD types quantities int-or-string, so the
    # API server refuses `cpu: 0.5` (a float), and so do the models.
    if isinstance(value, bool):
        raise ValueError('a quantity must be a number or a string such as "500m"')
    if isinstance(value, float):
        raise ValueError(
            f'write {value} as a string, "{value}": the CRD takes integers and strings'
        )
    if isinstance(value, int):
        return str(value)
    return value


def _check_quantity(text: str) -> str:
    # fullmatch: Python's `$` also matches before a final newline; the API server's does not.
    if text.startswith("-") and _QUANTITY.fullmatch(text[1:]):
        raise ValueError(f'"{text}" is negative; a resource quantity is at least 0')
    if not _QUANTITY.fullmatch(text):
        shown = json.dumps(text, ensure_ascii=False)  # a newline shows as \n
        raise ValueError(f"{shown} is not a Kubernetes quantity (e.g. 500m, 2, 4Gi)")
    return text


def quantity_value(text: str) -> Decimal:
    """The amount a valid quantity stands for: ``500m`` -> 0.5, ``4Gi`` -> 4294967296.

    Amounts too large (or small) for any machine come out as Infinity (or 0), never an error.
    """
    number = _QUANTITY_NUMBER.match(text)
    assert number is not None, f"not a quantity: {text}"
    amount, suffix = Decimal(number.group(0)), text[number.end() :]
    if suffix in _QUANTITY_SCALE:  # E is exa, Ei exbi; e3 and E3 are exponents
        return _WIDE.multiply(amount, _QUANTITY_SCALE[suffix])
    sign = -1 if suffix[1:2] == "-" else 1
    digits = suffix[1:].lstrip("+-").lstrip("0") or "0"
    # Beyond 18 digits an exponent is past any Decimal's range: clamp it.
    exponent = sign * (int(digits) if len(digits) <= 18 else MAX_EMAX)
    return _WIDE.scaleb(amount, max(min(exponent, MAX_EMAX), MIN_EMIN))


Quantity = Annotated[
    str,
    BeforeValidator(_quantity_text),
    AfterValidator(_check_quantity),
    WithJsonSchema(
        {
            "anyOf": [{"type": "integer"}, {"type": "string"}],
            "x-kubernetes-int-or-string": True,
            "pattern": QUANTITY_PATTERN,
            # The pattern checks strings only; an integer quantity needs its own floor.
            "minimum": 0,
        }
    ),
]
"""A Kubernetes resource quantity, checked as the API server checks it."""


class KeyRef(ApiModel):
    """A key of a Secret or ConfigMap in the release's namespace."""

    name: NonEmptyStr
    """Name of the Secret or ConfigMap."""
    key: NonEmptyStr
    """Key within it."""
    optional: StrictBool | None = None
    """Start the step even when the key is missing."""


class FieldRef(ApiModel):
    """A field of the step's own pod, e.g. ``metadata.name``."""

    field_path: NonEmptyStr
    """Path of the field, e.g. ``metadata.namespace``."""
    api_version: str | None = None
    """Schema version the path is written in; default v1."""


class ResourceFieldRef(ApiModel):
    """A resource request or limit of the step's container."""

    resource: NonEmptyStr
    """e.g. ``limits.memory``."""
    container_name: str | None = None
    """Defaults to the step container."""
    divisor: Quantity | None = None
    """Unit to express the value in."""


class EnvVarSource(ApiModel):
    """Where an environment variable's value comes from (exactly one)."""

    secret_key_ref: KeyRef | None = None
    """A key of a Secret."""
    config_map_key_ref: KeyRef | None = None
    """A key of a ConfigMap."""
    field_ref: FieldRef | None = None
    """A field of the pod."""
    resource_field_ref: ResourceFieldRef | None = None
    """A resource of the container."""


class EnvVar(ApiModel):
    """An environment variable of the step container."""

    name: NonEmptyStr
    """Variable name."""
    value: str | None = None
    """Literal value; substitutions such as ``$(params.gitRevision)`` are resolved."""
    value_from: EnvVarSource | None = None
    """Take the value from a Secret, ConfigMap or the pod instead."""


class NameRef(ApiModel):
    """A Secret or ConfigMap referenced by name."""

    name: NonEmptyStr
    """Its name, in the release's namespace."""
    optional: StrictBool | None = None
    """Start the step even when it does not exist."""


class EnvFromSource(ApiModel):
    """Every key of a Secret or ConfigMap as environment variables."""

    prefix: str | None = None
    """Prepended to each variable name."""
    secret_ref: NameRef | None = None
    """The Secret to read."""
    config_map_ref: NameRef | None = None
    """The ConfigMap to read."""


class Resources(ApiModel):
    """Compute resources of the step container."""

    requests: dict[str, Quantity] = Field(default_factory=dict)
    """Minimum resources, e.g. ``{cpu: "2", memory: 4Gi}``."""
    limits: dict[str, Quantity] = Field(default_factory=dict)
    """Maximum resources."""


class Toleration(ApiModel):
    """Lets the step's pod schedule onto nodes with a matching taint."""

    key: str | None = None
    """Taint key; empty with operator Exists matches every taint, which only the admin allows."""
    operator: Literal["Exists", "Equal"] | None = None
    """Exists or Equal (default)."""
    value: str | None = None
    """Taint value for operator Equal."""
    effect: Literal["NoSchedule", "PreferNoSchedule", "NoExecute"] | None = None
    """Taint effect to match; empty matches all."""
    toleration_seconds: Int64 | None = None
    """How long a NoExecute taint is tolerated."""


class PodMetadata(ApiModel):
    """Labels and annotations copied onto the step's pod."""

    labels: dict[str, str] = Field(default_factory=dict)
    """Extra pod labels, under ``user.appdeploy.dev/`` unless the cluster admin allows any."""
    annotations: dict[str, str] = Field(default_factory=dict)
    """Extra pod annotations."""
