"""Command lines of the cluster's components (pure: no I/O, easy to review).

Every listener binds 127.0.0.1 and every address a component advertises is
127.0.0.1, so no component ever dials a non-loopback address.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from tests.cluster.certs import Pki
from tests.cluster.layout import Layout, Ports
from tests.cluster.ports import LOOPBACK

NODE_NAME = "kwok-node-0"
# KWOK manages only nodes carrying this annotation; the launcher creates the
# node with it.
KWOK_NODE_ANNOTATION = ("kwok.x-k8s.io/node", "fake")
# Never dialled: there is no kube-proxy, and the `kubernetes` Service gets no
# endpoints (see apiserver()).
SERVICE_CIDR = "10.96.0.0/16"
# Pod IPs are handed out by KWOK from a loopback range, so even a pod IP
# copied somewhere points back at this machine.
POD_CIDR = "127.1.0.0/16"
NODE_LEASE_SECONDS = 40

CONTROLLERS = (
    "job-controller",
    "cronjob-controller",
    "garbage-collector-controller",
    "namespace-controller",
    "serviceaccount-controller",
    "serviceaccount-token-controller",
    "ttl-after-finished-controller",
    "root-ca-certificate-publisher-controller",
    "pod-garbage-collector-controller",
    # Removes the node.kubernetes.io/not-ready taint that admission puts on
    # every new node, once KWOK reports it Ready (and would taint it again if
    # KWOK stopped renewing its Lease).
    "node-lifecycle-controller",
    "deployment-controller",
    "replicaset-controller",
    # Aggregates aggregate-to-admin/edit/view ClusterRoles (as charts ship them).
    "clusterrole-aggregation-controller",
    "validatingadmissionpolicy-status-controller",
)


@dataclass(frozen=True)
class Component:
    """One process of the cluster, in start order."""

    name: str
    argv: list[str]
    # Plain-HTTP or HTTPS URL answering 200 once the component serves.
    health_url: str
    # The port of health_url, which the component itself must be listening on.
    port: int


def _kubeconfig(layout: Layout, component: str) -> str:
    return str(layout.kubeconfig_dir / f"{component}.kubeconfig")


def etcd(bin_dir: Path, layout: Layout, ports: Ports) -> Component:
    client = f"http://{LOOPBACK}:{ports.etcd_client}"
    peer = f"http://{LOOPBACK}:{ports.etcd_peer}"
    argv = [
        str(bin_dir / "etcd"),
        "--name=appdeploy",
        f"--data-dir={layout.etcd_data_dir}",
        f"--listen-client-urls={client}",
        f"--advertise-client-urls={client}",
        f"--listen-peer-urls={peer}",
        f"--initial-advertise-peer-urls={peer}",
        f"--initial-cluster=appdeploy={peer}",
        "--initial-cluster-state=new",
        # The data is thrown away with the cluster; skipping fsync makes every
        # API write several times faster on slow CI disks.
        "--unsafe-no-fsync=true",
        "--log-level=warn",
    ]
    return Component("etcd", argv, f"{client}/health", ports.etcd_client)


def apiserver(bin_dir: Path, layout: Layout, ports: Ports, pki: Pki) -> Component:
    issuer = f"https://{LOOPBACK}:{ports.apiserver}"
    argv = [
        str(bin_dir / "kube-apiserver"),
        f"--etcd-servers=http://{LOOPBACK}:{ports.etcd_client}",
        f"--bind-address={LOOPBACK}",
        f"--advertise-address={LOOPBACK}",
        f"--secure-port={ports.apiserver}",
        f"--cert-dir={layout.component_dir('kube-apiserver')}",
        f"--tls-cert-file={pki.apiserver.cert}",
        f"--tls-private-key-file={pki.apiserver.key}",
        f"--client-ca-file={pki.ca.cert}",
        "--authorization-mode=Node,RBAC",
        # Request-header (front proxy) authentication, as in real clusters.
        # Besides enabling aggregated API servers, it fills the
        # extension-apiserver-authentication ConfigMap completely; the
        # controller manager and scheduler log errors every few seconds
        # otherwise.
        f"--requestheader-client-ca-file={pki.front_proxy_ca.cert}",
        "--requestheader-allowed-names=front-proxy-client",
        "--requestheader-username-headers=X-Remote-User",
        "--requestheader-group-headers=X-Remote-Group",
        "--requestheader-extra-headers-prefix=X-Remote-Extra-",
        f"--proxy-client-cert-file={pki.front_proxy_client.cert}",
        f"--proxy-client-key-file={pki.front_proxy_client.key}",
        # Added to the release's default admission chain (which already has
        # NamespaceLifecycle, ServiceAccount, PodSecurity, the webhook and
        # policy plugins, ResourceQuota, ...).
        "--enable-admission-plugins=NodeRestriction",
        # The client certificate the API server presents to admission
        # webhooks, as an admin configures it for appdeploy's
        # --webhook-client-ca (docs/install.md).
        f"--admission-control-config-file={layout.admission_config}",
        f"--service-account-issuer={issuer}",
        f"--service-account-key-file={pki.service_account_pub}",
        f"--service-account-signing-key-file={pki.service_account_key}",
        f"--service-cluster-ip-range={SERVICE_CIDR}",
        # The `kubernetes` Service would get the advertise address as its
        # endpoint, but Endpoints validation rejects loopback addresses, so
        # the reconciler would fail forever. Nothing in this cluster routes
        # Service traffic, so the Service simply has no endpoints.
        "--endpoint-reconciler-type=none",
        # Reach "the kubelet" (pod logs, exec) at the node's InternalIP, 127.0.0.1.
        # The default tries the node's Hostname first, which sends a DNS query to
        # the machine's resolver: traffic to a non-loopback address.
        "--kubelet-preferred-address-types=InternalIP",
        "--profiling=false",
        "--v=1",
    ]
    return Component(
        "kube-apiserver", argv, f"https://{LOOPBACK}:{ports.apiserver}/readyz", ports.apiserver
    )


def controller_manager(bin_dir: Path, layout: Layout, ports: Ports, pki: Pki) -> Component:
    kubeconfig = _kubeconfig(layout, "kube-controller-manager")
    argv = [
        str(bin_dir / "kube-controller-manager"),
        f"--kubeconfig={kubeconfig}",
        # Delegated authn/authz for its own /metrics etc.; /healthz stays open.
        f"--authentication-kubeconfig={kubeconfig}",
        f"--authorization-kubeconfig={kubeconfig}",
        f"--bind-address={LOOPBACK}",
        f"--secure-port={ports.controller_manager}",
        f"--tls-cert-file={pki.controller_manager_serving.cert}",
        f"--tls-private-key-file={pki.controller_manager_serving.key}",
        f"--cert-dir={layout.component_dir('kube-controller-manager')}",
        f"--controllers={','.join(CONTROLLERS)}",
        f"--root-ca-file={pki.ca.cert}",
        f"--service-account-private-key-file={pki.service_account_key}",
        # Each controller acts as its own service account, as in a real
        # cluster, so RBAC mistakes in controllers' roles would show up.
        "--use-service-account-credentials=true",
        f"--service-cluster-ip-range={SERVICE_CIDR}",
        # One node: checking it every second costs nothing and makes the
        # not-ready taint disappear right after the node turns Ready.
        "--node-monitor-period=1s",
        "--leader-elect=false",
        "--v=1",
    ]
    return Component(
        "kube-controller-manager",
        argv,
        f"https://{LOOPBACK}:{ports.controller_manager}/healthz",
        ports.controller_manager,
    )


def scheduler(bin_dir: Path, layout: Layout, ports: Ports, pki: Pki) -> Component:
    kubeconfig = _kubeconfig(layout, "kube-scheduler")
    argv = [
        str(bin_dir / "kube-scheduler"),
        f"--kubeconfig={kubeconfig}",
        f"--authentication-kubeconfig={kubeconfig}",
        f"--authorization-kubeconfig={kubeconfig}",
        f"--bind-address={LOOPBACK}",
        f"--secure-port={ports.scheduler}",
        f"--tls-cert-file={pki.scheduler_serving.cert}",
        f"--tls-private-key-file={pki.scheduler_serving.key}",
        f"--cert-dir={layout.component_dir('kube-scheduler')}",
        "--leader-elect=false",
        "--v=1",
    ]
    return Component(
        "kube-scheduler", argv, f"https://{LOOPBACK}:{ports.scheduler}/healthz", ports.scheduler
    )


def kwok(bin_dir: Path, layout: Layout, ports: Ports, stage_files: list[Path]) -> Component:
    key, value = KWOK_NODE_ANNOTATION
    argv = [
        str(bin_dir / "kwok"),
        f"--kubeconfig={_kubeconfig(layout, 'kwok')}",
        f"--config={','.join(str(path) for path in stage_files)}",
        "--manage-all-nodes=false",
        f"--manage-nodes-with-annotation-selector={key}={value}",
        f"--node-ip={LOOPBACK}",
        f"--cidr={POD_CIDR}",
        # The node's kubelet endpoint: the API server reaches "the kubelet"
        # (logs, exec) at InternalIP:port, i.e. KWOK's own server on loopback.
        f"--node-port={ports.kwok}",
        # Without this KWOK would listen on 0.0.0.0:<node-port>.
        f"--server-address={LOOPBACK}:{ports.kwok}",
        f"--node-lease-duration-seconds={NODE_LEASE_SECONDS}",
    ]
    return Component("kwok", argv, f"http://{LOOPBACK}:{ports.kwok}/healthz", ports.kwok)
