"""coopwatch application layer: the CLI and the run that composes ingest and search."""
