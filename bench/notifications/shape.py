"""What each phase of the notifications bench creates: one release shape, one channel per kind.

    build (run, zero-delay pod) ─► qa (gate, 1 approval, notifies the phase's channel)

The baseline phase's gate names no channel, so the same operator, cluster
and shape give the reconcile latency without any delivery beside it. The
mixed phase interleaves both (even releases notify the webhook, odd ones
nothing): a baseline under the very same load at the very same moments. The
gate is the last step: the bench approves it the moment it opens, and the
release succeeds in the status write that records the approval.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from typing import Any

from appdeploy.api.channels import CHANNEL_KIND
from appdeploy.k8s.labels import API_VERSION, KIND
from bench.shape import APP, APPROVER_GROUP, GATE

RUN_STEP = "build"
"""The gate opens when this step's Job completes."""
SIGNING_SECRET = "bench-signing-secret"
SLACK_TOKEN = "xoxb-bench-token"
SLACK_CHANNEL_ID = "C0BENCH"


@dataclass(frozen=True)
class Phase:
    """One batch of releases: a name prefix and the channel (kind) their gates notify."""

    name: str
    channel: str | None
    """None: no channel (the baseline); else "webhook" or "slack", the channel's name too."""
    every: int = 1
    """Every ``every``-th release notifies; the others name no channel. 2 gives a baseline
    at the same moments, under the same load, as the releases whose gates notify."""

    def release_name(self, index: int) -> str:
        return f"{self.name}-{index:03d}"

    def channel_of(self, index: int) -> str | None:
        return self.channel if index % self.every == 0 else None


PHASES = {
    "baseline": Phase("baseline", None),
    "webhook": Phase("webhook", "webhook"),
    "slack": Phase("slack", "slack"),
    "mixed": Phase("mixed", "webhook", every=2),
}


def release_body(name: str, channel: str | None) -> dict[str, Any]:
    """The AppDeployment: a build, then the gate (notifying ``channel`` when given)."""
    gate: dict[str, Any] = {
        "description": "QA checks the build",
        "approvers": {"groups": [APPROVER_GROUP]},
        "required": 1,
    }
    if channel is not None:
        gate["notify"] = {"channels": [channel]}
    build = {
        "name": RUN_STEP,
        "run": {
            "image": f"example.invalid/{RUN_STEP}:1",
            "podMetadata": {"annotations": {"kwok.appdeploy.dev/duration": "0s"}},
        },
    }
    return {
        "apiVersion": API_VERSION,
        "kind": KIND,
        "metadata": {"name": name},
        "spec": {
            "app": APP,
            "version": "4.12.0",
            "steps": [build, {"name": GATE, "needs": [RUN_STEP], "gate": gate}],
        },
    }


def secret_body(name: str, data: dict[str, str]) -> dict[str, Any]:
    encoded = {key: base64.b64encode(value.encode()).decode() for key, value in data.items()}
    return {"metadata": {"name": name}, "data": encoded}


def channel_objects(kind: str, url: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """The NotificationChannel named ``kind`` and its Secret (same name) for a fake at ``url``.

    The webhook is signed, so the sink checks every delivery's signature;
    the Slack channel is named by id, so no conversations.list is needed.
    """
    if kind == "webhook":
        ref = {"name": kind, "key": "url"}
        spec: dict[str, Any] = {
            "webhook": {"urlSecretRef": ref, "signingSecretRef": {"name": kind, "key": "signing"}}
        }
        data = {"url": f"{url}/hook", "signing": SIGNING_SECRET}
    elif kind == "slack":
        token = {"name": kind, "key": "token"}
        spec = {"slack": {"channel": SLACK_CHANNEL_ID, "tokenSecretRef": token, "apiUrl": url}}
        data = {"token": SLACK_TOKEN}
    else:
        raise ValueError(f"no channel kind {kind!r}")
    channel = {
        "apiVersion": API_VERSION,
        "kind": CHANNEL_KIND,
        "metadata": {"name": kind},
        "spec": spec,
    }
    return channel, secret_body(kind, data)
