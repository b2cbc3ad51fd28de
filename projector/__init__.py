"""The projector: a persistent subscription to $all in, MongoDB read models out.

Functional core: ``envelope`` (decode), ``order_projection`` / ``customer_projection`` /
``analytics`` (fold one event), ``batch_plan`` (a batch and the current documents in, every
document change out) and ``memory_model`` (the same plan over a whole replay). Edges:
``batch_writer`` + ``store`` (snapshot read, gap repair, one guarded transaction per batch),
``consumer`` (batching, acks, nacks, progress), ``rebuild`` + ``bulk_load`` + ``admin``
(versioned collections, switch, rollback), ``__main__`` (composition root).
"""
