"""An embedded, SQLite-backed event store that speaks the KurrentDB/EventStoreDB gRPC
protocol of the official Python client (`kurrentdbclient`): Streams, Gossip and
PersistentSubscriptions, for development and tests.

Run it with `python -m eventstore_lite --port 2113 --data DIR`; start it from tests with
`eventstore_lite.testing.run_eventstore()`. Differences from the real server: no TLS, no
users (every caller is an ordinary user, so `$`-streams other than `$$<stream>` metadata
streams are read-only), no server-side projections, one node; stream metadata `$tb` is
honoured (soft delete), `$maxAge` / `$maxCount` / ACLs are stored but not enforced.
"""
