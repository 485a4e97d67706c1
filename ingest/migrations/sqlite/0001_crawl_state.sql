-- Crawl state as it was before versioning (every statement is idempotent, so old files upgrade in place).
CREATE TABLE IF NOT EXISTS urls (
    url TEXT PRIMARY KEY,
    source TEXT NOT NULL,
    status TEXT NOT NULL,            -- ok, not_modified, failed, no_article
    reason TEXT,                     -- last failure reason
    etag TEXT, last_modified TEXT, body_hash TEXT,                      -- committed validators
    pending_etag TEXT, pending_last_modified TEXT, pending_body_hash TEXT,
    first_seen TEXT NOT NULL,
    last_seen TEXT NOT NULL,
    last_success TEXT,
    failures INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS urls_source ON urls(source);
CREATE TABLE IF NOT EXISTS failures (
    url TEXT NOT NULL, source TEXT NOT NULL, at TEXT NOT NULL, reason TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS failures_source ON failures(source, at);
CREATE TABLE IF NOT EXISTS runs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    source TEXT NOT NULL,
    started TEXT NOT NULL,
    finished TEXT,
    counts TEXT NOT NULL DEFAULT '{}',
    ok INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS runs_source ON runs(source, id);
CREATE TABLE IF NOT EXISTS hosts (   -- what a host told us that outlives one run
    host TEXT PRIMARY KEY,            -- host[:port], the politeness key
    deferred_until REAL,              -- epoch seconds: no request before (Retry-After, capped)
    deferral_asked REAL, deferral_capped INTEGER, deferral_reason TEXT, deferred_at TEXT,
    crawl_delay_asked REAL, crawl_delay_used REAL, crawl_delay_at TEXT
);
