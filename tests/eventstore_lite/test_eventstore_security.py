"""TLS and users: the embedded server answers credentials as a secure KurrentDB node does, so the
official client raises its own exceptions for a wrong password or a missing one."""

from __future__ import annotations

import asyncio
import base64
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import grpc
import pytest
from kurrentdbclient import AsyncKurrentDBClient, NewEvent, StreamState
from kurrentdbclient.exceptions import ServiceUnavailableError, UnauthenticatedError
from kurrentdbclient.protos.v1 import shared_pb2, streams_pb2, streams_pb2_grpc

from eventstore_lite.access import authenticated, parse_users
from eventstore_lite.testing import EventStoreProcess
from tests.certificate_authority import CertificateAuthority, create_authority

# Starts server processes in its tests' bodies (not `make test-unit`).
pytestmark = pytest.mark.servers

ADMIN_PASSWORD = "s3cret-admin-pw"
USERS = "orders-writer:writer-pw:with-colon\nreporter:reporter-pw\n"


@pytest.fixture(scope="module")
def authority(tmp_path_factory: pytest.TempPathFactory) -> CertificateAuthority:
    return create_authority(tmp_path_factory.mktemp("ca"))


@pytest.fixture(scope="module")
def secure_eventstore(
    tmp_path_factory: pytest.TempPathFactory, authority: CertificateAuthority
) -> Iterator[EventStoreProcess]:
    node = authority.issue("node", server=True)
    users = tmp_path_factory.mktemp("users") / "users"
    users.write_text(USERS)
    process = EventStoreProcess(
        tmp_path_factory.mktemp("secure-eventstore"),
        environment={
            "EVENTSTORE_LITE_CERTIFICATE_FILE": str(node.certificate),
            "EVENTSTORE_LITE_CERTIFICATE_PRIVATE_KEY_FILE": str(node.private_key),
            "EVENTSTORE_LITE_DEFAULT_ADMIN_PASSWORD": ADMIN_PASSWORD,
            "EVENTSTORE_LITE_USERS_FILE": str(users),
        },
    )
    process.start()
    yield process
    process.terminate()


def _uri(process: EventStoreProcess, authority: CertificateAuthority, user_info: str) -> str:
    return (
        f"kurrentdb://{user_info}@localhost:{process.port}"
        f"?tls=true&tlsCaFile={authority.ca_certificate}"
    )


async def _append_one(uri: str) -> int:
    client = AsyncKurrentDBClient(uri)
    try:
        await client.connect()
        return await client.append_to_stream(
            f"secure-{uuid.uuid4().hex}",
            current_version=StreamState.NO_STREAM,
            events=[NewEvent(type="Checked", data=b"{}")],
        )
    finally:
        await client.close()


def test_a_secure_server_announces_a_tls_connection_string_without_credentials(
    secure_eventstore: EventStoreProcess,
) -> None:
    assert secure_eventstore.uri == f"kurrentdb://127.0.0.1:{secure_eventstore.port}?tls=true"


@pytest.mark.parametrize(
    "user_info",
    [f"admin:{ADMIN_PASSWORD}", "orders-writer:writer-pw:with-colon", "reporter:reporter-pw"],
)
async def test_a_known_user_appends_over_tls(
    secure_eventstore: EventStoreProcess, authority: CertificateAuthority, user_info: str
) -> None:
    assert await _append_one(_uri(secure_eventstore, authority, user_info)) > 0


@pytest.mark.parametrize(
    "user_info", ["admin:changeit", "admin:wrong", "nobody:reporter-pw", "reporter:Reporter-pw"]
)
async def test_wrong_credentials_are_refused_as_unauthenticated(
    secure_eventstore: EventStoreProcess, authority: CertificateAuthority, user_info: str
) -> None:
    with pytest.raises(UnauthenticatedError, match="Unauthenticated"):
        await _append_one(_uri(secure_eventstore, authority, user_info))


