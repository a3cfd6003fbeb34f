"""Fast checks of the launcher's pure parts (no binaries, no cluster)."""

from __future__ import annotations

import ipaddress
import os
import re
import subprocess
from pathlib import Path

import pytest
import yaml
from cryptography import x509
from cryptography.x509.oid import NameOID

from tests.cluster import components
from tests.cluster.binaries import BUILD_SCRIPT
from tests.cluster.certs import create_pki
from tests.cluster.clients import kubectl_argv
from tests.cluster.launcher import STAGES_DIR
from tests.cluster.layout import Layout, Ports
from tests.cluster.wait import WaitTimeout, wait_for


def all_argv(tmp_path: Path) -> list[str]:
    layout = Layout(tmp_path)
    pki = create_pki(layout.pki_dir)
    ports = Ports.allocate()
    bin_dir = tmp_path / "bin"
    built = [
        components.etcd(bin_dir, layout, ports),
        components.apiserver(bin_dir, layout, ports, pki),
        components.controller_manager(bin_dir, layout, ports, pki),
        components.scheduler(bin_dir, layout, ports, pki),
        components.kwok(bin_dir, layout, ports, [STAGES_DIR / "pod.yaml"]),
    ]
    return [arg for component in built for arg in [*component.argv, component.health_url]]


def test_components_bind_advertise_and_dial_only_loopback(tmp_path: Path) -> None:
    hosts = set()
    for arg in all_argv(tmp_path):
        hosts.update(re.findall(r"://([^:/]+)", arg))
        if re.match(r"--(bind-address|advertise-address|node-ip)=", arg):
            hosts.add(arg.split("=", 1)[1])
        if arg.startswith("--server-address="):
            hosts.add(arg.split("=", 1)[1].rsplit(":", 1)[0])
    assert hosts == {"127.0.0.1"}
    # Node hostnames would be resolved through the machine's (non-loopback) DNS server.
    assert "--kubelet-preferred-address-types=InternalIP" in all_argv(tmp_path)


def test_pod_ips_come_from_a_loopback_range() -> None:
    pods = ipaddress.IPv4Network(components.POD_CIDR)
    assert pods.subnet_of(ipaddress.IPv4Network("127.0.0.0/8"))


def test_apiserver_cert_is_for_loopback_and_admin_is_system_masters(tmp_path: Path) -> None:
    pki = create_pki(tmp_path)
    serving = x509.load_pem_x509_certificate(pki.apiserver.cert.read_bytes())
    sans = serving.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert sans.get_values_for_type(x509.IPAddress) == [ipaddress.ip_address("127.0.0.1")]
    assert sans.get_values_for_type(x509.DNSName) == ["localhost"]
    ca = x509.load_pem_x509_certificate(pki.ca.cert.read_bytes())
    serving.verify_directly_issued_by(ca)

    admin = x509.load_pem_x509_certificate(pki.admin.cert.read_bytes())
    groups = [a.value for a in admin.subject.get_attributes_for_oid(NameOID.ORGANIZATION_NAME)]
    assert groups == ["system:masters"]
    assert oct(pki.admin.key.stat().st_mode & 0o777) == "0o600"


def test_stage_files_are_kwok_stages_with_unique_names() -> None:
    stages = [
        doc
        for path in sorted(STAGES_DIR.glob("*.yaml"))
        for doc in yaml.safe_load_all(path.read_text())
    ]
    assert {s["kind"] for s in stages} == {"Stage"}
    names = [s["metadata"]["name"] for s in stages]
    assert len(names) == len(set(names))
    assert {s["spec"]["resourceRef"]["kind"] for s in stages} == {"Node", "Pod"}


def test_wait_for_returns_the_truthy_value() -> None:
    answers = iter([None, 0, "ready"])
    assert wait_for(lambda: next(answers), 5, "third answer") == "ready"


def test_wait_for_timeout_names_what_it_waited_for() -> None:
    with pytest.raises(WaitTimeout, match=r"timed out after 0.2s waiting for the moon"):
        wait_for(lambda: False, 0.2, "the moon")


def test_wait_for_ignores_only_listed_errors() -> None:
    def refuse() -> bool:
        raise ConnectionRefusedError("not yet")

    with pytest.raises(WaitTimeout, match="ConnectionRefusedError"):
        wait_for(refuse, 0.2, "server", ignore=(OSError,))
    with pytest.raises(ConnectionRefusedError):
        wait_for(refuse, 0.2, "server")


def test_kubectl_argv_impersonates_user_and_groups(tmp_path: Path) -> None:
    argv = kubectl_argv(tmp_path / "kc", "get", "pods", as_user="alice", groups=["qa", "dev"])
    assert argv == [
        "kubectl",
        f"--kubeconfig={tmp_path / 'kc'}",
        "--as=alice",
        "--as-group=qa",
        "--as-group=dev",
        "get",
        "pods",
    ]


def test_build_script_reports_a_cache_dir_under_appdeploy_cache_dir(tmp_path: Path) -> None:
    env = {**os.environ, "APPDEPLOY_CACHE_DIR": str(tmp_path)}
    result = subprocess.run(
        [str(BUILD_SCRIPT), "--print-bin-dir"], env=env, capture_output=True, text=True, check=True
    )
    bin_dir = Path(result.stdout.strip())
    assert bin_dir.parent.parent == tmp_path / "cluster"
    assert bin_dir.name == "bin"
