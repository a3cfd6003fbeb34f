"""kopf wiring: watches feed the caches and the queues; startup starts the workers.

Only ``on.event`` handlers are used: they keep no per-handler progress
annotations and need no finalizers (Jobs are garbage-collected through their
owner references, so deleting a release needs no cleanup of ours).
"""

from __future__ import annotations

import asyncio
import logging
import ssl
from typing import Any

import kopf
from kubernetes import client, config

from appdeploy.admission.webhooks import register_admission
from appdeploy.controller import metrics
from appdeploy.controller.cache import ReleaseCache
from appdeploy.controller.channels import ChannelCache, ChannelChecks, register_channel_watch
from appdeploy.controller.config import OperatorConfig
from appdeploy.controller.delivery import Delivery, DeliveryMetrics
from appdeploy.controller.policies import PolicyCache, register_policy_watch
from appdeploy.controller.queue import WorkQueue
from appdeploy.controller.reconcile import Reconciler
from appdeploy.controller.resync import Resync
from appdeploy.controller.watches import register_child_watches
from appdeploy.controller.webhook_coverage import check_webhook_coverage
from appdeploy.controller.workers import Workers
from appdeploy.k8s.attribution import read_break_glass
from appdeploy.k8s.cluster import Cluster
from appdeploy.k8s.identity import own_username
from appdeploy.k8s.labels import GROUP, MANAGED_SELECTOR, PLURAL, VERSION
from appdeploy.k8s.signing_key import load_or_create_key
from appdeploy.notify.blocking import Blocking
from appdeploy.notify.channel_transports import ChannelTransports
from appdeploy.notify.outbox import OutboxDelivery

log = logging.getLogger("appdeploy")


def kubernetes_client() -> client.ApiClient:
    """An API client from the in-cluster service account, else from KUBECONFIG."""
    try:
        config.load_incluster_config()  # type: ignore[no-untyped-call]
    except config.ConfigException:
        config.load_kube_config()  # type: ignore[no-untyped-call]
    configuration = client.Configuration.get_default_copy()
    # No urllib3 retries: they would multiply each request's timeout (a GET is
    # retried three times by default); a failed reconcile is retried by the
    # workers with backoff instead.
    configuration.retries = False
    return client.ApiClient(configuration)


def configure_kopf(settings: kopf.OperatorSettings, operator_config: OperatorConfig) -> None:
    """kopf's settings for appdeploy: no kopf Events, long watches, our own webhook server."""
    settings.posting.enabled = False  # our Events are the planner's, not kopf's logs
    settings.watching.server_timeout = 300
    settings.watching.client_timeout = 330
    # Filter on the server: kopf's ``labels=`` only filters after every event
    # of every Job and pod in the watched namespaces was sent, parsed and
    # deep-copied (about 1 ms of CPU each).
    settings.watching.label_selectors["batch", "v1", "jobs"] = MANAGED_SELECTOR
    settings.watching.label_selectors["", "v1", "pods"] = MANAGED_SELECTOR
    if namespaces_are_exact(operator_config.namespaces):
        # Exact names need no namespace discovery; without this kopf retries a
        # cluster-wide namespace list that namespaced RBAC (rightly) refuses.
        settings.scanning.disabled = True
    if operator_config.webhook_address:
        webhook_host, webhook_port = operator_config.webhook_address.rsplit(":", 1)
        client_ca = operator_config.webhook_client_ca
        settings.admission.server = kopf.WebhookServer(
            addr=webhook_host,
            port=int(webhook_port),
            host=webhook_host,
            certfile=operator_config.webhook_cert or None,
            pkeyfile=operator_config.webhook_key or None,
            # The signing hook writes identities: only the API server may ask it.
            # CERT_REQUIRED ends the TLS handshake of any client without a
            # certificate this CA signed, before a byte of a request is read.
            verify_mode=ssl.CERT_REQUIRED if client_ca else None,
            verify_cafile=client_ca or None,
        )
        settings.admission.managed = None  # the chart or the tests own the configurations


