"""Attributed changes: the webhook signs who wrote a spec; the operator believes only that."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest

from appdeploy.admission.attribution import Caller, ClaimRefused, spec_author_patch
from appdeploy.admission.configurations import webhook_configurations
from appdeploy.api.spec_hash import spec_hash
from appdeploy.engine import Observed, Release, plan
from appdeploy.engine.attribution import NO_ANNOTATION, OTHER_SPEC, run_author
from appdeploy.engine.inputs import ObservedAuthor
from appdeploy.k8s.attribution import MISMATCH, NO_KEY, read_author
from appdeploy.k8s.labels import SPEC_AUTHOR_ANNOTATION

KEY = b"k" * 32
NOW = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)
ALICE = Caller("alice", ("dev",))
SPEC = {
    "app": "shop",
    "version": "1.0.0",
    "steps": [{"name": "build", "run": {"image": "busybox"}}],
}


def body(
    spec: dict[str, Any] = SPEC, generation: int = 1, author: str | None = None, name: str = "rel"
) -> dict[str, Any]:
    annotations = {} if author is None else {SPEC_AUTHOR_ANNOTATION: author}
    return {
        "metadata": {
            "name": name,
            "namespace": "shop",
            "generation": generation,
            "annotations": annotations,
        },
        "spec": spec,
    }


def signed(old: dict[str, Any] | None, new: dict[str, Any], caller: Caller = ALICE) -> str:
    patch = spec_author_patch(old, new, caller, key=KEY, now=NOW)
    value = patch[SPEC_AUTHOR_ANNOTATION]
    assert value is not None
    return value


def stored(
    old: dict[str, Any] | None, new: dict[str, Any], caller: Caller = ALICE
) -> dict[str, Any]:
    """``new`` as the API server stores it: the webhook's claim, the generation it predicted."""
    generation = 1 if old is None else old["metadata"]["generation"] + 1
    return body(new["spec"], generation, signed(old, new, caller), new["metadata"]["name"])


def test_a_created_spec_is_attributed_to_its_authenticated_author() -> None:
    release = stored(None, body(author='{"user": "ceo"}'))
    claim = json.loads(release["metadata"]["annotations"][SPEC_AUTHOR_ANNOTATION])
    assert (claim["user"], claim["groups"], claim["specHash"], claim["generation"]) == (
        "alice",
        ["dev"],
        spec_hash(SPEC),
        1,
    )
    author = read_author(release, KEY)
    assert author is not None and author.verified and author.user == "alice"
    assert run_author(author, SPEC) == ("alice", spec_hash(SPEC))


def test_a_spec_change_is_signed_for_the_next_generation_and_its_new_author() -> None:
    first = stored(None, body())
    changed = {**SPEC, "version": "1.0.1"}
    second = stored(first, body(changed, generation=1, author=_author(first)), Caller("bob", ()))
    author = read_author(second, KEY)
    assert author is not None and (author.user, author.verified) == ("bob", True)
    assert run_author(author, changed) == ("bob", spec_hash(changed))


def test_setting_or_changing_the_annotation_without_a_spec_change_is_refused() -> None:
    release = stored(None, body())
    forged = body(author=json.dumps({"user": "ceo", "signature": "0" * 64}))
    with pytest.raises(ClaimRefused, match="only the admission webhook writes it") as refused:
        spec_author_patch(release, forged, Caller("mallory", ()), key=KEY, now=NOW)
    assert "mallory may not set or change it" in str(refused.value)
    unattributed = body()
    unattributed["metadata"]["annotations"] = {}
    with pytest.raises(ClaimRefused):
        spec_author_patch(unattributed, forged, Caller("mallory", ()), key=KEY, now=NOW)


def test_a_whole_object_replace_that_drops_the_annotation_gets_it_back() -> None:
    release = stored(None, body())
    dropped = body()
    patch = spec_author_patch(release, dropped, Caller("argocd", ()), key=KEY, now=NOW)
    assert patch == {SPEC_AUTHOR_ANNOTATION: _author(release)}
    assert spec_author_patch(release, release, Caller("argocd", ()), key=KEY, now=NOW) == {}


def test_an_altered_claim_is_read_as_not_matching_its_signature() -> None:
    release = stored(None, body())
    claim = json.loads(_author(release))
    claim["user"] = "ceo"
    tampered = body(author=json.dumps(claim))
    author = read_author(tampered, KEY)
    assert author is not None and not author.verified and author.problem == MISMATCH
    assert run_author(author, SPEC)[0] == "unattributed: the signature does not match"


