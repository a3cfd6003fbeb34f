"""Where a cluster keeps its files, and which ports it listens on."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from tests.cluster.ports import free_ports

DEFAULT_NAME = "default"


def default_run_dir(name: str = DEFAULT_NAME) -> Path:
    root = os.environ.get("APPDEPLOY_CACHE_DIR") or str(Path.home() / ".cache" / "appdeploy")
    return Path(root) / "run" / name


@dataclass(frozen=True)
class Layout:
    """Paths inside one cluster's run directory."""

    run_dir: Path

    @property
    def state_file(self) -> Path:
        return self.run_dir / "state.json"

    @property
    def admin_kubeconfig(self) -> Path:
        return self.run_dir / "kubeconfig"

    @property
    def pki_dir(self) -> Path:
        return self.run_dir / "pki"

    @property
    def kubeconfig_dir(self) -> Path:
        return self.run_dir / "kubeconfigs"

    @property
    def etcd_data_dir(self) -> Path:
        return self.run_dir / "etcd-data"

    @property
    def home_dir(self) -> Path:
        """HOME for components, so none reads the user's ~/.kube or ~/.kwok."""
        return self.run_dir / "home"

    @property
    def kwok_dir(self) -> Path:
        return self.run_dir / "kwok"

    @property
    def admission_config(self) -> Path:
        """kube-apiserver's --admission-control-config-file (its client cert for webhooks)."""
        return self.component_dir("kube-apiserver") / "admission.yaml"

    def component_dir(self, component: str) -> Path:
        return self.run_dir / component

    def log(self, component: str) -> Path:
        return self.run_dir / f"{component}.log"

    def pid_file(self, component: str) -> Path:
        return self.run_dir / f"{component}.pid"


@dataclass(frozen=True)
class Ports:
    """Loopback ports of one cluster; random so clusters can run side by side."""

    etcd_client: int
    etcd_peer: int
    apiserver: int
    controller_manager: int
    scheduler: int
    kwok: int

    @classmethod
    def allocate(cls) -> Ports:
        return cls(*free_ports(6))
