"""The command side: validates commands, decides on event-sourced aggregates, appends events.

Reading order: ``domain/`` (pure decide/evolve, no I/O), ``contract_gate`` (request checks),
``command_handler`` (the one read-fold-decide-append loop, with ``snapshots``, ``idempotency``,
``stream_records`` and ``event_appender``), ``grpc_api`` with ``messages`` and ``rpc_errors`` (the
edge), and ``server`` with ``settings`` and ``__main__`` (composition).
"""
