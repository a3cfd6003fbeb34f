"""The shared pydantic configuration of every API model.

Fields are snake_case in Python and camelCase on the wire, unknown fields are
errors (a typo in a release must not be silently ignored), and each field's
docstring becomes its description in the generated CRD.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Annotated

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    JsonValue,
    StrictInt,
    StringConstraints,
)
from pydantic.alias_generators import to_camel

DNS_LABEL_PATTERN = r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$"

DnsLabel = Annotated[str, StringConstraints(pattern=DNS_LABEL_PATTERN, max_length=63)]
"""A lowercase RFC 1123 label: step names, app names."""

NonEmptyStr = Annotated[str, Field(min_length=1)]

INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1


def fits_int64(value: int) -> int:
    """``value``, or ValueError when Kubernetes cannot store it (outside int64)."""
    if not INT64_MIN <= value <= INT64_MAX:
        raise ValueError(f"{value} does not fit in 64 bits, the largest integer Kubernetes keeps")
    return value


Int64 = Annotated[StrictInt, AfterValidator(fits_int64)]
"""An integer Kubernetes can store: the API server refuses a JSON number beyond int64.

A validator, not ``le=``: the bound must stay out of the CRD, because the API server
reads a schema's ``maximum`` as a float, and 2**63 - 1 comes back as -2**63.
"""


class ApiModel(BaseModel):
    """Base of all AppDeployment models: camelCase aliases, no unknown fields."""

    model_config = ConfigDict(
        alias_generator=to_camel,
        populate_by_name=True,
        extra="forbid",
        use_attribute_docstrings=True,
        frozen=False,
    )

    def to_wire(self) -> dict[str, object]:
        """The JSON-ready dict Kubernetes stores: camelCase keys, unset optionals left out."""
        return self.model_dump(mode="json", by_alias=True, exclude_none=True)


class StatusModel(ApiModel):
    """Status models leave out fields at their defaults, so ``kubectl get -o yaml`` stays short."""

    def to_wire(self) -> dict[str, object]:
        """The JSON-ready dict written to the status subresource."""
        return self.model_dump(mode="json", by_alias=True, exclude_none=True, exclude_defaults=True)


def exactly_one_of(names: Iterable[str]) -> str:
    """The CEL rule that exactly one of the optional fields ``names`` is set."""
    return " + ".join(f"(has(self.{name}) ? 1 : 0)" for name in names) + " == 1"


def cel_rules(*rules: tuple[str, str, str]) -> ConfigDict:
    """Config giving a model's CRD schema ``x-kubernetes-validations`` (rule, message, fieldPath).

    The API server evaluates these CEL rules itself, so a cluster without the
    admission webhook still refuses what they say at the door. Each message is
    the one the model's own validation gives, so every layer reads alike.
    """
    validations: list[JsonValue] = [
        {"rule": rule, "message": message, **({"fieldPath": path} if path else {})}
        for rule, message, path in rules
    ]
    return ConfigDict(json_schema_extra={"x-kubernetes-validations": validations})
