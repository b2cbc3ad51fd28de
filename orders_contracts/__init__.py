"""What crosses service boundaries: event schemas and codec, stream names, read-model shapes."""
