"""deploy/cluster/docker-compose.yml, checked without a Docker engine: the compose schema, and the
shape a highly available run needs (three KurrentDB nodes that find each other by gossip, a
three-member replica set that is initiated, two replicas of every service)."""

from __future__ import annotations

import copy
import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from kurrentdbclient.connection_spec import ConnectionSpec

from orders_runtime.store_credentials import eventstore_uri_with
from tests.deploy.test_compose import SERVICES, _validator, _variables_read_by

CLUSTER = Path(__file__).resolve().parents[2] / "deploy" / "cluster" / "docker-compose.yml"
NODES = ("kurrentdb-1", "kurrentdb-2", "kurrentdb-3")
MEMBERS = ("mongodb-1", "mongodb-2", "mongodb-3")


def _cluster() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(CLUSTER.read_text())
    return loaded


def test_the_cluster_file_follows_the_compose_specification() -> None:
    errors = [error.message for error in _validator().iter_errors(_cluster())]
    assert errors == []


def test_the_schema_check_rejects_a_misspelt_deploy_key() -> None:
    broken = copy.deepcopy(_cluster())
    broken["services"]["projector"]["deploy"]["replica"] = 2
    assert not _validator().is_valid(broken)


def test_every_service_of_the_file_is_in_the_cluster_profile() -> None:
    services = _cluster()["services"]
    outside = [name for name, s in services.items() if s.get("profiles") != ["cluster"]]
    assert outside == []


def test_three_kurrentdb_nodes_form_one_cluster_through_gossip_seeds() -> None:
    services = _cluster()["services"]
    for node in NODES:
        environment = services[node]["environment"]
        assert environment["KURRENTDB_CLUSTER_SIZE"] == "3"
        assert environment["KURRENTDB_DISCOVER_VIA_DNS"] == "false"
        seeds = {seed.split(":")[0] for seed in environment["KURRENTDB_GOSSIP_SEED"].split(",")}
        assert seeds == set(NODES) - {node}
        assert environment["KURRENTDB_NODE_HOST_ADVERTISE_AS"] == node
        assert f"node{node[-1]}/" in environment["KURRENTDB_CERTIFICATE_FILE"]
    certificates = " ".join(services["certificates"]["command"])
    assert "kurrentdb-$$n" in certificates


def test_the_replica_set_has_three_members_and_a_one_shot_that_initiates_it() -> None:
    services = _cluster()["services"]
    for member in MEMBERS:
        command = services[member]["command"]
        assert command[command.index("--replSet") + 1] == "rs0"
    initiate = " ".join(services["mongodb-init"]["command"])
    assert "rs.initiate" in initiate
    assert sorted(re.findall(r"host: '([\w-]+):27017'", initiate)) == list(MEMBERS)
    init_waits_for = services["mongodb-init"]["depends_on"]
    assert all(init_waits_for[m]["condition"] == "service_healthy" for m in MEMBERS)


@pytest.mark.parametrize("service", sorted(SERVICES.values()))
def test_every_service_runs_two_replicas(service: str) -> None:
    definition = _cluster()["services"][service]
    assert definition["deploy"]["replicas"] == 2
    assert "container_name" not in definition


def test_the_services_name_every_node_and_every_member() -> None:
    services = _cluster()["services"]
    for service in ("write-service", "projector"):
        uri = services[service]["environment"]["EVENTSTORE_URI"]
        default = uri.split("{EVENTSTORE_URI:-", 1)[1].removesuffix("}")
        # Checked by the client as the service checks it when it starts, with the user it adds.
        with_user = eventstore_uri_with(default, "admin", "password")
        assert ConnectionSpec(with_user).targets == [f"{node}:2113" for node in NODES]
        assert "nodePreference=leader" in uri
    for service in ("projector", "read-service"):
        uri = services[service]["environment"]["MONGO_URI"]
        assert all(f"{member}:27017" in uri for member in MEMBERS)
        assert "replicaSet=rs0" in uri
        assert services[service]["depends_on"]["mongodb-init"]["condition"] == (
            "service_completed_successfully"
        )


@pytest.mark.parametrize(("package", "service"), sorted(SERVICES.items()))
def test_every_variable_a_service_reads_is_set_for_it_in_the_cluster(
    package: str, service: str
) -> None:
    environment = _cluster()["services"][service]["environment"]
    given = set(environment) | {name.removesuffix("_FILE") for name in environment}
    assert sorted(_variables_read_by(package) - given) == []
