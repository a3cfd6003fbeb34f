"""Google Play staged rollouts through Publishing API v3 edits: read, set-fraction, halt, resume,
complete.

Every action opens an edit, reads the track, and writes only when the
release is not already in the wanted state: then it updates the track and
commits the edit. When nothing changes the edit is deleted and nothing is
committed (``changed: "false"``), so a retried or duplicated Job is harmless.
A halted release is never moved by ``set-fraction`` or ``complete``: only
``resume`` lifts a halt, so a stage advance cannot undo a failed check.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import httpx

from appdeploy.providers.client import DEFAULT_TIMEOUT, open_client
from appdeploy.providers.google_auth import (
    KEY_ENV,
    BadServiceAccount,
    ServiceAccount,
    access_token,
    parse_service_account,
)
from appdeploy.providers.result import ProviderError
from appdeploy.providers.stores.play_errors import play_error
from appdeploy.providers.stores.results import (
    StoreError,
    StoreResult,
    call_store,
    error_result,
    flag,
)
from appdeploy.providers.stores.targets import GooglePlayTarget

PLAY_SCOPE = "https://www.googleapis.com/auth/androidpublisher"
PLAY_ACTIONS = ("read", "set-fraction", "halt", "resume", "complete")

Release = dict[str, Any]


@dataclass(frozen=True)
class Wanted:
    """The release's status and fraction an action wants; ``None`` means "as it is"."""

    status: str
    fraction: float | None


def _fraction(release: Release) -> float | None:
    value = release.get("userFraction")
    return float(value) if isinstance(value, int | float) else None


def _codes(release: Release) -> set[str]:
    return {str(code) for code in release.get("versionCodes") or []}


def _wanted(action: str, release: Release, fraction: float | None) -> Wanted:
    """What ``action`` wants of ``release``, or StoreError when the store's rules forbid it."""
    status = str(release.get("status") or "")
    current = _fraction(release)
    if action == "read":
        return Wanted(status, current)
    if status == "halted" and action in ("set-fraction", "complete"):
        raise StoreError(
            f"the release is halted: {action} does not lift a halt, resume it first",
            retryable=False,
        )
    if action == "set-fraction":
        assert fraction is not None
        if status == "completed":
            if fraction >= 1:
                return Wanted("completed", None)
            raise StoreError(
                "the release is completed (100%): its fraction cannot go down", retryable=False
            )
        if fraction >= 1:
            return Wanted("completed", None)
        if current is not None and status == "inProgress" and fraction < current:
            raise StoreError(
                f"the rollout is at {current:g}: a staged rollout's fraction only goes up",
                retryable=False,
            )
        return Wanted("inProgress", fraction)
    if action == "complete":
        return Wanted("completed", None)
    if action == "halt":
        # The store judges this one: halting anything but a rollout in progress gets
        # its own releaseToHaltNotFound, which is the message people search for.
        return Wanted("halted", current)
    if action == "resume":
        if status not in ("inProgress", "halted"):
            raise StoreError(
                f"cannot resume a {status or 'release without status'} release: only a halted "
                "staged rollout can be resumed",
                retryable=False,
            )
        return Wanted("inProgress", current)
    raise StoreError(f"unknown action {action!r}", retryable=False)


def _is_wanted(release: Release, wanted: Wanted) -> bool:
    if release.get("status") != wanted.status:
        return False
    return wanted.fraction is None or _fraction(release) == wanted.fraction


def _apply(release: Release, wanted: Wanted) -> Release:
    changed = {key: value for key, value in release.items() if key != "userFraction"}
    changed["status"] = wanted.status
    if wanted.status in ("inProgress", "halted") and wanted.fraction is not None:
        changed["userFraction"] = wanted.fraction
    return changed


def release_result(release: Release, *, changed: bool) -> StoreResult:
    """The termination message for ``release``; a completed release reports userFraction 1."""
    status = str(release.get("status") or "")
    fraction = _fraction(release)
    answer = {
        "status": status,
        "versionCodes": ",".join(str(code) for code in release.get("versionCodes") or []),
        "changed": flag(changed),
    }
    if status == "completed":
        answer["userFraction"] = "1"
    elif fraction is not None:
        answer["userFraction"] = f"{fraction:g}"
    return answer


