"""The releases list: GET /releases?namespace=NS as a browser would, and the API list alone.

Each round times, one after the other on the same loopback and the same
busy machine: the console's page (request sent → last byte received, by an
httpx client in this process), then the API server's list of the same
releases as the same person (the console's own ``local_cluster`` client, so
the same TLS connection pool and impersonation headers), then, in this
process, decoding that list and the pure views the page is built from
(``release_rows`` and ``gates_for``, i.e. "Waiting on me"). The console's
own share is its page time minus the API list.
"""

from __future__ import annotations

import json
import re
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

from appdeploy.console.kube import local_cluster, release_path
from appdeploy.console.person import Person
from appdeploy.console.releases_view import filtered, gates_for, release_rows

GATES_SECTION = re.compile(r'id="waiting-on-me".*?</section>', re.DOTALL)
PAGE_TIMEOUT = 120.0


@dataclass
class ListRun:
    """What the list rounds measured (seconds; sizes in bytes)."""

    requests: int
    first_page: float
    """The first GET, not counted below: the person's SelfSubjectReview, templates compiled."""
    page: list[float] = field(default_factory=list)
    api_list: list[float] = field(default_factory=list)
    decode: list[float] = field(default_factory=list)
    rows_view: list[float] = field(default_factory=list)
    """``release_rows`` (and the empty filters) over the decoded list."""
    gates_view: list[float] = field(default_factory=list)
    """``gates_for``: which of the waiting gates the person may decide now."""
    page_bytes: int = 0
    list_bytes: int = 0
    rows: int = 0
    waiting_on_me: int = 0


def page_counts(html: str) -> tuple[int, int]:
    """The releases list page's (rows, gates under "Waiting on me")."""
    section = GATES_SECTION.search(html)
    return html.count('<tr data-release="'), section.group(0).count("<li>") if section else 0


async def measure(
    console_url: str, kubeconfig: Path, namespace: str, person: Person, requests: int
) -> ListRun:
    """``requests`` rounds after one uncounted first page; RuntimeError if a page is short."""
    url = f"{console_url}/releases"
    params = {"namespace": namespace}
    cluster = local_cluster(str(kubeconfig), None, person.user, list(person.groups))
    headers = [*cluster.credentials(None).headers, ("Accept", "application/json")]
    limits = httpx.Timeout(PAGE_TIMEOUT)
    async with httpx.AsyncClient(timeout=limits, trust_env=False) as browser:
        began = time.perf_counter()
        first = await browser.get(url, params=params)
        first.raise_for_status()
        run = ListRun(requests=requests, first_page=time.perf_counter() - began)
        try:
            for _ in range(requests):
                began = time.perf_counter()
                page = await browser.get(url, params=params)
                run.page.append(time.perf_counter() - began)
                page.raise_for_status()
                began = time.perf_counter()
                listed = await cluster.http.get(release_path(namespace), headers=headers)
                run.api_list.append(time.perf_counter() - began)
                listed.raise_for_status()
                items = _decoded(listed.content, run)
                _views(items, person, run)
                run.page_bytes, run.list_bytes = len(page.content), len(listed.content)
                _check(page.text, len(items), run)
        finally:
            await cluster.close()
    return run


def _decoded(content: bytes, run: ListRun) -> list[dict[str, Any]]:
    began = time.perf_counter()
    items: list[dict[str, Any]] = json.loads(content).get("items") or []
    run.decode.append(time.perf_counter() - began)
    return items


def _views(items: list[dict[str, Any]], person: Person, run: ListRun) -> None:
    moment = datetime.now(UTC).replace(microsecond=0)
    began = time.perf_counter()
    filtered(release_rows(items, moment), "", "")
    rows = time.perf_counter()
    gates_for(items, person, moment)
    run.rows_view.append(rows - began)
    run.gates_view.append(time.perf_counter() - rows)


def _check(html: str, releases: int, run: ListRun) -> None:
    """The page must show every release and every gate, or the figures measure nothing."""
    run.rows, run.waiting_on_me = page_counts(html)
    if run.rows != releases or run.waiting_on_me != releases:
        raise RuntimeError(
            f"the list page shows {run.rows} releases and {run.waiting_on_me} gates under "
            f"'Waiting on me'; the namespace holds {releases} releases, each waiting on qa"
        )
