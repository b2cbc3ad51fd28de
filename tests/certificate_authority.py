"""A throw-away certificate authority for tests (the dev stack's, `orders_cli.dev_certs`): a CA,
and server and client certificates it signed, written as PEM files the servers and clients are
given by path."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from orders_cli.dev_certs import Authority, issue, new_authority, write_private


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
    _authority: Authority

    def issue(self, name: str, *, server: bool) -> CertificateFiles:
        """A certificate for `localhost` and 127.0.0.1 (server) or for the client `name`."""
        certificate, key = issue(self._authority, name, server=server)
        files = CertificateFiles(
            self.folder / f"{name}.crt", self.folder / f"{name}.key", self.folder / f"{name}.pem"
        )
        files.certificate.write_bytes(certificate)
        write_private(files.private_key, key)
        write_private(files.combined, certificate + key)
        return files


def create_authority(folder: Path) -> CertificateAuthority:
    folder.mkdir(parents=True, exist_ok=True)
    authority = new_authority("orders test CA")
    ca_certificate = folder / "ca.crt"
    ca_certificate.write_bytes(authority.cert_pem)
    return CertificateAuthority(folder, ca_certificate, authority)