class PlayEdit:
    """One edit of one package: the calls the actions make, each error translated once."""

    def __init__(self, client: httpx.Client, target: GooglePlayTarget) -> None:
        self.client = client
        self.target = target
        self.root = (
            f"{target.base_url}/androidpublisher/v3/applications/{target.package_name}/edits"
        )
        self.edit_id = ""

    def call(self, method: str, url: str, doing: str, **kwargs: Any) -> Any:
        return call_store(self.client, method, url, doing, play_error, **kwargs)

    def open(self) -> None:
        edit = self.call(
            "POST", self.root, f"create an edit of {self.target.package_name}", json={}
        )
        self.edit_id = str(edit.get("id") or "")
        if not self.edit_id:
            raise StoreError("Google Play created an edit without an id", retryable=True)

    def track_url(self) -> str:
        return f"{self.root}/{self.edit_id}/tracks/{self.target.track}"

    def read_track(self) -> dict[str, Any]:
        track: dict[str, Any] = self.call(
            "GET", self.track_url(), f"read track {self.target.track}"
        )
        return track

    def update_track(self, releases: list[Release]) -> dict[str, Any]:
        body = {"track": self.target.track, "releases": releases}
        track: dict[str, Any] = self.call(
            "PUT", self.track_url(), f"update track {self.target.track}", json=body
        )
        return track

    def commit(self) -> None:
        behavior = self.target.changes_in_review_behavior.api_value
        self.call(
            "POST",
            f"{self.root}/{self.edit_id}:commit",
            "commit the edit",
            params={"changesInReviewBehavior": behavior},
        )
        self.edit_id = ""

    def discard(self) -> None:
        """Delete the open edit, if any; best effort (an abandoned edit expires by itself)."""
        if not self.edit_id:
            return
        with contextlib.suppress(httpx.HTTPError):
            self.client.delete(f"{self.root}/{self.edit_id}")
        self.edit_id = ""


def _find_release(track: dict[str, Any], target: GooglePlayTarget) -> int:
    releases = track.get("releases") or []
    wanted = set(target.version_codes)
    for index, release in enumerate(releases):
        if isinstance(release, dict) and _codes(release) == wanted:
            return index
    raise StoreError(
        f"no release with versionCodes {','.join(target.version_codes)} on track "
        f"{target.track} of {target.package_name}",
        retryable=False,
    )


def run_play_action(
    action: str,
    target: GooglePlayTarget,
    fraction: float | None = None,
    *,
    environ: Mapping[str, str] | None = None,
    client_factory: Callable[[], httpx.Client] | None = None,
) -> StoreResult:
    """Carry out ``action`` on the target's release; a failure becomes an error result.

    The token exchange's failures (ProviderError) say whether a retry helps
    just as the Play calls' (StoreError) do.
    """
    env = os.environ if environ is None else environ
    try:
        account = _service_account(env)
        with (client_factory or (lambda: open_client(DEFAULT_TIMEOUT)))() as client:
            token = access_token(client, account, PLAY_SCOPE)
            client.headers["Authorization"] = f"Bearer {token}"
            return _run(PlayEdit(client, target), action, fraction)
    except ProviderError as error:
        return error_result(error)


def _service_account(environ: Mapping[str, str]) -> ServiceAccount:
    try:
        return parse_service_account(environ.get(KEY_ENV, ""), KEY_ENV)
    except BadServiceAccount as error:
        raise StoreError(str(error), retryable=False) from None


def _run(edit: PlayEdit, action: str, fraction: float | None) -> StoreResult:
    edit.open()
    try:
        track = edit.read_track()
        releases: list[Release] = list(track.get("releases") or [])
        index = _find_release(track, edit.target)
        wanted = _wanted(action, releases[index], fraction)
        if _is_wanted(releases[index], wanted):
            return release_result(releases[index], changed=False)
        releases[index] = _apply(releases[index], wanted)
        updated = edit.update_track(releases)
        edit.commit()
        try:
            after = updated["releases"][_find_release(updated, edit.target)]
        except (KeyError, TypeError, StoreError):
            after = releases[index]  # Play answered without it: report what was committed
        return release_result(after, changed=True)
    finally:
        edit.discard()