def start_delivery(
    operator_config: OperatorConfig, cluster: Cluster, channels: ChannelCache
) -> tuple[Delivery, ChannelChecks]:
    """Delivery of the outboxes and the channel checks, on threads and tasks of their own."""
    blocking = Blocking(operator_config.delivery_workers)

    def lookup(namespace: str, name: str) -> dict[str, Any] | None:
        return channels.get(namespace, name) or cluster.get_channel(namespace, name)

    allowed = operator_config.allowed_provider_urls
    transports = ChannelTransports(cluster, lookup, blocking, allowed)
    outbox = OutboxDelivery(cluster, transports, blocking, DeliveryMetrics())
    delivery = Delivery(outbox, operator_config.delivery_workers)
    checks = ChannelChecks(cluster, blocking, allowed)
    delivery.start()
    checks.pool.start()
    return delivery, checks


async def start_components(
    operator_config: OperatorConfig,
    cache: ReleaseCache,
    channels: ChannelCache,
    policies: PolicyCache,
    state: dict[str, Any],
) -> None:
    """Clients, the signing key, who we are, the policies, the reconciler, the workers,
    delivery, resync."""
    queue: WorkQueue[tuple[str, str]] = WorkQueue()
    api_client = kubernetes_client()
    timeout = (
        operator_config.api_connect_timeout.total_seconds(),
        operator_config.api_read_timeout.total_seconds(),
    )
    cluster = Cluster(api_client, on_request=metrics.count_request, timeout=timeout)
    if operator_config.approval_key_secret:
        key_namespace, key_name = operator_config.approval_key_secret.split("/", 1)
        state["key"] = await asyncio.to_thread(
            load_or_create_key, api_client, key_namespace, key_name, timeout
        )
    # Who we are: the webhook lets only us remove others' decisions, steps never run as us.
    state["username"] = await asyncio.to_thread(own_username, api_client, timeout)
    # Before any worker: a release is never judged against policies not listed yet.
    listed = await asyncio.to_thread(lambda: (cluster.list_policies(), cluster.list_namespaces()))
    policies.prime(*listed)
    reconciler = Reconciler(
        cluster,
        cache,
        operator_config,
        signing_key=state.get("key"),
        operator_username=state["username"],
        channels=channels,
        policies=policies,
    )
    if operator_config.metrics_address:
        metrics.serve(operator_config.metrics_address)
    metrics.QUEUE_DEPTH.set_function(lambda: len(queue))  # read at each scrape
    metrics.watch_cache(cache)
    workers = Workers(queue, reconciler, operator_config.workers)
    resync = Resync(cache, cluster)
    delivery, checks = start_delivery(operator_config, cluster, channels)
    state.update(queue=queue, workers=workers, resync=resync, delivery=delivery, checks=checks)
    resync.start()
    workers.start()
    log.info(
        "appdeploy operator started: namespaces=%s trust_unverified_approvals=%s",
        ",".join(operator_config.namespaces) or "(all)",
        operator_config.trust_unverified_approvals,
    )


