"""What every process shares and no service owns: typed settings read from the environment
(every bad variable named at once, secrets from files, exit code 2) and JSON logs.

It imports no service; services import it (import-linter keeps it so)."""
