"""The release every benchmark run creates many copies of.

A small but realistic mobile release: both store builds in parallel (each
emits a build number through its termination message), UI tests once both
are built, a QA gate (one approval), the upload (which uses both build
numbers), and a ``finally`` notification. Pods complete at once (KWOK
duration 0), so every second measured is orchestration, not work.

    build-ios ──┐
                ├─► ui-tests ─► qa (gate) ─► upload      finally: notify
    build-android┘
"""

from __future__ import annotations

import json
from typing import Any

from appdeploy.k8s.labels import API_VERSION, KIND

APP = "shop"
CREATE_CONNECTIONS = 8
"""Releases are created from this many parallel connections, all at once."""
GATE = "qa"
APPROVER_GROUP = "qa"

NEEDS: dict[str, tuple[str, ...]] = {
    "build-ios": (),
    "build-android": (),
    "ui-tests": ("build-ios", "build-android"),
    GATE: ("ui-tests",),
    "upload": (GATE,),
}
FINALLY = ("notify",)
RUN_STEPS = ("build-ios", "build-android", "ui-tests", "upload", *FINALLY)
STEPS_PER_RELEASE = len(NEEDS) + len(FINALLY)
FIRST_STEPS = tuple(step for step, needs in NEEDS.items() if not needs)
AFTER_APPROVAL = tuple(step for step, needs in NEEDS.items() if GATE in needs)

# For each run step started by other Jobs finishing: the run steps whose
# Jobs' completion makes it ready (the latest of them is the trigger). The
# finally step starts when every DAG step is done; in a run that succeeds the
# last of them is the upload, but taking the latest of all keeps that true
# whatever the shape.
JOB_TRIGGERS: dict[str, tuple[str, ...]] = {
    "ui-tests": ("build-ios", "build-android"),
    "notify": tuple(step for step in RUN_STEPS if step not in FINALLY),
}
# The gate opens when this Job completes.
GATE_TRIGGER = "ui-tests"


def release_name(index: int) -> str:
    """Names sort in creation order: shop-000, shop-001, ..."""
    return f"{APP}-{index:03d}"


def _run(name: str, needs: tuple[str, ...] = (), args: tuple[str, ...] = ()) -> dict[str, Any]:
    annotations = {"kwok.appdeploy.dev/duration": "0s"}
    if name.startswith("build-"):
        number = "412" if name.endswith("ios") else "1412"
        annotations["kwok.appdeploy.dev/termination-message"] = json.dumps({"buildNumber": number})
    return {
        "name": name,
        "needs": list(needs),
        "run": {
            "image": f"example.invalid/{name}:1",
            "args": list(args),
            "podMetadata": {"annotations": annotations},
        },
    }


def release_body(name: str) -> dict[str, Any]:
    """The AppDeployment to create."""
    steps = [
        _run("build-ios"),
        _run("build-android"),
        _run("ui-tests", NEEDS["ui-tests"]),
        {
            "name": GATE,
            "needs": list(NEEDS[GATE]),
            "gate": {
                "description": "QA checks build $(steps.build-ios.outputs.buildNumber)",
                "approvers": {"groups": [APPROVER_GROUP]},
                "required": 1,
            },
        },
        _run(
            "upload",
            NEEDS["upload"],
            (
                "$(steps.build-ios.outputs.buildNumber)",
                "$(steps.build-android.outputs.buildNumber)",
            ),
        ),
    ]
    return {
        "apiVersion": API_VERSION,
        "kind": KIND,
        "metadata": {"name": name},
        "spec": {
            "app": APP,
            "version": "4.12.0",
            "steps": steps,
            "finally": [_run("notify", args=("$(run.phase)",))],
        },
    }


def approval_envelope() -> str:
    """An unsigned approval (counted because the operator trusts unverified approvals)."""
    return json.dumps({"user": "alice", "groups": [APPROVER_GROUP], "comment": "bench"})
