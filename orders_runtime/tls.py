"""TLS for the services' gRPC servers: certificate and key files, re-read when they change, and
optionally the CA that client certificates must chain to (mutual TLS).

grpc asks the fetcher for a new configuration at each TLS handshake; it compares the files'
modification times and sizes (a stat, no read) and reloads only on a change, so a renewed
certificate (cert-manager, a cron job) is served to new connections without a restart.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path

import grpc
import structlog


@dataclass(frozen=True, slots=True)
class TlsFiles:
    cert: Path
    key: Path
    # The CA that signs client certificates; None: clients are not asked for one.
    client_ca: Path | None = None
    # With a client CA: whether a client without a certificate is refused at the handshake.
    require_client_cert: bool = True

    @property
    def paths(self) -> tuple[Path, ...]:
        return (
            (self.cert, self.key)
            if self.client_ca is None
            else (self.cert, self.key, self.client_ca)
        )


def server_credentials(files: TlsFiles) -> grpc.ServerCredentials:
    """Credentials that serve the files' current contents; raises OSError if they cannot be read."""
    reloader = _Reloader(files)
    return grpc.dynamic_ssl_server_credentials(
        reloader.initial(),
        # grpc reads None as "unchanged"; the stubs do not say so.
        reloader.fetch,  # type: ignore[arg-type]
        require_client_authentication=files.client_ca is not None and files.require_client_cert,
    )


_Stamp = tuple[tuple[int, int], ...]


class _Reloader:
    def __init__(self, files: TlsFiles) -> None:
        self._files = files
        self._stamp: _Stamp = ()
        # grpc calls the fetcher from its own threads.
        self._lock = threading.Lock()
        self._log = structlog.get_logger("orders_runtime.tls")

    def initial(self) -> grpc.ServerCertificateConfiguration:
        with self._lock:
            self._stamp = self._stamped()
            return self._configuration()

    def fetch(self) -> grpc.ServerCertificateConfiguration | None:
        """A new configuration if the files changed since the last one; None keeps the last."""
        with self._lock:
            try:
                stamp = self._stamped()
                if stamp == self._stamp:
                    return None
                configuration = self._configuration()
            except OSError as error:
                # A renewal caught half-way (one file replaced, the other not yet): keep serving
                # the last pair and try again at the next handshake.
                self._log.warning("tls files unreadable, keeping the last ones", reason=str(error))
                return None
            self._stamp = stamp
            self._log.info("tls files reloaded", cert=str(self._files.cert))
            return configuration

    def _stamped(self) -> _Stamp:
        stats = (path.stat() for path in self._files.paths)
        return tuple((stat.st_mtime_ns, stat.st_size) for stat in stats)

    def _configuration(self) -> grpc.ServerCertificateConfiguration:
        files = self._files
        return grpc.ssl_server_certificate_configuration(
            [(files.key.read_bytes(), files.cert.read_bytes())],
            root_certificates=None if files.client_ca is None else files.client_ca.read_bytes(),
        )
