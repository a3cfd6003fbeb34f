"""Following one release through a watch until something holds (as ``kubectl wait`` does)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, Callable
from typing import Any

from appdeploy.console.kube import ApiError, Kube, release_path

GONE = 410


async def changes(kube: Kube, namespace: str, name: str) -> AsyncGenerator[dict[str, Any], None]:
    """The release now, then every version of it as it changes (until it is deleted).

    A watch the server ends is resumed from the last resourceVersion; an expired
    one (410 Gone) starts again from a fresh read.
    """
    body = await kube.request("GET", release_path(namespace, name))
    yield body
    version = str(body["metadata"]["resourceVersion"])
    while True:
        try:
            async for event in kube.watch(
                release_path(namespace),
                {"fieldSelector": f"metadata.name={name}", "resourceVersion": version},
            ):
                kind, obj = event.get("type"), event.get("object") or {}
                if kind == "ERROR":
                    if int(obj.get("code") or 0) == GONE:
                        raise ApiError(GONE, str(obj.get("message") or "expired"))
                    raise ApiError(int(obj.get("code") or 500), str(obj.get("message") or ""))
                version = str((obj.get("metadata") or {}).get("resourceVersion") or version)
                if kind == "BOOKMARK":
                    continue
                if kind == "DELETED":
                    return
                yield obj
        except ApiError as error:
            if error.status != GONE:
                raise
            body = await kube.request("GET", release_path(namespace, name))
            version = str(body["metadata"]["resourceVersion"])
            yield body


async def until(
    kube: Kube,
    namespace: str,
    name: str,
    condition: Callable[[dict[str, Any]], bool],
    timeout: float,
) -> dict[str, Any] | None:
    """The release once ``condition`` holds; None when ``timeout`` seconds pass first."""

    async def first() -> dict[str, Any] | None:
        async for body in changes(kube, namespace, name):
            if condition(body):
                return body
        return None

    try:
        return await asyncio.wait_for(first(), timeout)
    except TimeoutError:
        return None
