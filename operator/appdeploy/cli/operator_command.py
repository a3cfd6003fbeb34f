"""``appdeploy operator``: run the operator process."""

from __future__ import annotations

import argparse
import os
import sys
from datetime import timedelta

from appdeploy.api.durations import parse_duration


def _duration_or_never(text: str) -> timedelta | None:
    if text in ("never", "none", "0"):
        return None
    return _duration(text)


def _duration(text: str) -> timedelta:
    try:
        return parse_duration(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


_LIVENESS_FLAGS = (
    (
        "--api-connect-timeout",
        timedelta(seconds=5),
        "give up on an API request that has not connected after this long (default 5s)",
    ),
    (
        "--api-read-timeout",
        timedelta(seconds=30),
        "give up on an API request whose answer stalls this long (default 30s); "
        "the reconcile is retried with backoff",
    ),
    (
        "--stuck-reconcile-after",
        timedelta(minutes=5),
        "fail /healthz while a worker has been inside one reconcile this long "
        "(default 5m), so the kubelet restarts the pod",
    ),
)
"""Durations that keep a hung API connection from hanging the operator unnoticed."""


def add_operator_command(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register ``appdeploy operator`` and its flags."""
    operator = commands.add_parser(
        "operator",
        help="run the operator (reconciles AppDeployments into Jobs, gates and waits)",
        description="Run the appdeploy operator until interrupted. It uses the in-cluster "
        "service account, or KUBECONFIG / ~/.kube/config outside a cluster.",
    )
    operator.add_argument(
        "-n",
        "--namespace",
        action="append",
        default=[],
        metavar="NS",
        help="watch this namespace (repeatable; globs such as 'team-*' work); "
        "default: the whole cluster",
    )
    operator.add_argument(
        "--trust-unverified-approvals",
        action="store_true",
        help="count approvals the admission webhook did not sign (only for clusters "
        "without the webhook: anyone who can annotate can then approve as anyone)",
    )
    operator.add_argument(
        "--allow-tolerate-all-taints",
        action="store_true",
        help="accept step tolerations with operator Exists and no key (they schedule a "
        "step onto every tainted node, control-plane nodes included)",
    )
    operator.add_argument(
        "--allow-any-pod-labels",
        action="store_true",
        help="accept step pod labels outside user.appdeploy.dev/ (they can join a step's "
        "pod to Services and NetworkPolicies); the Job controller's and appdeploy's own "
        "labels stay refused",
    )
    operator.add_argument(
        "--job-ttl",
        type=_duration_or_never,
        default=timedelta(hours=24),
        metavar="DURATION",
        help="delete finished step Jobs after this long, e.g. 24h (default), or 'never'",
    )
    operator.add_argument(
        "--workers",
        type=int,
        default=4,
        metavar="N",
        help="releases reconciled in parallel (default 4)",
    )
    operator.add_argument(
        "--delivery-workers",
        type=int,
        default=32,
        metavar="N",
        help="releases whose notifications are delivered in parallel (default 32); "
        "delivery never takes a reconcile worker",
    )
    operator.add_argument(
        "--allow-provider-url",
        action="append",
        default=[],
        metavar="PREFIX",
        help="honour a NotificationChannel's apiUrl only when it starts with PREFIX "
        "(repeatable; e.g. https://slack.example.com/api/); the URL receives the channel's "
        "token, so by default no apiUrl is allowed and such channels are not Ready",
    )
    operator.add_argument(
        "--console-url",
        default="",
        metavar="URL",
        help="base URL of the appdeploy web console; notifications link to the release there",
    )
    operator.add_argument(
        "--provider-image",
        default=os.environ.get("APPDEPLOY_PROVIDER_IMAGE", ""),
        metavar="IMAGE",
        help="image of check steps' measurement Jobs: the operator's own, which has "
        "`appdeploy provider measure` (default: $APPDEPLOY_PROVIDER_IMAGE; the chart passes "
        "its image); without one, check steps fail saying so",
    )
    operator.add_argument(
        "--min-reminder-interval",
        type=parse_duration,
        default=timedelta(minutes=5),  # api.notify.REMIND_FLOOR, not imported: startup stays fast
        metavar="DURATION",
        help="the shortest remind.every a release may ask (default 5m; lower it only for demos "
        "and tests)",
    )
    operator.add_argument(
        "--health-address",
        default="127.0.0.1:8080",
        metavar="HOST:PORT",
        help="where to serve the liveness endpoint /healthz (default 127.0.0.1:8080; "
        "use 0.0.0.0:8080 in a pod)",
    )
    for flag, default, text in _LIVENESS_FLAGS:
        operator.add_argument(flag, type=_duration, default=default, metavar="DURATION", help=text)
    operator.add_argument(
        "--metrics-address",
        default="",
        metavar="HOST:PORT",
        help="serve Prometheus metrics at http://HOST:PORT/metrics (default: off)",
    )
    operator.add_argument(
        "--approval-key-secret",
        default="",
        metavar="NS/NAME",
        help="Secret holding the key that signs and verifies approvals (created when "
        "absent); without it no approval can be verified",
    )
    operator.add_argument(
        "--webhook-address",
        default="",
        metavar="HOST:PORT",
        help="serve the admission webhooks over HTTPS here (needs --approval-key-secret)",
    )
    operator.add_argument("--webhook-cert", default="", metavar="FILE", help="webhook TLS cert")
    operator.add_argument("--webhook-key", default="", metavar="FILE", help="webhook TLS key")
    operator.add_argument(
        "--webhook-client-ca",
        default="",
        metavar="FILE",
        help="PEM CA of the client certificate the API server presents to webhooks "
        "(kube-apiserver --admission-control-config-file); TLS clients without a "
        "certificate it signed are refused, so only the API server reaches the webhooks",
    )
    operator.add_argument(
        "--no-reference-check",
        dest="reference_check",
        action="store_false",
        help="validate-spec no longer checks (SubjectAccessReview) that the requester may "
        "get the Secrets and use the ServiceAccounts a release's steps reference",
    )
    operator.add_argument(
        "--webhook-configuration",
        default="",
        metavar="NAME",
        help="at start, read the Mutating- and ValidatingWebhookConfiguration NAME and "
        "refuse to run (exit 1, naming them) when their namespaceSelector misses a "
        "watched namespace",
    )
    operator.add_argument(
        "--job-controller-user",
        action="append",
        default=[],
        metavar="USER",
        help="who the Job controller is (repeatable): the step-object webhook lets only "
        "these create pods labelled as steps' (default: "
        "system:serviceaccount:kube-system:job-controller and system:kube-controller-manager)",
    )
    operator.add_argument(
        "--log-format",
        choices=("text", "json"),
        default="text",
        help="text: one human-readable line per transition (default); json: JSON lines",
    )
    operator.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    operator.set_defaults(handler=run_operator_command)


def run_operator_command(args: argparse.Namespace) -> int:
    """Run the operator until interrupted; 2 on bad flags."""
    # kopf and the kubernetes client load slowly; only this command needs them.
    from appdeploy.admission.step_objects import JOB_CONTROLLER_USERS  # noqa: PLC0415
    from appdeploy.api.pod_policy import StepPodPolicy  # noqa: PLC0415
    from appdeploy.controller.config import OperatorConfig  # noqa: PLC0415
    from appdeploy.controller.logs import configure_logging  # noqa: PLC0415
    from appdeploy.controller.operator import run  # noqa: PLC0415
    from appdeploy.controller.webhook_coverage import StartupRefused  # noqa: PLC0415

    for flag in ("workers", "delivery_workers"):
        if getattr(args, flag) < 1:
            name = "--" + flag.replace("_", "-")
            print(f"appdeploy operator: {name} must be at least 1", file=sys.stderr)
            return 2
    for flag, _, _ in _LIVENESS_FLAGS:
        if not getattr(args, flag[2:].replace("-", "_")):
            print(f"appdeploy operator: {flag} must be longer than 0s", file=sys.stderr)
            return 2
    if args.webhook_client_ca and not args.webhook_address:
        print("appdeploy operator: --webhook-client-ca needs --webhook-address", file=sys.stderr)
        return 2
    configure_logging(args.log_format, args.verbose)
    try:
        run(
            OperatorConfig(
                namespaces=tuple(args.namespace),
                trust_unverified_approvals=args.trust_unverified_approvals,
                pod_policy=StepPodPolicy(
                    allow_tolerate_all_taints=args.allow_tolerate_all_taints,
                    allow_any_pod_labels=args.allow_any_pod_labels,
                ),
                job_ttl=args.job_ttl,
                workers=args.workers,
                health_address=args.health_address,
                api_connect_timeout=args.api_connect_timeout,
                api_read_timeout=args.api_read_timeout,
                stuck_reconcile_after=args.stuck_reconcile_after,
                metrics_address=args.metrics_address,
                approval_key_secret=args.approval_key_secret,
                webhook_address=args.webhook_address,
                webhook_cert=args.webhook_cert,
                webhook_key=args.webhook_key,
                webhook_client_ca=args.webhook_client_ca,
                reference_check=args.reference_check,
                webhook_configuration=args.webhook_configuration,
                job_controller_users=tuple(args.job_controller_user) or JOB_CONTROLLER_USERS,
                delivery_workers=args.delivery_workers,
                allowed_provider_urls=tuple(args.allow_provider_url),
                console_url=args.console_url,
                remind_floor=args.min_reminder_interval,
                provider_image=args.provider_image,
            )
        )
    except StartupRefused as refused:
        print(f"appdeploy operator: {refused}", file=sys.stderr)
        return 1
    return 0