def test_a_claim_copied_to_another_release_does_not_verify() -> None:
    copied = body(author=_author(stored(None, body())), name="other")
    author = read_author(copied, KEY)
    assert author is not None and author.problem == MISMATCH


def test_a_claim_for_an_earlier_generation_is_for_another_spec() -> None:
    # The webhook was down when the spec changed: the old claim stays, for generation 1.
    release = stored(None, body())
    later = body({**SPEC, "version": "2.0.0"}, generation=2, author=_author(release))
    author = read_author(later, KEY)
    assert author is not None and not author.verified
    assert run_author(author, later["spec"])[0] == (
        "unattributed: signed for another spec (generation 1; the release is at generation 2)"
    )


def test_a_verified_claim_for_another_hash_attributes_nothing() -> None:
    author = ObservedAuthor("alice", (), spec_hash="sha256:other", verified=True)
    assert run_author(author, SPEC) == (OTHER_SPEC, spec_hash(SPEC))


def test_without_the_webhook_an_unsigned_or_absent_annotation_is_unattributed() -> None:
    assert run_author(read_author(body(), KEY), SPEC) == (NO_ANNOTATION, spec_hash(SPEC))
    claimed = read_author(body(author='{"user": "alice", "specHash": "x"}'), KEY)
    assert claimed is not None and not claimed.verified
    assert run_author(claimed, SPEC)[0] == NO_ANNOTATION
    assert run_author(read_author(body(author="alice"), KEY), SPEC)[0] == NO_ANNOTATION
    no_key = read_author(stored(None, body()), None)
    assert no_key is not None and no_key.problem == NO_KEY


def test_each_run_records_its_author_and_history_keeps_the_previous_one() -> None:
    first = stored(None, body())
    plan1 = plan(_release(first), Observed(author=read_author(first, KEY)), NOW)
    assert (plan1.status.author, plan1.status.spec_hash) == ("alice", spec_hash(SPEC))
    first["status"] = plan1.status.model_dump(mode="json", by_alias=True, exclude_none=True)
    first["status"]["policies"] = [{"policy": "store", "enforcement": "Deny", "outcome": "Passed"}]
    changed = {**SPEC, "version": "1.0.1"}
    second = stored(first, {**first, "spec": changed}, Caller("bob", ()))
    second["status"] = first["status"]
    plan2 = plan(_release(second), Observed(author=read_author(second, KEY)), NOW)
    assert (plan2.status.author, plan2.status.run) == ("bob", 2)
    [entry] = plan2.status.history
    assert (entry.run, entry.author, entry.spec_hash) == (1, "alice", spec_hash(SPEC))
    assert [p.policy for p in entry.policies] == ["store"]


def _author(release: dict[str, Any]) -> str:
    return str(release["metadata"]["annotations"][SPEC_AUTHOR_ANNOTATION])


def _release(raw: dict[str, Any]) -> Release:
    metadata = raw["metadata"]
    return Release(
        metadata["name"],
        metadata["namespace"],
        metadata["generation"],
        raw["spec"],
        raw.get("status"),
    )


def test_the_spec_hook_fails_open_and_the_break_glass_hook_fails_closed() -> None:
    mutating, _ = webhook_configurations("Q0E=", base_url="https://127.0.0.1:9443")
    hooks = {hook["name"]: hook for hook in mutating["webhooks"]}
    spec, glass = hooks["sign-spec.appdeploy.dev"], hooks["sign-break-glass.appdeploy.dev"]
    assert (spec["failurePolicy"], glass["failurePolicy"]) == ("Ignore", "Fail")
    # Which requests match is evaluated by the real API server (test_spec_attribution.py).
    assert "object.spec != oldObject.spec" in spec["matchConditions"][0]["expression"]
    assert SPEC_AUTHOR_ANNOTATION in spec["matchConditions"][0]["expression"]
    assert "appdeploy.dev/break-glass" in glass["matchConditions"][0]["expression"]


def test_a_spec_change_before_the_key_is_loaded_goes_in_unattributed() -> None:
    release = stored(None, body())
    changed = body({**SPEC, "version": "2"}, author=_author(release))
    patch = spec_author_patch(release, changed, ALICE, key=None, now=NOW)
    assert patch == {SPEC_AUTHOR_ANNOTATION: None}, "nothing unsigned is left to be believed"
    assert spec_author_patch(None, body(), ALICE, key=None, now=NOW) == {}
    with pytest.raises(ClaimRefused):  # a forgery needs no key to be refused
        spec_author_patch(release, body(author="ceo"), ALICE, key=None, now=NOW)
