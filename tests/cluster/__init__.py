"""A real, local Kubernetes control plane for tests and demos (no Docker).

etcd, kube-apiserver, kube-controller-manager and kube-scheduler built from Go
modules, plus KWOK simulating one node whose pods follow the Stage rules in
stages/. Everything listens on and dials 127.0.0.1 only. See
docs/local-cluster.md.
"""

from tests.cluster.errors import ClusterError, ComponentError
from tests.cluster.launcher import Cluster, Status, down, status, up
from tests.cluster.layout import default_run_dir
from tests.cluster.wait import WaitTimeout, wait_for

__all__ = [
    "Cluster",
    "ClusterError",
    "ComponentError",
    "Status",
    "WaitTimeout",
    "default_run_dir",
    "down",
    "status",
    "up",
    "wait_for",
]
