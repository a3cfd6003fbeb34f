"""Kubeconfig files for the admin and for each component."""

from __future__ import annotations

import base64
import os
from pathlib import Path

import yaml

from tests.cluster.certs import CertPair


def b64(path: Path) -> str:
    """A file's bytes as base64 text, as kubeconfig ``*-data`` fields hold them."""
    return base64.b64encode(path.read_bytes()).decode("ascii")


def write_kubeconfig(
    path: Path,
    *,
    server: str,
    ca: Path,
    client: CertPair,
    name: str,
    user: str,
) -> Path:
    """Write a self-contained kubeconfig (credentials embedded, mode 0600).

    Embedding the PEM data keeps the file usable after it is copied elsewhere
    (for example into a test report) and avoids relative-path surprises.
    """
    config = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [
            {
                "name": name,
                "cluster": {"server": server, "certificate-authority-data": b64(ca)},
            }
        ],
        "users": [
            {
                "name": user,
                "user": {
                    "client-certificate-data": b64(client.cert),
                    "client-key-data": b64(client.key),
                },
            }
        ],
        "contexts": [{"name": name, "context": {"cluster": name, "user": user}}],
        "current-context": name,
        "preferences": {},
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        yaml.safe_dump(config, handle, sort_keys=False)
    return path
