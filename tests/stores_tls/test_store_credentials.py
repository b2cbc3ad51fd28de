"""Credentials given apart from the connection strings, as the drivers finally receive them.

SecantusDB has no MONGODB-X509 authentication (it checks client certificates at the TLS layer
only), so X.509 is checked here as the options pymongo is given, not against a server."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from kurrentdbclient.connection_spec import ConnectionSpec
from pymongo import AsyncMongoClient

from orders_runtime.settings import SettingsError, settings_from
from projector.settings import Settings as ProjectorSettings
from read_service.settings import Settings as ReadSettings
from tests.certificate_authority import create_authority
from write_service.settings import Settings as WriteSettings

STORE = "kurrentdb://store-1:2113?tls=true&tlsCaFile=/run/secrets/ca.crt"


def test_the_event_store_user_and_password_reach_the_client_through_the_uri() -> None:
    settings = settings_from(
        WriteSettings,
        {
            "EVENTSTORE_URI": STORE,
            "EVENTSTORE_USERNAME": "orders",
            "EVENTSTORE_PASSWORD": "p4ss:word,with-punctuation!",
        },
    )
    spec = ConnectionSpec(settings.eventstore_connection)
    assert (spec.username, spec.password) == ("orders", "p4ss:word,with-punctuation!")
    assert spec.targets == ["store-1:2113"]
    assert spec.options.tls_ca_file == "/run/secrets/ca.crt"
    assert "p4ss" not in repr(settings)


def test_the_event_store_password_is_read_from_its_secret_file(tmp_path: Path) -> None:
    secret = tmp_path / "eventstore_password"
    secret.write_text("from-a-file\n")
    settings = settings_from(
        ProjectorSettings,
        {
            "EVENTSTORE_URI": STORE,
            "EVENTSTORE_USERNAME": "orders",
            "EVENTSTORE_PASSWORD_FILE": str(secret),
        },
    )
    assert ConnectionSpec(settings.eventstore_connection).password == "from-a-file"


@pytest.mark.parametrize(
    ("environment", "named"),
    [
        ({"EVENTSTORE_USERNAME": "orders"}, "EVENTSTORE_USERNAME and EVENTSTORE_PASSWORD go"),
        (
            {
                "EVENTSTORE_URI": "kurrentdb://admin:other-secret@store:2113?tls=true",
                "EVENTSTORE_USERNAME": "orders",
                "EVENTSTORE_PASSWORD": "the-secret",
            },
            "EVENTSTORE_URI already names a user",
        ),
        ({"EVENTSTORE_USERNAME": "orders", "EVENTSTORE_PASSWORD": "a/b@c"}, "EVENTSTORE_PASSWORD"),
        ({"MONGO_PASSWORD": "lonely-secret"}, "MONGO_USERNAME and MONGO_PASSWORD go together"),
        (
            {"EVENTSTORE_URI": "kurrentdb://store:2113"},
            "EVENTSTORE_URI asks for TLS (tls=true, also the client's default",
        ),
        (
            {"EVENTSTORE_URI": "kurrentdb://u:secret-pw@store:2113?tls=false&tlss=true"},
            "Unknown field in connection query string: TLSS",
        ),
    ],
)
def test_credentials_the_clients_cannot_carry_are_refused_without_showing_them(
    environment: dict[str, str], named: str
) -> None:
    with pytest.raises(SettingsError) as refused:
        settings_from(ProjectorSettings, environment)
    assert named in str(refused.value)
    assert "secret" not in str(refused.value).replace("(secret, value not shown)", "")


async def test_the_mongodb_user_and_password_are_given_to_the_driver_beside_the_uri(
    tmp_path: Path,
) -> None:
    ca = create_authority(tmp_path).ca_certificate
    settings = settings_from(
        ReadSettings,
        {
            "MONGO_URI": f"mongodb://m1,m2/?replicaSet=rs0&tls=true&tlsCAFile={ca}",
            "MONGO_USERNAME": "orders",
            "MONGO_PASSWORD": "mongo/pass@word",
        },
    )
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(
        settings.mongo_uri, connect=False, **settings.mongo_credentials
    )
    credentials = client.options.pool_options._credentials
    assert credentials is not None
    assert (credentials.username, credentials.password) == ("orders", "mongo/pass@word")
    assert client.options.pool_options._ssl_context is not None
    await client.close()


async def test_x509_authentication_needs_no_password_only_the_uri(tmp_path: Path) -> None:
    client_certificate = create_authority(tmp_path).issue("orders-projector", server=False)
    uri = (
        "mongodb://m1/?tls=true&authMechanism=MONGODB-X509"
        f"&tlsCAFile={tmp_path / 'ca.crt'}&tlsCertificateKeyFile={client_certificate.combined}"
    )
    settings = settings_from(ReadSettings, {"MONGO_URI": uri})
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(
        settings.mongo_uri, connect=False, **settings.mongo_credentials
    )
    credentials = client.options.pool_options._credentials
    assert credentials is not None
    assert credentials.mechanism == "MONGODB-X509"
    assert credentials.password is None
    await client.close()
