"""``python -m demo [--auto-approve]``: the shop iOS + Android release, end to end.

Starts (or reuses) the local control plane, installs the CRDs and what the
example needs, starts fake Slack, webhook, SMTP and PagerDuty providers on
127.0.0.1 and creates the example's NotificationChannels pointed at them,
runs the real operator process with its admission webhooks on 127.0.0.1
(approvals are signed and verified, as in a cluster), applies the demo
variant of ``examples/shop-ios-android.yaml`` and follows it live until it
ends: each step, each approval, and who was told what through which channel.
Exit status: 0 only when the release Succeeded and every notification
reached its provider exactly once, 1 otherwise, 130 on Ctrl-C.
It also runs a web console per person the demo plays (local mode, the
admin kubeconfig with ``--as``/``--as-group``) and prints their URLs, so
each gate can be approved from the browser as its approvers.
The operator and consoles it started are always stopped and its webhook
configurations removed; the cluster keeps running (for poking at it
afterwards) unless ``--stop-cluster``.
"""

from __future__ import annotations

import argparse
import signal
import sys
import time
from pathlib import Path
from typing import Any

from kubernetes.client.exceptions import ApiException
from tests.cluster.clients import admin_client
from tests.cluster.errors import ClusterError
from tests.cluster.operator import OperatorProcess
from tests.cluster.wait import WaitTimeout
from urllib3.exceptions import HTTPError

from demo.approvers import PERSONAS, approver_groups
from demo.channels import DemoChannels, demo_channels, load_channels, slack_conversations
from demo.cluster import ClusterHandle, running_cluster, start_cluster, stop_cluster
from demo.consoles import DemoConsoles, cast
from demo.install import (
    create_release,
    delete_previous,
    install_channels,
    install_crd,
    install_namespace,
    label_nodes,
    may_patch,
    wait_for_channels_ready,
)
from demo.leftover import forget, remember, stop_leftover
from demo.policy import REQUIRED_GATE, SHORTCUT_STEP, install_policy, shortcut_refusal
from demo.providers import Providers
from demo.release import (
    MIN_REMINDER_INTERVAL,
    DemoRelease,
    demo_release,
    load_example,
    what_changed,
)
from demo.report import received, summary
from demo.session import DemoFailed, Session
from demo.view import Printer
from demo.watch import Watches
from demo.webhooks import KEY_SECRET, demo_webhooks, install_key_namespace, remove_webhooks

AUTO_TIMEOUT = 300.0
SETTLE_TIMEOUT = 60.0
"""Seconds the last notifications may take once the run ended (retries back off 10 s, 20 s)."""
CHANNELS_READY_TIMEOUT = 30.0
LOOPBACK_PROVIDERS = "http://127.0.0.1:"
OPERATOR_LOG = "demo-operator.log"
OPERATOR_RECORD = "demo-operator.json"
CONSOLES = "demo-consoles"
WEBHOOK_PKI = "demo-webhook"


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m demo", description=__doc__.split("\n\n")[0] if __doc__ else None
    )
    parser.add_argument(
        "--auto-approve",
        action="store_true",
        help="approve every gate by itself (kubectl appdeploy approve as the demo's "
        "approvers, impersonated, two of them at the same moment; compliance in its "
        "approver's web console, as a browser would); for CI",
    )
    parser.add_argument(
        "--timeout",
        type=float,
        help="seconds the release may take from creation to its end "
        f"(default: {AUTO_TIMEOUT:g} with --auto-approve, none otherwise; 0: none)",
    )
    parser.add_argument(
        "--cluster", default="default", help="local cluster name (default: %(default)s)"
    )
    parser.add_argument(
        "--stop-cluster", action="store_true", help="stop the local cluster at the end"
    )
    return parser


def _exit_on_sigterm(signum: int, _frame: object) -> None:
    # Turn SIGTERM into an exception so the operator process is still stopped.
    raise SystemExit(128 + signum)


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    signal.signal(signal.SIGTERM, _exit_on_sigterm)
    if hasattr(sys.stdout, "reconfigure"):
        sys.stdout.reconfigure(line_buffering=True)
    printer = Printer()
    timeout = (
        args.timeout if args.timeout is not None else (AUTO_TIMEOUT if args.auto_approve else 0)
    )
    began = time.monotonic()
    handle: ClusterHandle | None = None
    try:
        release = demo_release(load_example())
        documents = load_channels()
        handle = _cluster(args.cluster, printer)
        with Providers(slack_conversations(documents)) as providers:
            return run_demo(
                handle,
                release=release,
                channels=demo_channels(documents, providers.endpoints()),
                providers=providers,
                auto_approve=args.auto_approve,
                timeout=timeout or None,
                printer=printer,
                began=began,
            )
    except KeyboardInterrupt:
        printer.line(
            "\ninterrupted: the operator and consoles are stopped; the release stays as it is"
        )
        return 130
    except (ClusterError, DemoFailed, WaitTimeout, ApiException, RuntimeError) as error:
        printer.line(printer.paint(f"\ndemo failed: {_reason(error)}", "31"))
        return 1
    finally:
        if handle is not None:
            _goodbye(handle, release, args.stop_cluster, printer)


