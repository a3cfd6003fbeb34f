"""App Store phased releases through the App Store Connect API: read, pause, resume, complete.

The action finds the app's appStoreVersion by its versionString, reads its
appStoreVersionPhasedRelease, and PATCHes ``phasedReleaseState`` only when
the release is not already in the wanted state (``changed: "false"``
otherwise). Which transitions are allowed is Apple's to say: a refused one
comes back as a 409 whose ``errors[]`` detail is reported, not retried.
Apple's schedule (1, 2, 5, 10, 20, 50, 100% by day) and the 30-day pause
budget are the store's; the result carries ``currentDayNumber`` and
``totalPauseDuration`` so the planner can follow them.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Mapping
from typing import Any

import httpx

from appdeploy.providers.client import DEFAULT_TIMEOUT, open_client, retry_after_seconds
from appdeploy.providers.stores.asc_auth import asc_token
from appdeploy.providers.stores.results import (
    StoreError,
    StoreResult,
    call_store,
    error_result,
    flag,
)
from appdeploy.providers.stores.targets import AppStoreTarget

APP_STORE_ACTIONS = ("read", "pause", "resume", "complete")
WANTED_STATE = {"pause": "PAUSED", "resume": "ACTIVE", "complete": "COMPLETE"}
PHASED_RELEASES = "appStoreVersionPhasedReleases"


def asc_error(response: httpx.Response, doing: str) -> StoreError:
    """The StoreError for a non-2xx answer: Apple's ``errors[]`` detail; retryable: 429, 5xx."""
    status = response.status_code
    detail = ""
    try:
        body: Any = response.json()
    except ValueError:
        body = None
    errors = body.get("errors") if isinstance(body, dict) else None
    if isinstance(errors, list) and errors and isinstance(errors[0], dict):
        first = errors[0]
        parts = [str(first.get(key)) for key in ("code", "detail") if first.get(key)]
        detail = ": ".join(parts) or str(first.get("title") or "")
    text = f"App Store Connect {status} on {doing}: {detail or 'no details'}"
    if status == 429:
        limit = response.headers.get("X-Rate-Limit", "")
        return StoreError(
            f"{text}{f' (X-Rate-Limit {limit})' if limit else ''}",
            retryable=True,
            retry_after=retry_after_seconds(response.headers.get("Retry-After")),
        )
    if status >= 500:
        return StoreError(text, retryable=True)
    if status == 401:
        return StoreError(f"{text} (check the API key id, issuer id and .p8 key)", retryable=False)
    return StoreError(text, retryable=False)


class AppStoreConnect:
    """The three calls an action makes, each error translated once."""

    def __init__(self, client: httpx.Client, target: AppStoreTarget) -> None:
        self.client = client
        self.target = target

    def call(self, method: str, path: str, doing: str, **kwargs: Any) -> Any:
        url = f"{self.target.base_url}{path}"
        return call_store(self.client, method, url, doing, asc_error, **kwargs)

    def version_id(self) -> str:
        target = self.target
        body = self.call(
            "GET",
            f"/v1/apps/{target.app_id}/appStoreVersions",
            f"find version {target.version}",
            params={"filter[versionString]": target.version, "filter[platform]": target.platform},
        )
        versions = body.get("data") or []
        if not versions:
            raise StoreError(
                f"app {target.app_id} has no {target.platform} version {target.version!r}",
                retryable=False,
            )
        return str(versions[0]["id"])

    def phased_release(self, version_id: str) -> dict[str, Any]:
        body = self.call(
            "GET",
            f"/v1/appStoreVersions/{version_id}/appStoreVersionPhasedRelease",
            f"read the phased release of version {self.target.version}",
        )
        data = body.get("data")
        if not isinstance(data, dict):
            raise StoreError(
                f"version {self.target.version} has no phased release (it was released to "
                "everyone at once, or phased release was not chosen)",
                retryable=False,
            )
        return data

    def set_state(self, release_id: str, state: str) -> dict[str, Any]:
        body = {
            "data": {
                "type": PHASED_RELEASES,
                "id": release_id,
                "attributes": {"phasedReleaseState": state},
            }
        }
        answer = self.call(
            "PATCH",
            f"/v1/{PHASED_RELEASES}/{release_id}",
            f"set the phased release {state}",
            json=body,
        )
        data = answer.get("data")
        if not isinstance(data, dict):
            raise StoreError(
                "App Store Connect answered the change without the release", retryable=True
            )
        return data


def phased_result(release: dict[str, Any], *, changed: bool) -> StoreResult:
    """The termination message: the phased release's attributes as strings."""
    attributes = release.get("attributes") or {}
    answer = {"phasedReleaseState": str(attributes.get("phasedReleaseState") or "")}
    for name in ("currentDayNumber", "totalPauseDuration", "startDate"):
        value = attributes.get(name)
        if value is not None:
            answer[name] = str(value)
    answer["changed"] = flag(changed)
    return answer


def run_app_store_action(
    action: str,
    target: AppStoreTarget,
    *,
    environ: Mapping[str, str] | None = None,
    client_factory: Callable[[], httpx.Client] | None = None,
) -> StoreResult:
    """Carry out ``action`` on the version's phased release; a StoreError becomes the result."""
    env = os.environ if environ is None else environ
    try:
        token = asc_token(env, time.time())
        with (client_factory or (lambda: open_client(DEFAULT_TIMEOUT)))() as client:
            client.headers["Authorization"] = f"Bearer {token}"
            store = AppStoreConnect(client, target)
            release = store.phased_release(store.version_id())
            state = (release.get("attributes") or {}).get("phasedReleaseState")
            wanted = WANTED_STATE.get(action)
            if wanted is None or state == wanted:
                return phased_result(release, changed=False)
            return phased_result(store.set_state(str(release["id"]), wanted), changed=True)
    except StoreError as error:
        return error_result(error)
