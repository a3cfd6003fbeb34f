"""Handlers of the cluster commands (imported only when one runs)."""

from __future__ import annotations

import argparse
import itertools
from datetime import UTC, datetime
from typing import Any

from kubernetes import client, watch
from kubernetes.client.exceptions import ApiException

from appdeploy.api.naming import job_name_for
from appdeploy.api.status import Phase
from appdeploy.api.stored import read_release
from appdeploy.cli.attestation import AttestError, parse_attest
from appdeploy.cli.break_glass import break_glass
from appdeploy.cli.exit_codes import INVALID, OK
from appdeploy.cli.kube import connect
from appdeploy.cli.release_actions import (
    ActionError,
    ReleaseClient,
    api_reason,
    decide,
    request,
)
from appdeploy.cli.release_view import list_rows, status_text
from appdeploy.engine import DecisionKind
from appdeploy.k8s.labels import GROUP, PLURAL, STEP_CONTAINER, VERSION

__all__ = ["ActionError"]
WAITING_ON_PEOPLE = 3


def _release(args: argparse.Namespace) -> ReleaseClient:
    connection = connect(args)
    return ReleaseClient(connection.api_client, connection.namespace, args.name)


def run_list(args: argparse.Namespace) -> int:
    connection = connect(args)
    custom = client.CustomObjectsApi(connection.api_client)
    found: Any
    try:
        if args.all_namespaces:
            found = custom.list_cluster_custom_object(GROUP, VERSION, PLURAL)
        else:
            found = custom.list_namespaced_custom_object(
                GROUP, VERSION, connection.namespace, PLURAL
            )
    except ApiException as error:
        raise ActionError(api_reason(error)) from None
    items = found.get("items") or []
    if not items:
        where = "any namespace" if args.all_namespaces else f"namespace {connection.namespace}"
        print(f"no AppDeployments in {where}")
        return OK
    print(list_rows(items))
    return OK


def run_status(args: argparse.Namespace) -> int:
    print(status_text(_release(args).get(), datetime.now(UTC)))
    return OK


def run_watch(args: argparse.Namespace) -> int:
    release = _release(args)
    body = release.get()
    seen: dict[str, str] = {}
    last_message = ""
    stream = watch.Watch().stream(  # type: ignore[no-untyped-call]
        release.custom.list_namespaced_custom_object,
        GROUP,
        VERSION,
        release.namespace,
        PLURAL,
        field_selector=f"metadata.name={release.name}",
        timeout_seconds=int(args.timeout) or None,
    )
    for event in itertools.chain([{"object": body}], stream):
        _, status = read_release(event["object"])
        for step in status.steps:
            if seen.get(step.name) != step.phase:
                seen[step.name] = step.phase
                stamp = datetime.now(UTC).strftime("%H:%M:%S")
                print(
                    f"{stamp}  {step.name:<24} {step.phase}"
                    + (f"  {step.message}" if step.message else ""),
                    flush=True,
                )
        if status.message != last_message:
            last_message = status.message
            print(f"          {status.phase}: {status.message}", flush=True)
        if status.phase is Phase.SUCCEEDED:
            return OK
        if status.phase in (Phase.FAILED, Phase.CANCELLED, Phase.INVALID):
            return INVALID
        if status.phase is Phase.AWAITING_APPROVAL:
            return WAITING_ON_PEOPLE
    raise ActionError(f"still {last_message or 'running'} after {args.timeout:g}s")


def run_approve(args: argparse.Namespace) -> int:
    try:
        attest = parse_attest(args.attest or [])
    except AttestError as error:
        raise ActionError(str(error)) from None
    outcome = decide(
        _release(args),
        DecisionKind.APPROVE,
        args.gate,
        args.message,
        wait=args.wait,
        attest=attest,
        tell=lambda line: print(line, flush=True),
    )
    print(outcome)
    return OK


def run_reject(args: argparse.Namespace) -> int:
    print(decide(_release(args), DecisionKind.REJECT, args.gate, args.message, wait=args.wait))
    return OK


def run_retry(args: argparse.Namespace) -> int:
    print(request(_release(args), "retry", "failed" if args.failed else args.step, args.wait))
    return OK


def run_cancel(args: argparse.Namespace) -> int:
    print(request(_release(args), "cancel", args.message, args.wait))
    return OK


def run_break_glass(args: argparse.Namespace) -> int:
    print(break_glass(_release(args), args.reason))
    return OK


def run_logs(args: argparse.Namespace) -> int:
    release = _release(args)
    body = release.get()
    _, status = read_release(body)
    try:
        step = status.step(args.step)
    except KeyError:
        names = ", ".join(s.name for s in status.steps) or "none yet"
        raise ActionError(f"no step {args.step} in the current run (steps: {names})") from None
    if args.attempt is None and step.job is None:
        raise ActionError(f"{args.step} has not started a Job yet ({step.phase})")
    job = (
        step.job
        if args.attempt is None
        else job_name_for(release.name, args.step, status.run or 0, args.attempt)
    )
    listed = release.core.list_namespaced_pod(
        release.namespace, label_selector=f"batch.kubernetes.io/job-name={job}"
    )
    plain = release.api_client.sanitize_for_serialization(listed)  # type: ignore[no-untyped-call]
    pods: list[dict[str, Any]] = plain.get("items") or []
    if not pods:
        raise ActionError(
            f"no pod of Job {job}: finished Jobs are deleted after the operator's --job-ttl "
            f"(24h by default); the step's message and outputs stay in status"
        )
    newest = max(pods, key=lambda p: str(p["metadata"].get("creationTimestamp")))
    pod = str(newest["metadata"]["name"])
    try:
        text = release.core.read_namespaced_pod_log(
            pod, release.namespace, container=STEP_CONTAINER
        )
    except ApiException as error:
        raise ActionError(f"cannot read the logs of pod {pod}: {api_reason(error)}") from None
    print(text, end="" if text.endswith("\n") else "\n")
    return OK
