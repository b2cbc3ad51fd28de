"""What every process shares and no service owns: typed settings read from the environment
(every bad variable named at once, secrets from files, exit code 2), JSON logs, the gRPC server
factory (``grpc_server``) and the services' interceptor chain (``interceptors``), the one
backoff every retry waits by (``backoff``), and the one way to launch and stop child processes
(``processes``, ``ports``, ``probes``) for tests, benchmarks and ``orders dev``.

It imports no service; services import it (import-linter keeps it so)."""
