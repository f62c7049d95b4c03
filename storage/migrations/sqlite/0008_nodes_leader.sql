-- The processes sharing the database and who leads them. Each herald serve
-- heartbeats its row of nodes while it runs (and renews its leases with the
-- same beat), so a node whose heartbeat is older than a lease has stopped.
-- leaders holds one row per duty that must run on one process at a time
-- ("maintenance": lease recovery and the reconciliation of unknown
-- deliveries): its node holds it until expires_at, re-elected within its
-- term, and deletes the row when it shuts down.

CREATE TABLE nodes (
    name         TEXT    PRIMARY KEY,
    host         TEXT    NOT NULL DEFAULT '',
    pid          INTEGER NOT NULL DEFAULT 0,
    started_at   BIGINT  NOT NULL,
    heartbeat_at BIGINT  NOT NULL
);

CREATE TABLE leaders (
    name       TEXT   PRIMARY KEY,
    node       TEXT   NOT NULL,
    elected_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);
