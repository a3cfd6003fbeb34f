"""Find any address in the cluster that would make someone dial off-machine.

Used by tests to prove the network rule: nodes, pods, endpoints, webhooks,
conversion webhooks and aggregated APIs may only point at 127.0.0.0/8.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlparse

from kubernetes import client

_LOOPBACK = ipaddress.ip_network("127.0.0.0/8")


def _is_loopback_ip(text: str) -> bool:
    try:
        return ipaddress.ip_address(text) in _LOOPBACK
    except ValueError:
        return False


def _name(obj: Any) -> str:
    return f"{obj.metadata.namespace}/{obj.metadata.name}"


def _url_problem(where: str, url: str | None) -> Iterator[str]:
    if url is None:
        return
    host = urlparse(url).hostname or ""
    # A name could resolve anywhere; only a literal loopback IP is provably local.
    if not _is_loopback_ip(host):
        yield f"{where}: url {url}"


def _client_config_problems(where: str, client_config: Any) -> Iterator[str]:
    if client_config.service is not None:
        service = client_config.service
        yield f"{where}: service {service.namespace}/{service.name} (would dial a Service IP)"
    yield from _url_problem(where, client_config.url)


def _node_problems(core: Any) -> Iterator[str]:
    for node in core.list_node().items:
        for address in node.status.addresses or []:
            if address.type != "Hostname" and not _is_loopback_ip(address.address):
                yield f"node {node.metadata.name}: {address.type} {address.address}"


def _pod_problems(core: Any) -> Iterator[str]:
    for pod in core.list_pod_for_all_namespaces().items:
        ips = [ip.ip for ip in pod.status.pod_ips or []] + [
            ip.ip for ip in pod.status.host_ips or []
        ]
        for ip in ips:
            if not _is_loopback_ip(ip):
                yield f"pod {_name(pod)}: IP {ip}"


def _endpoint_problems(core: Any, discovery: Any) -> Iterator[str]:
    for endpoints in core.list_endpoints_for_all_namespaces().items:
        for subset in endpoints.subsets or []:
            for address in (subset.addresses or []) + (subset.not_ready_addresses or []):
                if not _is_loopback_ip(address.ip):
                    yield f"endpoints {_name(endpoints)}: {address.ip}"
    for slice_ in discovery.list_endpoint_slice_for_all_namespaces().items:
        for endpoint in slice_.endpoints or []:
            for address in endpoint.addresses:
                if not _is_loopback_ip(address):
                    yield f"endpointslice {_name(slice_)}: {address}"


def _items(listing: Any) -> list[Any]:
    # The client's models type every field as optional; these checks read
    # server-populated objects, so they are handled as plain Any.
    return list(listing.items or [])


def _webhook_problems(api: Any) -> Iterator[str]:
    admission = client.AdmissionregistrationV1Api(api)
    for kind, configurations in (
        ("validatingwebhookconfiguration", admission.list_validating_webhook_configuration()),
        ("mutatingwebhookconfiguration", admission.list_mutating_webhook_configuration()),
    ):
        for configuration in _items(configurations):
            for webhook in configuration.webhooks or []:
                where = f"{kind} {configuration.metadata.name} webhook {webhook.name}"
                yield from _client_config_problems(where, webhook.client_config)
    for crd in _items(client.ApiextensionsV1Api(api).list_custom_resource_definition()):
        conversion = crd.spec.conversion
        if (
            conversion is not None
            and conversion.webhook is not None
            and conversion.webhook.client_config
        ):
            yield from _client_config_problems(
                f"crd {crd.metadata.name} conversion", conversion.webhook.client_config
            )
    for service in _items(client.ApiregistrationV1Api(api).list_api_service()):
        if service.spec.service is not None:
            ref = service.spec.service
            yield f"apiservice {service.metadata.name}: service {ref.namespace}/{ref.name}"


def non_loopback_addresses(api: Any) -> list[str]:
    """Every address in the cluster outside 127.0.0.0/8, described (ideally [])."""
    core = client.CoreV1Api(api)
    discovery = client.DiscoveryV1Api(api)
    return [
        *_node_problems(core),
        *_pod_problems(core),
        *_endpoint_problems(core, discovery),
        *_webhook_problems(api),
    ]
