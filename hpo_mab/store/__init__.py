"""Where results go: the SQLite store, the compare store, and exports (JSON traces, CSV, internals)."""
