"""The demo's variant of ``examples/shop-ios-android.yaml``, derived in code (pure).

The example is the realistic release a team would commit: builds that take
an hour, soaks of one and two days. The demo must play it in about a minute
on a KWOK node where no container runs, so it derives a variant instead of
keeping a second copy of the YAML that would drift from the example:

- soak waits are shortened (one demo second per 8 hours of soak);
- a gate's hand-off schedule is shortened too (one demo second per hour:
  ``remind.every: 4h`` reminds every 4 s, escalation after 12, 24, 36 s), so
  a reminder goes out while the QA gate waits; the operator then runs with
  ``--min-reminder-interval 1s``. Deadlines stay as the example has them
  (and with them ``beforeDeadline`` and ``extendDeadline``, which count from
  the deadline): a person approving by hand needs minutes, not seconds;
- every run step's pod gets ``kwok.appdeploy.dev/duration`` (1-3 s) so that
  progress is visible, and the steps whose outputs are referenced downstream
  get a ``kwok.appdeploy.dev/termination-message`` with demo values, so that
  ``$(steps.build-ios.outputs.buildNumber)`` resolves as with a real builder.

Everything else (the DAG, gates, approvers, Secrets referenced by name,
service accounts, node selectors) is the example's. The function also lists
what the cluster must hold for the example to run, because creating it is
the demo's job, not the example's.
"""

from __future__ import annotations

import copy
import json
import re
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import yaml

from appdeploy.api.durations import format_duration, parse_duration
from appdeploy.api.spec import AppDeploymentSpec
from appdeploy.api.validation import parse_spec

REPO = Path(__file__).resolve().parent.parent
EXAMPLE = REPO / "examples" / "shop-ios-android.yaml"
CRD = REPO / "crds" / "appdeployments.appdeploy.dev.yaml"

HOURS_PER_DEMO_SECOND = 8
HANDOFF_HOURS_PER_DEMO_SECOND = 1
MIN_REMINDER_INTERVAL = "1s"
"""The operator's ``--min-reminder-interval`` in the demo (the shortest shortened remind.every)."""
DURATION_ANNOTATION = "kwok.appdeploy.dev/duration"
OUTPUT_ANNOTATION = "kwok.appdeploy.dev/termination-message"

# How long each kind of step's pod "runs" (by step name prefix): long enough
# to see the builds and tests in flight, short enough for a one-minute demo.
POD_SECONDS = (("build-", 3), ("ui-tests-", 3), ("sign-", 2), ("security-", 2), ("upload-", 2))
DEFAULT_POD_SECONDS = 1

# Values the simulated builders report; anything else referenced gets "demo".
DEMO_OUTPUTS = {"buildNumber": "412", "versionCode": "4120"}
OUTPUT_REFERENCE = re.compile(r"\$\(steps\.([a-z0-9-]+)\.outputs\.([A-Za-z0-9_.-]+)\)")

PLACEHOLDER = "demo-not-a-real-secret"


@dataclass(frozen=True)
class DemoRelease:
    """The manifest to apply, and what the cluster needs before it can run."""

    manifest: dict[str, Any]
    spec: AppDeploymentSpec
    service_accounts: tuple[str, ...]
    secrets: dict[str, dict[str, str]]
    """Secret name -> string data with dummy values for every key referenced."""
    node_labels: dict[str, str]
    """Labels the steps' nodeSelectors ask for (the KWOK node must carry them)."""
    shortened: dict[str, tuple[str, str]] = field(default_factory=dict)
    """Wait step -> (example duration, demo duration)."""
    outputs: dict[str, dict[str, str]] = field(default_factory=dict)
    """Step -> outputs its simulated pod reports."""
    handoffs: dict[str, dict[str, tuple[str, str]]] = field(default_factory=dict)
    """Gate -> {field: (example duration, demo duration)} of its hand-off schedule."""

    @property
    def name(self) -> str:
        return str(self.manifest["metadata"]["name"])

    @property
    def namespace(self) -> str:
        return str(self.manifest["metadata"]["namespace"])


def load_example(path: Path = EXAMPLE) -> dict[str, Any]:
    """The example AppDeployment as a dict."""
    document = yaml.safe_load(path.read_text())
    if not isinstance(document, dict) or document.get("kind") != "AppDeployment":
        raise ValueError(f"{path}: expected one AppDeployment document")
    return document


def demo_seconds(duration: str, hours_per_second: int = HOURS_PER_DEMO_SECOND) -> str:
    """``24h`` -> ``3s``: one demo second per 8 hours (or ``hours_per_second``), at least 1 s."""
    hours = parse_duration(duration) / timedelta(hours=1)
    return format_duration(timedelta(seconds=max(1, round(hours / hours_per_second))))


def shorten_handoffs(step: dict[str, Any]) -> dict[str, tuple[str, str]]:
    """Shorten a gate's reminder interval and escalation moments in place; what changed.

    Both count from the gate's opening. What counts from the deadline stays.
    """
    notify = (step.get("gate") or {}).get("notify") or {}
    changed: dict[str, tuple[str, str]] = {}
    remind = notify.get("remind") or {}
    if "every" in remind:
        before = remind["every"]
        remind["every"] = demo_seconds(before, HANDOFF_HOURS_PER_DEMO_SECOND)
        changed["remind.every"] = (before, remind["every"])
    for number, level in enumerate(notify.get("escalate") or [], start=1):
        before = level["after"]
        level["after"] = demo_seconds(before, HANDOFF_HOURS_PER_DEMO_SECOND)
        changed[f"escalate[{number}].after"] = (before, level["after"])
    return changed