async def test_a_call_without_credentials_is_denied_access_as_kurrentdb_denies_anonymous(
    secure_eventstore: EventStoreProcess, authority: CertificateAuthority
) -> None:
    credentials = grpc.ssl_channel_credentials(authority.ca_certificate.read_bytes())
    async with grpc.aio.secure_channel(f"localhost:{secure_eventstore.port}", credentials) as ch:
        stub = streams_pb2_grpc.StreamsStub(ch)  # type: ignore[no-untyped-call]
        request = streams_pb2.DeleteReq(
            options=streams_pb2.DeleteReq.Options(
                stream_identifier=shared_pb2.StreamIdentifier(stream_name=b"anything"),
                any=shared_pb2.Empty(),
            )
        )
        with pytest.raises(grpc.aio.AioRpcError) as refused:
            await stub.Delete(request)
    assert refused.value.code() == grpc.StatusCode.PERMISSION_DENIED
    assert refused.value.details() == "Access Denied"
    assert ("exception", "access-denied") in tuple(refused.value.trailing_metadata() or ())


async def test_a_client_without_tls_cannot_talk_to_a_secure_server(
    secure_eventstore: EventStoreProcess,
) -> None:
    uri = f"kurrentdb://localhost:{secure_eventstore.port}?tls=false&defaultDeadline=5"
    with pytest.raises(ServiceUnavailableError):
        await _append_one(uri)


def test_a_certificate_without_its_key_is_refused_at_start(
    tmp_path: Path, authority: CertificateAuthority
) -> None:
    node = authority.issue("lonely", server=True)
    started = subprocess.run(
        [sys.executable, "-m", "eventstore_lite", "--port", "0", "--data", str(tmp_path)],
        env={"EVENTSTORE_LITE_CERTIFICATE_FILE": str(node.certificate), "PATH": ""},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert started.returncode == 2
    assert "EVENTSTORE_LITE_CERTIFICATE_PRIVATE_KEY go together" in started.stderr


def test_users_without_tls_are_refused_at_start_and_their_passwords_not_shown(
    tmp_path: Path,
) -> None:
    started = subprocess.run(
        [sys.executable, "-m", "eventstore_lite", "--port", "0", "--data", str(tmp_path)],
        env={"EVENTSTORE_LITE_USERS": "someone:very-secret-pw", "PATH": ""},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert started.returncode == 2
    assert "EVENTSTORE_LITE_USERS needs TLS" in started.stderr
    assert "very-secret-pw" not in started.stderr + started.stdout


def _basic(user_info: str) -> str:
    return "Basic " + base64.b64encode(user_info.encode()).decode()


@pytest.mark.parametrize(
    ("header", "accepted"),
    [
        (_basic("admin:pw:x"), True),
        (_basic("admin:pw"), False),
        (_basic("admin"), False),
        (_basic("root:pw:x"), False),
        ("Bearer abc", False),
        ("Basic not-base64!", False),
        (None, False),
    ],
)
def test_only_a_known_user_with_the_right_password_is_authenticated(
    header: str | None, accepted: bool
) -> None:
    assert authenticated({"admin": "pw:x"}, header) is accepted


def test_a_users_file_line_without_a_password_is_refused_without_showing_the_line() -> None:
    with pytest.raises(ValueError, match="line 2 is not name:password") as refused:
        parse_users("a:secret-one\nb-secret-two\n")
    assert "secret" not in str(refused.value)


async def test_the_command_line_flags_name_the_certificate_key_and_users_files(
    tmp_path: Path, authority: CertificateAuthority
) -> None:
    node = authority.issue("flagged", server=True)
    users = tmp_path / "users"
    users.write_text("flagged:flag-pw\n")
    command = [sys.executable, "-m", "eventstore_lite", "--port", "0", "--data", str(tmp_path)]
    command += ["--certificate-file", str(node.certificate)]
    command += ["--certificate-private-key-file", str(node.private_key), "--users-file", str(users)]
    server = await asyncio.create_subprocess_exec(*command, stdout=asyncio.subprocess.PIPE)
    try:
        assert server.stdout is not None
        announced = (await server.stdout.readline()).decode().strip()
        port = int(announced.split("?")[0].rsplit(":", 1)[1])
        uri = f"kurrentdb://flagged:flag-pw@localhost:{port}?tls=true"
        position = await _append_one(f"{uri}&tlsCaFile={authority.ca_certificate}")
    finally:
        server.terminate()
        await server.wait()
    assert announced.endswith("?tls=true")
    assert position > 0
