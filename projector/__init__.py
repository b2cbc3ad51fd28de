"""The projector: a persistent subscription to $all in, MongoDB read models out.

Functional core: ``envelope`` (decode, and refuse an event that names another stream's
aggregate), ``order_projection`` / ``customer_projection`` / ``analytics`` (fold one event),
``batch_plan`` (a batch and the current documents in, every document change out),
``memory_model`` (the same plan over a whole replay), ``failures`` (whose fault a failure is),
``isolation`` (bisecting a failed batch down to its culprit) and ``stall_watch`` (stalled or
quiet). Edges: ``batch_writer`` + ``store`` (snapshot read, gap repair, one guarded, durable
transaction per batch), ``consumer`` (batching, acks, nacks and parking, store retries through
the runtime's ``retry_while_down``, stall reconnects, progress), ``projector_state`` +
``health_server`` (the replica's state and its gRPC health), ``rebuild`` + ``bulk_load`` +
``admin`` (versioned collections, switch, rollback), ``__main__`` (composition root).
"""
