"""ReleasePolicies and namespace labels: a cache the reconciler and the webhook judge by.

Both are cluster-scoped and watched cluster-wide (docs/policies.md,
"Enforcement"). Fail closed: until the policies have been listed once, and
while any policy cannot be read, ``facts`` says so (``PolicyFacts.unknown``)
and nothing protected may start. The first list is made before the workers
start (``prime``), so a restarted operator never judges a release against
an empty cache; watch events that arrived first win over the list, and a
policy deleted before the list came back stays deleted.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Mapping
from fnmatch import fnmatchcase
from typing import Any

import kopf
from pydantic import ValidationError

from appdeploy.api.policy import POLICY_PLURAL, ReleasePolicy, ReleasePolicySpec
from appdeploy.api.problems import problems_from
from appdeploy.controller.cache import ReleaseCache
from appdeploy.engine.inputs import PolicyFacts
from appdeploy.k8s.labels import GROUP, VERSION

NOT_LISTED = "the ReleasePolicies have not been listed yet"


class PolicyCache:
    """Every ReleasePolicy (parsed, or why not) and the labels of each namespace; any thread."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._policies: dict[str, ReleasePolicy] = {}
        self._unreadable: dict[str, str] = {}
        self._labels: dict[str, dict[str, str]] = {}
        self._seen: set[tuple[str, str]] = set()
        """(kind, name) the watch reported, deletions too: the first list does not override."""
        self._primed = False

    # --- feeding -------------------------------------------------------------------
    def put_policy(self, body: Mapping[str, Any], deleted: bool) -> bool:
        """Record (or forget) a policy from the watch; True when what it says changed."""
        with self._lock:
            return self._put_policy(body, deleted, from_watch=True)

    def put_namespace(self, body: Mapping[str, Any], deleted: bool) -> bool:
        """Record (or forget) a namespace's labels from the watch; True when they changed."""
        with self._lock:
            return self._put_namespace(body, deleted, from_watch=True)

    def prime(
        self, policies: Iterable[Mapping[str, Any]], namespaces: Iterable[Mapping[str, Any]]
    ) -> None:
        """The first full list: what the watch has not reported yet; from now on, facts."""
        with self._lock:
            for body in policies:
                self._put_policy(body, deleted=False, from_watch=False)
            for body in namespaces:
                self._put_namespace(body, deleted=False, from_watch=False)
            self._primed = True

    def _put_policy(self, body: Mapping[str, Any], deleted: bool, from_watch: bool) -> bool:
        metadata = body.get("metadata") or {}
        name = str(metadata.get("name") or "")
        if not from_watch and ("policy", name) in self._seen:
            return False
        if from_watch:
            self._seen.add(("policy", name))
        before = (self._policies.get(name), self._unreadable.get(name))
        self._policies.pop(name, None)
        self._unreadable.pop(name, None)
        if not deleted:
            try:
                spec = ReleasePolicySpec.model_validate(body.get("spec"))
            except ValidationError as error:
                detail = "; ".join(str(problem) for problem in problems_from(error, "spec")[:3])
                self._unreadable[name] = f"ReleasePolicy {name} cannot be read: {detail}"
            else:
                generation = int(metadata.get("generation") or 0)
                self._policies[name] = ReleasePolicy(name, spec, generation)
        return before != (self._policies.get(name), self._unreadable.get(name))

    def _put_namespace(self, body: Mapping[str, Any], deleted: bool, from_watch: bool) -> bool:
        metadata = body.get("metadata") or {}
        name = str(metadata.get("name") or "")
        if not from_watch and ("namespace", name) in self._seen:
            return False
        if from_watch:
            self._seen.add(("namespace", name))
        before = self._labels.pop(name, None)
        if not deleted:
            self._labels[name] = {str(k): str(v) for k, v in (metadata.get("labels") or {}).items()}
        return before != self._labels.get(name)

    # --- reading -------------------------------------------------------------------
    def facts(
        self,
        namespace: str,
        app: str,
        read_namespace: Callable[[str], Mapping[str, Any] | None] | None = None,
    ) -> PolicyFacts:
        """The policies in force for release ``app`` of ``namespace``, or why they are unknown.

        ``read_namespace`` GETs a namespace the watch has not reported yet.
        """
        with self._lock:
            labels = self._labels.get(namespace)
        if labels is None and read_namespace is not None:
            body = read_namespace(namespace)
            if body is not None:
                self.put_namespace(body, deleted=False)
                with self._lock:
                    labels = self._labels.get(namespace)
        with self._lock:
            if not self._primed:
                return PolicyFacts(unknown=NOT_LISTED)
            if self._unreadable:
                return PolicyFacts(unknown="; ".join(sorted(self._unreadable.values())))
            if labels is None:
                return PolicyFacts(unknown=f"the labels of namespace {namespace} are not known")
            policies = sorted(self._policies.values(), key=lambda policy: policy.name)
        applicable = tuple(
            policy
            for policy in policies
            if policy.spec.namespace_selector.matches(labels)
            and any(fnmatchcase(app, glob) for glob in policy.spec.apps)
        )
        return PolicyFacts(applicable=applicable)


def register_policy_watch(
    registry: kopf.OperatorRegistry,
    cache: PolicyCache,
    releases: ReleaseCache,
    enqueue: Callable[[str, str], None],
) -> None:
    """Feed ``cache`` from ReleasePolicy and Namespace events; judge again whom they cover."""

    @kopf.on.event(GROUP, VERSION, POLICY_PLURAL, registry=registry)
    def on_policy(event: kopf.RawEvent, **_: Any) -> None:
        if cache.put_policy(event["object"], deleted=event.get("type") == "DELETED"):
            # Any release may be covered now, or no longer: every one is judged again.
            for key in releases.releases():
                enqueue(*key)

    @kopf.on.event("", "v1", "namespaces", registry=registry)
    def on_namespace(event: kopf.RawEvent, name: str, **_: Any) -> None:
        if cache.put_namespace(event["object"], deleted=event.get("type") == "DELETED"):
            for key in releases.releases_in(name):
                enqueue(*key)
