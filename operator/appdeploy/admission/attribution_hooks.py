"""The attribution hooks as kopf handlers: who wrote each spec, who broke the glass.

The decisions are in ``appdeploy.admission.attribution``; the webhook
configurations (``sign-spec`` fails open, ``sign-break-glass`` fails closed)
in ``appdeploy.admission.configurations``; docs/security.md, "Attributed
changes", and docs/policies.md, "Break-glass".
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

import kopf

from appdeploy.admission.attribution import (
    Caller,
    ClaimRefused,
    break_glass_patch,
    spec_author_patch,
)
from appdeploy.admission.configurations import SIGN_BREAK_GLASS, SIGN_SPEC
from appdeploy.engine.inputs import PolicyFacts
from appdeploy.k8s.labels import GROUP, PLURAL, VERSION

FORBIDDEN, SERVICE_UNAVAILABLE = 403, 503


def register_attribution(
    registry: kopf.OperatorRegistry,
    signing_key: Callable[[], bytes],
    clock: Callable[[], datetime],
    operator_username: Callable[[], str],
    policies: Callable[[str, str], PolicyFacts | None],
) -> None:
    """The attribution hooks: who wrote each spec, who broke the glass (docs/security.md)."""

    @kopf.on.mutate(GROUP, VERSION, PLURAL, id=SIGN_SPEC, registry=registry)
    def sign_spec(
        *,
        body: kopf.Body,
        userinfo: kopf.UserInfo,
        patch: kopf.Patch,
        old: kopf.Body | None = None,
        **_: Any,
    ) -> None:
        caller = Caller(*_caller(userinfo))
        try:
            key: bytes | None = signing_key()
        except KeyError:  # still starting: the spec goes in, its run unattributed
            key = None
        try:
            values = spec_author_patch(_plain(old), _body(body), caller, key=key, now=clock())
        except ClaimRefused as refused:
            raise kopf.AdmissionError(str(refused), code=FORBIDDEN) from None
        _annotate(patch, values)

    @kopf.on.mutate(GROUP, VERSION, PLURAL, id=SIGN_BREAK_GLASS, registry=registry)
    def sign_break_glass(
        *,
        body: kopf.Body,
        userinfo: kopf.UserInfo,
        patch: kopf.Patch,
        old: kopf.Body | None = None,
        warnings: list[str] | None = None,
        **_: Any,
    ) -> None:
        new = _body(body)
        app = new["spec"].get("app")
        try:
            key = signing_key()
        except KeyError:
            raise kopf.AdmissionError(
                "the operator is starting (its signing key is not loaded yet); break the "
                "glass again in a moment",
                code=SERVICE_UNAVAILABLE,
            ) from None
        try:
            values = break_glass_patch(
                _plain(old),
                new,
                Caller(*_caller(userinfo)),
                key=key,
                now=clock(),
                facts=policies(str(body.meta.namespace), str(app or "")),
                operator=operator_username(),
                warnings=warnings,
            )
        except ClaimRefused as refused:
            raise kopf.AdmissionError(str(refused), code=FORBIDDEN) from None
        _annotate(patch, values)


def _caller(userinfo: kopf.UserInfo) -> tuple[str, tuple[str, ...]]:
    username = str(userinfo.get("username") or "")
    return username, tuple(str(group) for group in userinfo.get("groups") or [])


def _annotate(patch: kopf.Patch, values: Mapping[str, str | None]) -> None:
    for key, value in values.items():
        patch.setdefault("metadata", {}).setdefault("annotations", {})[key] = value


def _body(body: kopf.Body) -> dict[str, Any]:
    return {
        "metadata": dict(body.get("metadata") or {}),
        "spec": dict(body.get("spec") or {}),
    }


def _plain(body: kopf.Body | None) -> dict[str, Any] | None:
    return None if body is None else _body(body)
