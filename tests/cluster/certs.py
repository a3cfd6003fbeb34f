"""A throw-away PKI for one local cluster: CA, serving and client certs, SA keys.

ECDSA P-256 keys everywhere: generating them takes microseconds, and every
component (Go TLS, kube-apiserver's service-account signer, Python's ssl)
accepts them.
"""

from __future__ import annotations

import datetime
import ipaddress
import os
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

_VALIDITY = datetime.timedelta(days=365)
# Backdated so a component whose clock reads slightly behind ours still
# accepts a certificate minted a moment ago.
_BACKDATE = datetime.timedelta(hours=1)
WEBHOOK_CLIENT_NAME = "kube-apiserver-webhook-client"
"""The subject of the certificate the API server presents to admission webhooks."""
_LOOPBACK_SANS: list[x509.GeneralName] = [
    x509.IPAddress(ipaddress.IPv4Address("127.0.0.1")),
    x509.DNSName("localhost"),
]


@dataclass(frozen=True)
class CertPair:
    """PEM files of one certificate and its private key."""

    cert: Path
    key: Path

    @classmethod
    def named(cls, directory: Path, stem: str) -> CertPair:
        """The pair written by create_pki under `stem` (e.g. "admin")."""
        return cls(directory / f"{stem}.crt", directory / f"{stem}.key")


@dataclass(frozen=True)
class Pki:
    """Every credential the cluster's components are started with."""

    ca: CertPair
    front_proxy_ca: CertPair
    front_proxy_client: CertPair
    apiserver: CertPair
    controller_manager_serving: CertPair
    scheduler_serving: CertPair
    admin: CertPair
    controller_manager: CertPair
    scheduler: CertPair
    kwok: CertPair
    webhook_client_ca: CertPair
    """Signs only the API server's client certificate for webhooks (admission_config.py)."""
    webhook_client: CertPair
    service_account_key: Path
    service_account_pub: Path


@dataclass(frozen=True)
class _Issuer:
    cert: x509.Certificate
    key: ec.EllipticCurvePrivateKey


def _new_key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


def _write_key(path: Path, key: ec.EllipticCurvePrivateKey) -> None:
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    # Created 0600 from the start: the key never exists world-readable.
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(pem)


def _write_cert(path: Path, cert: x509.Certificate) -> None:
    path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))


def _name(common_name: str, organization: str | None = None) -> x509.Name:
    attributes = [x509.NameAttribute(NameOID.COMMON_NAME, common_name)]
    if organization is not None:
        attributes.append(x509.NameAttribute(NameOID.ORGANIZATION_NAME, organization))
    return x509.Name(attributes)


def _builder(
    subject: x509.Name, issuer: x509.Name, public_key: ec.EllipticCurvePublicKey
) -> x509.CertificateBuilder:
    now = datetime.datetime.now(datetime.UTC)
    return (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(public_key)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - _BACKDATE)
        .not_valid_after(now + _VALIDITY)
    )


def _create_ca(directory: Path, stem: str, common_name: str) -> tuple[CertPair, _Issuer]:
    key = _new_key()
    name = _name(common_name)
    cert = (
        _builder(name, name, key.public_key())
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                key_cert_sign=True,
                crl_sign=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    pair = CertPair.named(directory, stem)
    _write_cert(pair.cert, cert)
    _write_key(pair.key, key)
    return pair, _Issuer(cert, key)


def _issue(
    directory: Path,
    stem: str,
    issuer: _Issuer,
    subject: x509.Name,
    *,
    server: bool,
) -> CertPair:
    key = _new_key()
    usage = ExtendedKeyUsageOID.SERVER_AUTH if server else ExtendedKeyUsageOID.CLIENT_AUTH
    builder = (
        _builder(subject, issuer.cert.subject, key.public_key())
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                key_encipherment=False,
                content_commitment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.ExtendedKeyUsage([usage]), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer.key.public_key()),
            critical=False,
        )
    )
    if server:
        builder = builder.add_extension(x509.SubjectAlternativeName(_LOOPBACK_SANS), critical=False)
    pair = CertPair.named(directory, stem)
    _write_cert(pair.cert, builder.sign(issuer.key, hashes.SHA256()))
    _write_key(pair.key, key)
    return pair


def create_pki(directory: Path) -> Pki:
    """Write a fresh PKI into `directory` and return the file locations."""
    directory.mkdir(parents=True, exist_ok=True)
    ca, issuer = _create_ca(directory, "ca", "appdeploy-local-cluster-ca")
    # A separate CA for the aggregation layer's request-header authentication,
    # as in kubeadm clusters: a cert from the main CA must not be able to
    # assert arbitrary users through X-Remote-User headers.
    front_proxy_ca, front_proxy_issuer = _create_ca(
        directory, "front-proxy-ca", "appdeploy-front-proxy-ca"
    )
    front_proxy_client = _issue(
        directory,
        "front-proxy-client",
        front_proxy_issuer,
        _name("front-proxy-client"),
        server=False,
    )

    # A CA of its own: a webhook that trusts it accepts the API server's
    # webhook client certificate and no other client the cluster CA signed.
    webhook_client_ca, webhook_client_issuer = _create_ca(
        directory, "webhook-client-ca", "appdeploy-webhook-client-ca"
    )

    def serving(stem: str, common_name: str) -> CertPair:
        return _issue(directory, stem, issuer, _name(common_name), server=True)

    def client(stem: str, user: str, group: str | None = None) -> CertPair:
        # The API server maps CN to the user name and O to groups.
        return _issue(directory, stem, issuer, _name(user, group), server=False)

    sa_key = _new_key()
    sa_key_path = directory / "service-account.key"
    sa_pub_path = directory / "service-account.pub"
    _write_key(sa_key_path, sa_key)
    sa_pub_path.write_bytes(
        sa_key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )
    return Pki(
        ca=ca,
        front_proxy_ca=front_proxy_ca,
        front_proxy_client=front_proxy_client,
        apiserver=serving("kube-apiserver", "kube-apiserver"),
        controller_manager_serving=serving(
            "kube-controller-manager-serving", "kube-controller-manager"
        ),
        scheduler_serving=serving("kube-scheduler-serving", "kube-scheduler"),
        admin=client("admin", "appdeploy-admin", "system:masters"),
        # The well-known names bind these to the bootstrap RBAC roles the API
        # server creates for the controller manager and the scheduler.
        controller_manager=client("kube-controller-manager", "system:kube-controller-manager"),
        scheduler=client("kube-scheduler", "system:kube-scheduler"),
        # KWOK writes status for nodes and pods, leases and events, and deletes
        # pods; an admin identity keeps that simple in a throw-away cluster.
        kwok=client("kwok", "appdeploy-kwok", "system:masters"),
        webhook_client_ca=webhook_client_ca,
        webhook_client=_issue(
            directory,
            "webhook-client",
            webhook_client_issuer,
            _name(WEBHOOK_CLIENT_NAME),
            server=False,
        ),
        service_account_key=sa_key_path,
        service_account_pub=sa_pub_path,
    )


def create_webhook_pki(directory: Path) -> tuple[CertPair, CertPair]:
    """A CA and a 127.0.0.1 serving cert it signed, for admission webhooks in tests.

    The API server dials webhooks at https://127.0.0.1:PORT and checks the
    cert against the configuration's caBundle (the returned CA).
    """
    directory.mkdir(parents=True, exist_ok=True)
    ca, issuer = _create_ca(directory, "webhook-ca", "appdeploy-webhook-ca")
    server = _issue(directory, "webhook", issuer, _name("appdeploy-webhook"), server=True)
    return ca, server
