"""What the reconciler tells the planner about channels, and when a channel is checked."""

from __future__ import annotations

from typing import Any

from appdeploy.controller.channels import ChannelCache, channel_state, named_channels
from appdeploy.engine.inputs import ChannelState


def channel(generation: int = 1, ready: str | None = None, **status: Any) -> dict[str, Any]:
    conditions = []
    if ready is not None:
        reason = "Ready" if ready == "True" else "SecretNotFound"
        message = "" if ready == "True" else "Secret slack not found"
        conditions = [{"type": "Ready", "status": ready, "reason": reason, "message": message}]
    return {
        "metadata": {"name": "qa", "namespace": "ns", "uid": "u", "generation": generation},
        "spec": {"webhook": {"urlSecretRef": {"name": "hook", "key": "url"}}},
        "status": {"conditions": conditions, **status},
    }


def test_every_channel_a_release_names_is_found_in_its_raw_spec() -> None:
    spec = {
        "notify": {"channels": ["releases"]},
        "steps": [
            {"name": "build", "run": {"image": "x"}},
            {
                "name": "qa",
                "gate": {
                    "notify": {
                        "channels": ["mobile-qa"],
                        "escalate": [
                            {"after": "12h", "notify": {"channels": ["qa-leads"]}},
                            {"after": "24h", "extendDeadline": "12h"},
                        ],
                    }
                },
            },
        ],
        "finally": [{"name": "last", "gate": {"notify": {"channels": ["pager"]}}}],
    }
    assert named_channels(spec) == {"releases", "mobile-qa", "qa-leads", "pager"}


def test_a_malformed_spec_names_what_it_can() -> None:
    spec = {"notify": "oops", "steps": ["x", {"gate": {"notify": {"channels": [1, "ok"]}}}]}
    assert named_channels(spec) == {"ok"}
    assert named_channels({}) == set()


def test_the_planner_sees_a_channels_ready_condition() -> None:
    assert channel_state(channel(ready="True")) == ChannelState(ready=True)
    assert channel_state(channel(ready="False")) == ChannelState(
        ready=False, reason="SecretNotFound: Secret slack not found"
    )
    assert not channel_state(channel()).ready  # not checked yet


def test_a_channel_is_checked_when_new_changed_or_its_last_delivery_moved() -> None:
    cache = ChannelCache()
    assert cache.put(channel(), deleted=False) == (True, True)  # new: check it; releases see it
    checked = channel(ready="True", observedGeneration=1)
    assert cache.put(checked, deleted=False) == (False, True)  # our own write: Ready flipped
    assert cache.put(checked, deleted=False) == (False, False)
    delivered = channel(ready="True", observedGeneration=1, lastDelivery={"outcome": "Failed"})
    assert cache.put(delivered, deleted=False) == (True, False)
    edited = channel(generation=2, ready="True", observedGeneration=1)
    assert cache.put(edited, deleted=False)[0]
    assert cache.put(edited, deleted=True) == (False, True)  # gone: its releases look again
    assert cache.get("ns", "qa") is None