def pod_seconds(step_name: str) -> int:
    """How long the step's simulated pod runs."""
    return next(
        (s for prefix, s in POD_SECONDS if step_name.startswith(prefix)), DEFAULT_POD_SECONDS
    )


def referenced_outputs(spec: dict[str, Any]) -> dict[str, dict[str, str]]:
    """Step -> {output: demo value} for every ``$(steps.X.outputs.Y)`` in the spec."""
    found: dict[str, dict[str, str]] = {}
    for step, output in OUTPUT_REFERENCE.findall(json.dumps(spec)):
        found.setdefault(step, {})[output] = DEMO_OUTPUTS.get(output, "demo")
    return found


def _run_steps(spec: dict[str, Any]) -> list[dict[str, Any]]:
    steps = [*spec.get("steps", []), *spec.get("finally", [])]
    return [step for step in steps if "run" in step]


def _secret_references(run: dict[str, Any]) -> list[tuple[str, str | None]]:
    """(secret, key or None for the whole Secret) referenced by a run step."""
    found: list[tuple[str, str | None]] = []
    for source in run.get("envFrom", []):
        if "secretRef" in source:
            found.append((source["secretRef"]["name"], None))
    for variable in run.get("env", []):
        ref = (variable.get("valueFrom") or {}).get("secretKeyRef")
        if ref:
            found.append((ref["name"], ref["key"]))
    return found


def demo_release(example: dict[str, Any]) -> DemoRelease:
    """Derive the demo variant of ``example`` and what the cluster must hold for it."""
    manifest = copy.deepcopy(example)
    spec = manifest["spec"]
    outputs = referenced_outputs(spec)

    shortened: dict[str, tuple[str, str]] = {}
    handoffs: dict[str, dict[str, tuple[str, str]]] = {}
    for step in [*spec.get("steps", []), *spec.get("finally", [])]:
        if "wait" in step:
            before = step["wait"]["duration"]
            step["wait"]["duration"] = demo_seconds(before)
            shortened[step["name"]] = (before, step["wait"]["duration"])
        changed = shorten_handoffs(step)
        if changed:
            handoffs[step["name"]] = changed

    service_accounts = [spec["serviceAccountName"]] if spec.get("serviceAccountName") else []
    secrets: dict[str, dict[str, str]] = {}
    node_labels: dict[str, str] = {}
    for step in _run_steps(spec):
        run = step["run"]
        annotations = run.setdefault("podMetadata", {}).setdefault("annotations", {})
        annotations[DURATION_ANNOTATION] = f"{pod_seconds(step['name'])}s"
        if step["name"] in outputs:
            annotations[OUTPUT_ANNOTATION] = json.dumps(
                outputs[step["name"]], separators=(",", ":")
            )
        account = run.get("serviceAccountName")
        if account and account not in service_accounts:
            service_accounts.append(account)
        for secret, key in _secret_references(run):
            data = secrets.setdefault(secret, {})
            data[key or "DEMO_PLACEHOLDER"] = PLACEHOLDER
        node_labels.update(run.get("nodeSelector") or {})

    labels = manifest["metadata"].setdefault("labels", {})
    labels["app.kubernetes.io/part-of"] = "appdeploy-demo"
    return DemoRelease(
        manifest=manifest,
        # Fails here, with the field named, if the derivation ever breaks the spec.
        spec=parse_spec(spec, remind_floor=parse_duration(MIN_REMINDER_INTERVAL)),
        service_accounts=tuple(service_accounts),
        secrets=secrets,
        node_labels=node_labels,
        shortened=shortened,
        outputs=outputs,
        handoffs=handoffs,
    )


def what_changed(release: DemoRelease) -> str:
    """The one line that tells the viewer what differs from the example, and why."""
    soaks = sorted({(before, after) for before, after in release.shortened.values()})
    soak_text = ", ".join(f"{before} -> {after}" for before, after in soaks)
    produced = "; ".join(
        f"{step} reports " + ", ".join(f"{k}={v}" for k, v in values.items())
        for step, values in release.outputs.items()
    )
    handoff_text = "; ".join(
        f"{gate} {_schedule(changed)}" for gate, changed in release.handoffs.items()
    )
    return (
        f"It's a demo: soaks shortened ({soak_text}) and every run step's simulated pod "
        "finishes after 1-3s (KWOK annotations), so a release that takes days plays in "
        f"about a minute; {produced}. Hand-offs play an hour as a second: {handoff_text} "
        "(deadlines as in the example)."
    )


def _schedule(changed: dict[str, tuple[str, str]]) -> str:
    """``reminds every 4s, escalates after 12s, 24s, 36s``."""
    parts = [f"reminds every {changed['remind.every'][1]}"] if "remind.every" in changed else []
    levels = [after for name, (_, after) in changed.items() if name.startswith("escalate")]
    if levels:
        parts.append(f"escalates after {', '.join(levels)}")
    return ", ".join(parts)
