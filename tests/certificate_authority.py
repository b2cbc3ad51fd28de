"""A throw-away certificate authority for tests: a CA, and server and client certificates it
signed, written as PEM files the servers and clients are given by path."""

from __future__ import annotations

import datetime
import ipaddress
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID


@dataclass(frozen=True)
class CertificateFiles:
    certificate: Path
    private_key: Path
    # Certificate and key in one file, as MongoDB's tlsCertificateKeyFile wants them.
    combined: Path


@dataclass(frozen=True)
class CertificateAuthority:
    folder: Path
    ca_certificate: Path
    _key: ec.EllipticCurvePrivateKey
    _certificate: x509.Certificate

    def issue(self, name: str, *, server: bool) -> CertificateFiles:
        """A certificate for `localhost` and 127.0.0.1 (server) or for the client `name`."""
        key = ec.generate_private_key(ec.SECP256R1())
        usage = ExtendedKeyUsageOID.SERVER_AUTH if server else ExtendedKeyUsageOID.CLIENT_AUTH
        builder = (
            _valid_now(x509.CertificateBuilder())
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)]))
            .issuer_name(self._certificate.subject)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.ExtendedKeyUsage([usage]), critical=False)
        )
        if server:
            names = x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            )
            builder = builder.add_extension(names, critical=False)
        certificate = builder.sign(self._key, hashes.SHA256())
        return _write(self.folder, name, certificate, key)


def create_authority(folder: Path) -> CertificateAuthority:
    folder.mkdir(parents=True, exist_ok=True)
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "orders test CA")])
    certificate = (
        _valid_now(x509.CertificateBuilder())
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .sign(key, hashes.SHA256())
    )
    files = _write(folder, "ca", certificate, key)
    return CertificateAuthority(folder, files.certificate, key, certificate)


def _valid_now(builder: x509.CertificateBuilder) -> x509.CertificateBuilder:
    now = datetime.datetime.now(datetime.UTC)
    return builder.not_valid_before(now - datetime.timedelta(minutes=5)).not_valid_after(
        now + datetime.timedelta(days=1)
    )


def _write(
    folder: Path, name: str, certificate: x509.Certificate, key: ec.EllipticCurvePrivateKey
) -> CertificateFiles:
    certificate_pem = certificate.public_bytes(serialization.Encoding.PEM)
    key_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    files = CertificateFiles(folder / f"{name}.crt", folder / f"{name}.key", folder / f"{name}.pem")
    files.certificate.write_bytes(certificate_pem)
    files.private_key.write_bytes(key_pem)
    files.combined.write_bytes(certificate_pem + key_pem)
    for path in (files.private_key, files.combined):
        path.chmod(0o600)
    return files
