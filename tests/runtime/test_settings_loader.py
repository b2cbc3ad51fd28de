"""orders_runtime.settings without processes: every bad variable named at once, defaults,
conversion, `NAME_FILE` secrets, and secret values never shown."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated

import pytest
from msgspec import Meta

from orders_runtime.credentials import without_credentials
from orders_runtime.setting_types import (
    Count,
    EventStoreUri,
    Flag,
    Folder,
    LogLevel,
    MongoUri,
    Port,
    PositiveSeconds,
)
from orders_runtime.settings import (
    SettingsError,
    Variable,
    load_settings,
    settings_from,
    variable_names,
)
from write_service.settings import Settings as WriteSettings

SECRET = "hunter2-do-not-print"


@dataclass(frozen=True, slots=True)
class Example:
    data: Annotated[Folder, Variable("EXAMPLE_DATA")]
    port: Annotated[Port, Variable("EXAMPLE_PORT")] = 8080
    retries: Annotated[Count, Variable("EXAMPLE_RETRIES")] = 3
    ratio: Annotated[float, Meta(gt=0, le=1), Variable("EXAMPLE_RATIO")] = 0.5
    timeout: Annotated[PositiveSeconds, Variable("EXAMPLE_TIMEOUT_SECONDS")] = 1.0
    enabled: Annotated[Flag, Variable("EXAMPLE_ENABLED")] = True
    log_level: Annotated[LogLevel, Variable("LOG_LEVEL")] = "INFO"
    mongo_uri: Annotated[MongoUri, Variable("EXAMPLE_MONGO_URI", secret=True)] = field(
        default="mongodb://localhost/", repr=False
    )


def _refusal(environ: dict[str, str]) -> SettingsError:
    with pytest.raises(SettingsError) as caught:
        settings_from(Example, {"EXAMPLE_DATA": "/srv", **environ})
    return caught.value


def test_every_bad_variable_is_named_in_one_message_with_what_it_expects() -> None:
    error = _refusal(
        {
            "EXAMPLE_PORT": "70000",
            "EXAMPLE_RETRIES": "-1",
            "EXAMPLE_RATIO": "2",
            "EXAMPLE_TIMEOUT_SECONDS": "soon",
            "EXAMPLE_ENABLED": "maybe",
            "LOG_LEVEL": "loud",
        }
    )
    assert str(error).splitlines() == [
        "6 invalid settings:",
        "  EXAMPLE_PORT='70000': expected a port number from 0 to 65535",
        "  EXAMPLE_RETRIES='-1': expected a whole number, 0 or more",
        "  EXAMPLE_RATIO='2': expected a number, above 0 and at most 1",
        "  EXAMPLE_TIMEOUT_SECONDS='soon': expected a number of seconds above 0",
        "  EXAMPLE_ENABLED='maybe': expected true or false",
        "  LOG_LEVEL='loud': expected one of DEBUG, INFO, WARNING, ERROR or CRITICAL",
    ]
    assert [problem.variable for problem in error.problems] == [
        "EXAMPLE_PORT",
        "EXAMPLE_RETRIES",
        "EXAMPLE_RATIO",
        "EXAMPLE_TIMEOUT_SECONDS",
        "EXAMPLE_ENABLED",
        "LOG_LEVEL",
    ]


def test_unset_and_empty_variables_leave_the_defaults() -> None:
    settings = settings_from(Example, {"EXAMPLE_DATA": "/srv", "EXAMPLE_PORT": "  ", "X": "1"})
    assert settings == Example(data=Path("/srv"))


def test_values_are_trimmed_converted_and_normalised() -> None:
    settings = settings_from(
        Example,
        {
            "EXAMPLE_DATA": " data/dir ",
            "EXAMPLE_PORT": " 0 ",
            "EXAMPLE_RETRIES": "0",
            "EXAMPLE_RATIO": "1",
            "EXAMPLE_TIMEOUT_SECONDS": "0.25",
            "EXAMPLE_ENABLED": "Off",
            "LOG_LEVEL": "warning",
            "EXAMPLE_MONGO_URI": "mongodb+srv://cluster.example/",
        },
    )
    assert settings == Example(
        data=Path("data/dir"),
        port=0,
        retries=0,
        ratio=1.0,
        timeout=0.25,
        enabled=False,
        log_level="WARNING",
        mongo_uri="mongodb+srv://cluster.example/",
    )


@pytest.mark.parametrize("word", ["1", "true", "YES", "on"])
def test_a_flag_takes_the_usual_words_for_true(word: str) -> None:
    assert settings_from(Example, {"EXAMPLE_DATA": "/", "EXAMPLE_ENABLED": word}).enabled


@pytest.mark.parametrize("value", ["nan", "inf", "-inf", "infinity"])
def test_numbers_that_are_not_finite_are_refused(value: str) -> None:
    error = _refusal({"EXAMPLE_TIMEOUT_SECONDS": value})
    assert [problem.variable for problem in error.problems] == ["EXAMPLE_TIMEOUT_SECONDS"]


def test_a_required_variable_that_is_not_set_is_named() -> None:
    with pytest.raises(SettingsError) as caught:
        settings_from(Example, {"EXAMPLE_PORT": "x"})
    assert str(caught.value).splitlines()[1:] == [
        "  EXAMPLE_DATA is not set: expected a folder path",
        "  EXAMPLE_PORT='x': expected a port number from 0 to 65535",
    ]


def test_a_value_is_read_from_the_file_its_file_variable_names(tmp_path: Path) -> None:
    secret = tmp_path / "mongo_uri"
    secret.write_text(f"mongodb://app:{SECRET}@db1,db2/?replicaSet=rs0\n")
    port = tmp_path / "port"
    port.write_text("9000")
    settings = settings_from(
        Example,
        {
            "EXAMPLE_DATA": "/srv",
            "EXAMPLE_MONGO_URI_FILE": str(secret),
            "EXAMPLE_PORT_FILE": str(port),
        },
    )
    assert settings.mongo_uri == f"mongodb://app:{SECRET}@db1,db2/?replicaSet=rs0"
    assert settings.port == 9000


def test_a_secrets_bad_value_is_never_shown_whether_set_directly_or_in_a_file(
    tmp_path: Path,
) -> None:
    secret = tmp_path / "mongo_uri"
    secret.write_text(f"postgres://app:{SECRET}@db")
    direct = _refusal({"EXAMPLE_MONGO_URI": f"postgres://app:{SECRET}@db"})
    from_file = _refusal({"EXAMPLE_MONGO_URI_FILE": str(secret)})

    assert SECRET not in str(direct)
    assert SECRET not in str(from_file)
    assert str(direct).splitlines()[1] == (
        "  EXAMPLE_MONGO_URI (secret, value not shown): expected a MongoDB connection string:"
        " mongodb:// or mongodb+srv:// then the host(s)"
    )
    assert f"(read from EXAMPLE_MONGO_URI_FILE='{secret}')" in str(from_file)


def test_a_non_secret_bad_value_from_a_file_is_shown_with_the_file(tmp_path: Path) -> None:
    port = tmp_path / "port"
    port.write_text("http\n")
    error = _refusal({"EXAMPLE_PORT_FILE": str(port)})
    assert str(error).splitlines()[1] == (
        f"  EXAMPLE_PORT='http' (read from EXAMPLE_PORT_FILE='{port}'):"
        " expected a port number from 0 to 65535"
    )


def test_a_file_that_is_missing_or_empty_is_named_with_its_path(tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.write_text("\n")
    missing = tmp_path / "missing"
    error = _refusal({"EXAMPLE_MONGO_URI_FILE": str(missing), "EXAMPLE_PORT_FILE": str(empty)})
    assert str(error).splitlines()[1:] == [
        f"  EXAMPLE_PORT_FILE='{empty}': the file is empty, expected the value",
        f"  EXAMPLE_MONGO_URI_FILE='{missing}': cannot read the file (No such file or directory)",
    ]


def test_a_variable_and_its_file_variable_together_are_refused(tmp_path: Path) -> None:
    port = tmp_path / "port"
    port.write_text("9000")
    error = _refusal({"EXAMPLE_PORT": "9001", "EXAMPLE_PORT_FILE": str(port)})
    assert str(error).splitlines()[1] == (
        "  EXAMPLE_PORT and EXAMPLE_PORT_FILE are both set: expected one of them"
    )


def test_load_settings_prints_the_one_message_and_exits_with_code_2(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with pytest.raises(SystemExit) as exit_:
        load_settings(Example, {"EXAMPLE_PORT": "-5", "LOG_LEVEL": "x"}, program="example")
    assert exit_.value.code == 2
    assert capsys.readouterr().err.splitlines() == [
        "example: cannot start: 3 invalid settings:",
        "  EXAMPLE_DATA is not set: expected a folder path",
        "  EXAMPLE_PORT='-5': expected a port number from 0 to 65535",
        "  LOG_LEVEL='x': expected one of DEBUG, INFO, WARNING, ERROR or CRITICAL",
    ]


def test_a_settings_class_shows_no_secret_in_its_repr() -> None:
    uri = f"kurrentdb://admin:{SECRET}@store:2113?tls=false"
    settings = settings_from(WriteSettings, {"EVENTSTORE_URI": uri})
    assert settings.eventstore_uri == uri
    assert SECRET not in repr(settings)


def test_a_field_without_a_variable_is_a_programming_error() -> None:
    @dataclass(frozen=True)
    class Unnamed:
        port: Port = 1

    with pytest.raises(TypeError, match=r"Unnamed\.port"):
        settings_from(Unnamed, {})


def test_each_fields_variable_can_be_looked_up_by_field_name() -> None:
    names = variable_names(Example)
    assert names["port"] == "EXAMPLE_PORT"
    assert names["mongo_uri"] == "EXAMPLE_MONGO_URI"
    assert len(names) == 8


@pytest.mark.parametrize(
    ("uri", "logged"),
    [
        (
            "kurrentdb+discover://admin:pw@n1:2113,n2:2113",
            "kurrentdb+discover://***@n1:2113,n2:2113",
        ),
        ("mongodb://u:p%40ss@m1,m2/?replicaSet=rs0", "mongodb://***@m1,m2/?replicaSet=rs0"),
        ("mongodb://127.0.0.1:27017/?directConnection=true", None),
        ("kurrentdb://store:2113?tls=false&note=a@b", None),
    ],
)
def test_connection_strings_are_logged_without_credentials(uri: str, logged: str | None) -> None:
    assert without_credentials(uri) == (uri if logged is None else logged)


@pytest.mark.parametrize(
    "uri",
    ["kurrentdb://h:2113?tls=false", "esdb+discover://a,b", "kdb://h", "kurrentdb+discover://x"],
)
def test_every_scheme_of_the_event_store_client_is_accepted(uri: str) -> None:
    @dataclass(frozen=True)
    class Store:
        uri: Annotated[EventStoreUri, Variable("STORE_URI")] = "kurrentdb://h"

    assert settings_from(Store, {"STORE_URI": uri}).uri == uri
