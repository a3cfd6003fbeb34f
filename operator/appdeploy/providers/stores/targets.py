"""What a store action acts on: the resolved ``rollout.googlePlay`` or ``rollout.appStore``.

The rollout step hands its target to the Job as JSON in
``APPDEPLOY_ROLLOUT_TARGET`` (field names of issue 14, camelCase). Bad input
is a usage error naming the field, before any request reaches a store.
Credentials are never part of the target: the Job gets them from Secrets.
"""

from __future__ import annotations

import ipaddress
from enum import StrEnum
from typing import Annotated, Any, TypeVar
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from pydantic.alias_generators import to_camel

from appdeploy.providers.job_input import UsageError, json_object_from_env

TARGET_ENV = "APPDEPLOY_ROLLOUT_TARGET"

PLAY_BASE_URL = "https://androidpublisher.googleapis.com"
APP_STORE_BASE_URL = "https://api.appstoreconnect.apple.com"

NonEmpty = Annotated[str, Field(min_length=1)]


class TargetError(UsageError):
    """The target cannot be used; the message names the field at fault."""


class ChangesInReviewBehavior(StrEnum):
    """What a Play commit does when other changes of the app are in review.

    ``ErrorIfInReview`` is our default although the API's is to cancel the
    review: an automated rollout step must never silently withdraw a
    submission someone else sent for review (a listing update, another
    track); it fails instead and a person decides.
    """

    ERROR_IF_IN_REVIEW = "ErrorIfInReview"
    CANCEL_IN_REVIEW_AND_SUBMIT = "CancelInReviewAndSubmit"

    @property
    def api_value(self) -> str:
        """The query parameter's value as the Publishing API spells it."""
        if self is ChangesInReviewBehavior.ERROR_IF_IN_REVIEW:
            return "ERROR_IF_IN_REVIEW"
        return "CANCEL_IN_REVIEW_AND_SUBMIT"


class TargetModel(BaseModel):
    """camelCase on the wire, strict types, unknown fields refused."""

    model_config = ConfigDict(
        alias_generator=to_camel, populate_by_name=True, extra="forbid", strict=True
    )


def _base_url(value: str) -> str:
    """https anywhere; plain http only to loopback (a fake in a test), never with a token abroad."""
    parts = urlsplit(value)
    if parts.scheme == "https" and parts.hostname:
        return value.rstrip("/")
    if parts.scheme == "http" and parts.hostname in ("localhost", "::1"):
        return value.rstrip("/")
    if parts.scheme == "http" and parts.hostname:
        try:
            if ipaddress.ip_address(parts.hostname).is_loopback:
                return value.rstrip("/")
        except ValueError:
            pass
        raise ValueError("plain http is for loopback only (a test's fake): use https")
    raise ValueError("must be an https URL")


class GooglePlayTarget(TargetModel):
    """A release on a Play track, named by its version codes."""

    package_name: NonEmpty
    track: NonEmpty = "production"
    version_codes: list[NonEmpty] = Field(min_length=1)
    """The release's version codes, as strings (the API's int64 format)."""
    changes_in_review_behavior: ChangesInReviewBehavior = ChangesInReviewBehavior.ERROR_IF_IN_REVIEW
    base_url: str = PLAY_BASE_URL
    """Only tests point this elsewhere (a fake on 127.0.0.1)."""

    @field_validator("version_codes")
    @classmethod
    def _digits(cls, codes: list[str]) -> list[str]:
        for code in codes:
            if not code.isdigit():
                raise ValueError(f"{code!r} is not a version code (digits only)")
        return codes

    @field_validator("changes_in_review_behavior", mode="before")
    @classmethod
    def _behavior(cls, value: Any) -> Any:
        # Strict mode takes no plain string for an enum; JSON is all strings.
        if isinstance(value, str):
            try:
                return ChangesInReviewBehavior(value)
            except ValueError:
                allowed = ", ".join(member.value for member in ChangesInReviewBehavior)
                raise ValueError(f"{value!r} is not one of {allowed}") from None
        return value

    @field_validator("base_url")
    @classmethod
    def _url(cls, value: str) -> str:
        return _base_url(value)


class AppStoreTarget(TargetModel):
    """An App Store version (``versionString``) of an app, by its App Store Connect id."""

    app_id: NonEmpty
    version: NonEmpty
    platform: NonEmpty = "IOS"
    """The appStoreVersion's platform: IOS, MAC_OS, TV_OS or VISION_OS."""
    base_url: str = APP_STORE_BASE_URL
    """Only tests point this elsewhere (a fake on 127.0.0.1)."""

    @field_validator("base_url")
    @classmethod
    def _url(cls, value: str) -> str:
        return _base_url(value)


T = TypeVar("T", bound="TargetModel")


def _problem(error: Any) -> str:
    where = ""
    for part in error["loc"]:
        where += f"[{part}]" if isinstance(part, int) else f".{part}" if where else str(part)
    kind = error["type"]
    if kind == "extra_forbidden":
        text = "unknown field"
    elif kind == "missing":
        text = "required field is missing"
    elif kind == "value_error":
        text = str((error.get("ctx") or {}).get("error", error["msg"]))
    else:
        text = str(error["msg"])
    return f"{where or '(target)'}: {text}"


def parse_target(model: type[T], raw: str | None) -> T:
    """The target from its JSON, or TargetError naming the field at fault."""
    try:
        data = json_object_from_env(TARGET_ENV, raw, "the rollout target")
    except UsageError as error:
        raise TargetError(str(error)) from None
    try:
        return model.model_validate(data)
    except ValidationError as error:
        problems = "; ".join(_problem(e) for e in error.errors())
        raise TargetError(f"{TARGET_ENV}: {problems}") from None
