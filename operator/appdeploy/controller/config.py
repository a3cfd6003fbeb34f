"""Operator-wide settings from the command line."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from appdeploy.admission.step_objects import JOB_CONTROLLER_USERS
from appdeploy.api.notify import REMIND_FLOOR
from appdeploy.api.pod_policy import SAFE_POLICY, StepPodPolicy


@dataclass(frozen=True)
class OperatorConfig:
    """How the operator runs."""

    namespaces: tuple[str, ...] = ()
    """Namespaces to watch; empty means the whole cluster."""
    trust_unverified_approvals: bool = False
    """Count approvals the admission webhook did not sign."""
    pod_policy: StepPodPolicy = SAFE_POLICY
    """What step pods may ask beyond the safe defaults (--allow-* flags)."""
    job_ttl: timedelta | None = timedelta(hours=24)
    """ttlSecondsAfterFinished of step Jobs; None keeps them until the release is deleted."""
    workers: int = 4
    """Releases reconciled in parallel (one key is never handled twice at once)."""
    health_address: str = "127.0.0.1:8080"
    """host:port of the liveness endpoint (/healthz)."""
    api_connect_timeout: timedelta = timedelta(seconds=5)
    """How long one API request may take to connect."""
    api_read_timeout: timedelta = timedelta(seconds=30)
    """How long one API request may wait for the server's next bytes."""
    stuck_reconcile_after: timedelta = timedelta(minutes=5)
    """A worker inside one reconcile for longer than this fails /healthz (the pod restarts)."""
    metrics_address: str = ""
    """host:port of the Prometheus endpoint (/metrics); empty: off."""
    approval_key_secret: str = ""
    """namespace/name of the Secret holding the approval signing key; empty: no key."""
    webhook_address: str = ""
    """host:port where the admission webhooks are served (HTTPS); empty: off."""
    webhook_cert: str = ""
    """PEM certificate of the webhook server."""
    webhook_key: str = ""
    """PEM private key of the webhook server."""
    job_controller_users: tuple[str, ...] = JOB_CONTROLLER_USERS
    """Who may create pods labelled as steps' (the Job controller's usernames)."""
    webhook_configuration: str = ""
    """Name of the operator's webhook configurations, checked at start to cover the namespaces."""
    webhook_client_ca: str = ""
    reference_check: bool = True
    """validate-spec checks by SubjectAccessReview that the requester may get each Secret and
    use each ServiceAccount their steps reference (docs/security.md, "Who may use what")."""
    """PEM CA bundle; when set, the webhook server refuses TLS clients without a cert it signed."""
    delivery_workers: int = 32
    """Releases whose notifications are delivered in parallel (off the reconcile workers)."""
    allowed_provider_urls: tuple[str, ...] = ()
    """Prefixes a channel's apiUrl must start with to be used (it receives the credential)."""
    console_url: str = ""
    """Base URL of the web console; notifications link to the release there."""
    provider_image: str = ""
    """Image of check measurement Jobs (the operator's own); empty: check steps fail saying so."""
    remind_floor: timedelta = REMIND_FLOOR
    """The shortest ``remind.every`` a release may ask (lowered only by demos and tests)."""
