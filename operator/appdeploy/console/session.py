"""Who a request is from, and what the API server lets them do.

Identity is the API server's (SelfSubjectReview), permissions are RBAC's
(SelfSubjectAccessReview); the console never decides either itself.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from aiohttp import web

from appdeploy.console.kube import Cluster, Kube, NotSignedIn
from appdeploy.console.person import Person
from appdeploy.console.security import Guard
from appdeploy.k8s.labels import GROUP, PLURAL

TOKEN_COOKIE = "appdeploy_token"


@dataclass
class Console:
    """The console's settings and shared parts, one per process."""

    cluster: Cluster
    guard: Guard
    client_auth: bool = False
    """In-cluster mode: every request brings the person's own token."""
    namespace: str = ""
    """The namespace the list opens on (``-n``); empty: every namespace the person may list."""
    people: dict[str, Person] = field(default_factory=dict)
    """Local mode: the one identity, read once."""


CONSOLE: web.AppKey[Console] = web.AppKey("console", Console)


def console_of(request: web.Request) -> Console:
    return request.app[CONSOLE]


def kube_for(request: web.Request) -> Kube:
    """The API as this request's person; NotSignedIn when client mode has no token."""
    console = console_of(request)
    bearer = None
    if console.client_auth:
        header = request.headers.get("Authorization", "")
        if header.lower().startswith("bearer "):
            bearer = header[7:].strip()
        else:
            bearer = request.cookies.get(TOKEN_COOKIE, "").strip()
    return Kube(console.cluster, console.cluster.credentials(bearer))


async def person_of(request: web.Request, kube: Kube) -> Person:
    """The person as the API server authenticates this request's credentials."""
    console = console_of(request)
    if not console.client_auth and "local" in console.people:
        return console.people["local"]
    review = await kube.request(
        "POST",
        "/apis/authentication.k8s.io/v1/selfsubjectreviews",
        body={"apiVersion": "authentication.k8s.io/v1", "kind": "SelfSubjectReview"},
    )
    info = (review.get("status") or {}).get("userInfo") or {}
    person = Person(
        str(info.get("username") or ""), tuple(str(g) for g in info.get("groups") or [])
    )
    if not console.client_auth:
        console.people["local"] = person
    return person


async def may_patch(kube: Kube, namespace: str, name: str) -> tuple[bool, str]:
    """Whether RBAC lets the person annotate this release, and RBAC's reason if not."""
    review = await kube.request(
        "POST",
        "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews",
        body={
            "apiVersion": "authorization.k8s.io/v1",
            "kind": "SelfSubjectAccessReview",
            "spec": {
                "resourceAttributes": {
                    "namespace": namespace,
                    "verb": "patch",
                    "group": GROUP,
                    "resource": PLURAL,
                    "name": name,
                }
            },
        },
    )
    status = review.get("status") or {}
    if status.get("allowed"):
        return True, ""
    reason = str(status.get("reason") or "")
    because = f" ({reason})" if reason else ""
    return False, f"RBAC does not let you patch appdeployments in {namespace}{because}"


__all__ = ["CONSOLE", "Console", "NotSignedIn", "kube_for", "may_patch", "person_of"]
