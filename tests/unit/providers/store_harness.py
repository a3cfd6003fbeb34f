"""Run a store action the way a Job does: a real ``python -m appdeploy provider …`` subprocess.

The program gets its target and credentials through the environment and
writes its result to a termination-log file; the test reads that file, as
the kubelet would. Proxy variables are dropped so nothing leaves 127.0.0.1.
"""

from __future__ import annotations

import functools
import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

PROGRAM_TIMEOUT = 60.0
PROXY_VARIABLES = (
    "HTTP_PROXY",
    "HTTPS_PROXY",
    "ALL_PROXY",
    "http_proxy",
    "https_proxy",
    "all_proxy",
)


@dataclass(frozen=True)
class KeyPair:
    private_pem: str
    public_pem: str


def _pems(private: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey) -> KeyPair:
    private_pem = private.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    public_pem = (
        private.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    return KeyPair(private_pem, public_pem)


@functools.cache
def rsa_key(name: str = "play") -> KeyPair:
    """A test RSA key pair, made once per name (a second name is "someone else's key")."""
    return _pems(rsa.generate_private_key(public_exponent=65537, key_size=2048))


@functools.cache
def p256_key(name: str = "asc") -> KeyPair:
    """A test P-256 key pair, as App Store Connect's .p8 keys are."""
    return _pems(ec.generate_private_key(ec.SECP256R1()))


@dataclass(frozen=True)
class Outcome:
    code: int
    result: dict[str, str]
    """What the termination log holds (empty when nothing was written)."""
    stdout: str
    stderr: str


def run_provider(args: list[str], env: dict[str, str], termination_log: Path | str) -> Outcome:
    """Run ``appdeploy provider ARGS`` with ``env`` added and return what it left behind."""
    environ = {k: v for k, v in os.environ.items() if k not in PROXY_VARIABLES}
    environ.update(env)
    environ["NO_PROXY"] = "127.0.0.1,localhost"
    log = Path(termination_log)
    if log.exists():
        log.unlink()
    completed = subprocess.run(
        [sys.executable, "-m", "appdeploy", "provider", *args, "--termination-log", str(log)],
        env=environ,
        capture_output=True,
        text=True,
        timeout=PROGRAM_TIMEOUT,
        check=False,
    )
    result = json.loads(log.read_text()) if log.exists() else {}
    return Outcome(completed.returncode, result, completed.stdout, completed.stderr)
