-- Crawl state: the same tables and columns as the SQLite file, times as ISO 8601 text like there.
CREATE TABLE urls (
    url TEXT PRIMARY KEY,
    source TEXT NOT NULL,
    status TEXT NOT NULL,
    reason TEXT,
    etag TEXT, last_modified TEXT, body_hash TEXT,
    pending_etag TEXT, pending_last_modified TEXT, pending_body_hash TEXT,
    first_seen TEXT NOT NULL,
    last_seen TEXT NOT NULL,
    last_success TEXT,
    failures INTEGER NOT NULL DEFAULT 0,
    indexed_in TEXT
);
CREATE INDEX urls_source ON urls(source);
CREATE TABLE failures (
    url TEXT NOT NULL, source TEXT NOT NULL, at TEXT NOT NULL, reason TEXT NOT NULL
);
CREATE INDEX failures_source ON failures(source, at);
CREATE TABLE runs (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    source TEXT NOT NULL,
    started TEXT NOT NULL,
    finished TEXT,
    counts TEXT NOT NULL DEFAULT '{}',
    ok INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX runs_source ON runs(source, id);
CREATE TABLE hosts (
    host TEXT PRIMARY KEY,
    deferred_until DOUBLE PRECISION,
    deferral_asked DOUBLE PRECISION, deferral_capped INTEGER, deferral_reason TEXT, deferred_at TEXT,
    crawl_delay_asked DOUBLE PRECISION, crawl_delay_used DOUBLE PRECISION, crawl_delay_at TEXT
);
-- Politeness across machines: one row per host; a holder owns the host's one request slot until it
-- releases it or the lease expires (a killed holder blocks the host only until then). Times are the
-- database server's epoch seconds, so workers' clocks never disagree.
CREATE TABLE host_leases (
    host TEXT PRIMARY KEY,
    holder TEXT,
    expires DOUBLE PRECISION,
    last_done DOUBLE PRECISION NOT NULL DEFAULT 0,
    next_allowed DOUBLE PRECISION NOT NULL DEFAULT 0
);
