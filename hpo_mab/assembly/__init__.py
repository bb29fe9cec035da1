"""From validated input to a run: one assembly consumed by the CLI, compare and the server."""
