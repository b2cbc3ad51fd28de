"""The soak's projector connects without retryable writes: past 10,000 of them SecantusDB sorts
every kept reply on each write, which was the soak's lag spike."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

from pymongo import AsyncMongoClient

from bench.soak_secantus import without_retryable_writes


def test_the_projector_uri_turns_retryable_writes_off_and_keeps_the_other_options() -> None:
    uri = without_retryable_writes("mongodb://127.0.0.1:27017/?directConnection=true")

    assert parse_qs(urlsplit(uri).query) == {
        "directConnection": ["true"],
        "retryWrites": ["false"],
    }


def test_a_uri_that_asked_for_retryable_writes_gets_them_off() -> None:
    uri = without_retryable_writes("mongodb://h1,h2/?retryWrites=true&replicaSet=rs")

    assert parse_qs(urlsplit(uri).query) == {"replicaSet": ["rs"], "retryWrites": ["false"]}


def test_the_driver_reads_the_projector_uri_as_no_retryable_writes() -> None:
    # Built without connecting: the options are parsed from the string alone.
    client: AsyncMongoClient[dict[str, object]] = AsyncMongoClient(
        without_retryable_writes("mongodb://127.0.0.1:1/?directConnection=true"), connect=False
    )

    assert client.options.retry_writes is False