def _reason(error: BaseException) -> str:
    if isinstance(error, ApiException):
        return f"the API server answered {error.status} {error.reason}: {error.body}"
    return str(error)


def _cluster(name: str, printer: Printer) -> ClusterHandle:
    status_line = printer.bold("appdeploy demo")
    printer.line(f"{status_line}: the shop 4.12.0 iOS + Android release on the local control plane")
    handle = running_cluster(name)
    if handle is not None:
        printer.line(f"  reusing the running cluster '{name}' (kubeconfig {handle.kubeconfig})")
        return handle
    printer.line(
        f"  starting cluster '{name}' (seconds; the very first time it builds the "
        "binaries from Go modules, about 5 minutes)"
    )
    handle = start_cluster(name)
    printer.line(f"  started cluster '{name}' (kubeconfig {handle.kubeconfig})")
    return handle


def run_demo(
    handle: ClusterHandle,
    *,
    release: DemoRelease,
    channels: DemoChannels,
    providers: Providers,
    auto_approve: bool,
    timeout: float | None,
    printer: Printer,
    began: float,
) -> int:
    """The demo on a running cluster, delivering to running ``providers``; the exit status."""
    api: Any = admin_client(handle.kubeconfig)
    _install(api, release, printer)
    _install_channels(api, release.namespace, channels, providers, printer)

    log = handle.run_dir / OPERATOR_LOG
    record = handle.run_dir / OPERATOR_RECORD
    consoles = DemoConsoles(
        handle.kubeconfig, handle.run_dir / CONSOLES, release.namespace, cast(release.spec)
    )
    _stop_leftovers({"operator": record, "web consoles": consoles.record}, printer)
    webhooks = demo_webhooks(api, handle.run_dir / WEBHOOK_PKI, release.namespace)
    remove_webhooks(api, webhooks.name)
    log.unlink(missing_ok=True)
    install_key_namespace(api)
    # Channels' apiUrls point at the fakes, which only this prefix allows; the
    # demo's reminders come seconds apart, under the default floor of 5m.
    notify_args = ["--allow-provider-url", LOOPBACK_PROVIDERS]
    notify_args += ["--min-reminder-interval", MIN_REMINDER_INTERVAL]
    notify_args += ["--console-url", consoles.linked[1]]
    operator = OperatorProcess(
        handle.kubeconfig, log, ["-n", release.namespace, *webhooks.operator_args(), *notify_args]
    )
    watches: Watches | None = None
    session: Session | None = None
    try:
        operator.start()
        assert operator.process is not None
        remember(record, [("demo-operator", operator.process, log)])
        webhooks.ensure_live()
        printer.line(
            "  operator running, serving its admission webhooks on "
            f"https://127.0.0.1:{webhooks.port} for {release.namespace}; approvals are signed "
            f"with the key in Secret {KEY_SECRET} and verified (no --trust-unverified-approvals); "
            f"log: {log}"
        )
        consoles.start()
        wait_for_channels_ready(api, release.namespace, channels.transports, CHANNELS_READY_TIMEOUT)
        printer.line(
            f"  the operator found every channel Ready (it may call the fakes: "
            f"--allow-provider-url {LOOPBACK_PROVIDERS}, "
            f"--min-reminder-interval {MIN_REMINDER_INTERVAL})"
        )
        _before_applying(api, release, printer)
        created = create_release(api, release)
        uid = str(created["metadata"]["uid"])
        printer.line(
            f"  applied {release.name}; follow it elsewhere with: kubectl --kubeconfig "
            f"{handle.kubeconfig} -n {release.namespace} get ad -w"
        )
        consoles.show(printer, release.namespace, release.name)
        printer.line()
        watches = Watches(handle.kubeconfig, release.namespace, release.name)
        watches.follow_process(operator.process.wait)
        session = Session(
            release,
            uid,
            handle.kubeconfig,
            auto_approve,
            printer,
            log,
            channels.transports,
            consoles.urls(),
        )
        session.run(watches.start(), timeout)
        final = session.settle(watches, SETTLE_TIMEOUT)
    finally:
        if session is not None:
            session.stop()
        if watches is not None:
            watches.stop()
        consoles.stop()
        _unregister(api, webhooks.name, printer)
        operator.stop()
        forget(record)
    ended = summary(final, printer, time.monotonic() - began)
    delivered = received(final, channels, providers, printer)
    return ended if delivered else 1


