"""coopwatch ingest: sources, discovery, polite fetching, archive, extraction, structuring, pipeline."""