def build_registry(operator_config: OperatorConfig) -> kopf.OperatorRegistry:
    """The handlers of one operator instance, bound to its own queue, cache and workers."""
    registry = kopf.OperatorRegistry()
    cache = ReleaseCache()
    channels = ChannelCache()
    policies = PolicyCache()
    state: dict[str, Any] = {}

    def enqueue(namespace: str | None, name: str | None) -> None:
        if namespace and name and "queue" in state:
            state["queue"].add((namespace, name))

    @kopf.on.login(registry=registry)
    def login(**kwargs: Any) -> kopf.ConnectionInfo | None:
        # A private registry has none of kopf's default login handlers.
        return kopf.login_via_client(**kwargs)

    @kopf.on.startup(registry=registry)
    async def start(settings: kopf.OperatorSettings, **_: Any) -> None:
        configure_kopf(settings, operator_config)
        await start_components(operator_config, cache, channels, policies, state)

    @kopf.on.probe(id="workers", registry=registry)
    async def workers_alive(**_: Any) -> str:
        # kopf turns a failed probe handler into a 500 on /healthz, so the
        # kubelet restarts a pod whose workers hang while its event loop is fine.
        workers: Workers | None = state.get("workers")
        if workers is None:
            return "starting"
        limit = operator_config.stuck_reconcile_after.total_seconds()
        if stuck := workers.stuck(limit):
            raise kopf.PermanentError(
                "stuck workers: "
                + ", ".join(f"{ns}/{name} for {seconds:.0f}s" for (ns, name), seconds in stuck)
            )
        return f"{workers.count} workers, none inside one reconcile for over {limit:.0f}s"

    @kopf.on.cleanup(registry=registry)
    async def stop(**_: Any) -> None:
        if "workers" in state:
            await state["workers"].stop()
        if "delivery" in state:
            await state["checks"].pool.stop()
            await state["delivery"].stop()
        if "resync" in state:
            await asyncio.to_thread(state["resync"].stop)

    if operator_config.webhook_address:
        if not operator_config.approval_key_secret:
            raise ValueError("--webhook-address needs --approval-key-secret (the signing key)")
        register_admission(
            registry,
            signing_key=lambda: state["key"],
            operator_username=lambda: str(state.get("username") or ""),
            pod_policy=operator_config.pod_policy,
            job_controller=operator_config.job_controller_users,
            channels=channels.names,
            remind_floor=operator_config.remind_floor,
            policies=policies.facts,
            break_glass=lambda body: read_break_glass(body, state.get("key")),
        )

    @kopf.on.event(GROUP, VERSION, PLURAL, registry=registry)
    def on_release(event: kopf.RawEvent, name: str, namespace: str | None, **_: Any) -> None:
        if event.get("type") == "DELETED" and namespace:
            cache.forget((namespace, name))
        elif namespace:
            cache.saw_release((namespace, name))
            if "delivery" in state:  # its outbox may have work: delivery has a queue of its own
                state["delivery"].release_seen((namespace, name), event["object"].get("status"))
        # Deleted too: the reconcile finds it gone and drops it from appdeploy_releases.
        enqueue(namespace, name)

    def channel_ready_changed(namespace: str) -> None:
        # The releases naming it judge their notifications again (Observed.channels).
        for key in cache.releases_in(namespace):
            enqueue(*key)

    def relisted() -> None:
        if "resync" in state:
            state["resync"].request()

    register_child_watches(registry, cache, enqueue, relisted)
    register_policy_watch(registry, policies, cache, enqueue)
    register_channel_watch(registry, channels, lambda: state.get("checks"), channel_ready_changed)
    return registry


def namespaces_are_exact(namespaces: tuple[str, ...]) -> bool:
    """True when namespaces are listed by name (no globs), so none must be discovered."""
    return bool(namespaces) and not any(set(ns) & set("*?[]!") for ns in namespaces)


def run(operator_config: OperatorConfig) -> None:
    """Run the operator until interrupted; StartupRefused when its webhooks miss a namespace."""
    if operator_config.webhook_configuration:
        check_webhook_coverage(
            kubernetes_client(),
            operator_config.webhook_configuration,
            operator_config.namespaces,
            (
                operator_config.api_connect_timeout.total_seconds(),
                operator_config.api_read_timeout.total_seconds(),
            ),
        )
    registry = build_registry(operator_config)
    namespaces = list(operator_config.namespaces)
    kopf.run(
        registry=registry,
        standalone=True,
        clusterwide=not namespaces,
        namespaces=namespaces,
        liveness_endpoint=f"http://{operator_config.health_address}/healthz",
    )