def _before_applying(api: Any, release: DemoRelease, printer: Printer) -> None:
    """The door refusing a shortcut past compliance (a dry run: nothing is stored), and
    what the demo changed in the example."""
    refusal = shortcut_refusal(api, release)
    if refusal:
        printer.line(
            f"  a shortcut, {SHORTCUT_STEP} no longer waiting for {REQUIRED_GATE}, is refused "
            f"at the door (a dry run): {refusal}"
        )
    else:
        printer.line("  (the admission webhook did not refuse the shortcut past compliance)")
    printer.line(f"  {what_changed(release)}")


def _stop_leftovers(records: dict[str, Path], printer: Printer) -> None:
    """Stop what a killed demo left running (what -> its record), saying so."""
    for what, record in records.items():
        if left := stop_leftover(record):
            pids = ", ".join(str(pid) for pid in left)
            printer.line(f"  stopped the {what} an interrupted demo left running (pid {pids})")


def _install(api: Any, release: DemoRelease, printer: Printer) -> None:
    """What the release needs in the cluster; the previous demo's release deleted."""
    install_crd(api)
    groups = approver_groups(release.spec)
    install_namespace(api, release, groups)
    nodes = label_nodes(api, release.node_labels)
    printer.line(
        f"  installed the CRD; namespace {release.namespace} with service accounts "
        f"{', '.join(release.service_accounts)}, {len(release.secrets)} Secrets (dummy values), "
        f"RBAC letting groups {', '.join(groups)} annotate releases (and read their Events "
        "and step logs, for the console)"
    )
    approver = next(iter(PERSONAS.values()))[0]
    allowed = may_patch(api, release.namespace, approver.user, approver.groups)
    outsider = may_patch(api, release.namespace, "mallory@example.com", ())
    printer.line(
        f"  RBAC, asked the API server: {approver.user} ({', '.join(approver.groups)}) may "
        f"annotate releases: {_yes(allowed)}; mallory@example.com (no group): {_yes(outsider)}"
    )
    if nodes:
        labels = ", ".join(f"{k}={v}" for k, v in release.node_labels.items())
        printer.line(f"  labelled {', '.join(nodes)} {labels} (the example's nodeSelector)")
    if delete_previous(api, release):
        printer.line(f"  deleted the previous {release.name} (each demo starts a fresh run)")
    policy = install_policy(api, release.namespace)
    printer.line(
        f"  ReleasePolicy {policy} (examples/release-policy.yaml) covers {release.namespace}, "
        "now labelled appdeploy.dev/tier=production: the store uploads need compliance "
        "upstream, decided by the compliance group only, none of whom approved QA"
    )


def _install_channels(
    api: Any, namespace: str, channels: DemoChannels, providers: Providers, printer: Printer
) -> None:
    install_channels(api, namespace, channels)
    by_transport: dict[str, list[str]] = {}
    for name, transport in channels.transports.items():
        by_transport.setdefault(transport, []).append(name)
    names = ", ".join(f"{', '.join(n)} ({t})" for t, n in by_transport.items())
    printer.line(
        f"  NotificationChannels {names} from examples/notification-channels.yaml, delivering to "
        f"fakes on 127.0.0.1: Slack {providers.slack.url}, webhook sink {providers.sink.url} "
        f"(checks the signature), SMTP :{providers.smtp.port}, PagerDuty {providers.pagerduty.url}"
    )


def _unregister(api: Any, name: str, printer: Printer) -> None:
    """Remove the webhook configurations before their server stops (approvals would fail)."""
    try:
        remove_webhooks(api, name)
    except (ApiException, HTTPError, OSError) as error:
        # The demo is ending anyway (often because the API server is gone); the
        # next demo removes them first thing.
        printer.line(f"  could not remove the webhook configurations: {_reason(error)}")


def _yes(allowed: bool) -> str:
    return "yes" if allowed else "no"


def _goodbye(handle: ClusterHandle, release: DemoRelease, stop: bool, printer: Printer) -> None:
    """Where the operator's log is, and what became of the cluster."""
    log = handle.run_dir / OPERATOR_LOG
    if log.exists():
        printer.line(f"operator log: {log}")
    if stop:
        stop_cluster(handle)
        printer.line(f"stopped cluster '{handle.name}'")
        return
    down = (
        "make cluster-down"
        if handle.name == "default"
        else (f"python -m tests.cluster down --name {handle.name}")
    )
    printer.line(
        f"cluster '{handle.name}' keeps running: kubectl --kubeconfig {handle.kubeconfig} "
        f"-n {release.namespace} get ad; stop it with {down}"
    )


if __name__ == "__main__":
    sys.exit(main())
