"""What `orders dev` hands its children: its own values win over the inherited environment,
including over an inherited `NAME_FILE` the child would otherwise refuse beside `NAME`."""

from __future__ import annotations

from pathlib import Path

from pymongo import MongoClient

from orders_cli.stack_settings import StackSettings
from orders_cli.supervisor import child_environment


def test_a_child_gets_the_stacks_values_and_no_file_variable_that_would_clash() -> None:
    inherited = {
        "PATH": "/usr/bin",
        "MONGO_URI_FILE": "/run/secrets/mongo_uri",
        "MONGO_URI": "mongodb://elsewhere/",
        "EVENTSTORE_URI_FILE": "/run/secrets/eventstore_uri",
    }
    own = {"MONGO_URI": "mongodb://127.0.0.1:27017/?directConnection=true"}

    assert child_environment(inherited, own) == {
        "PATH": "/usr/bin",
        "MONGO_URI": "mongodb://127.0.0.1:27017/?directConnection=true",
        "EVENTSTORE_URI_FILE": "/run/secrets/eventstore_uri",
    }


def test_the_dev_stack_talks_to_the_stand_in_without_retryable_writes() -> None:
    # Built without connecting: the driver reads its options from the string alone.
    uri = StackSettings(data_dir=Path("unused")).mongo_uri
    client: MongoClient[dict[str, object]] = MongoClient(uri, connect=False)

    assert client.options.retry_writes is False
    client.close()
