-- PostgreSQL dialect: the same statements as migrations/sqlite/0008_nodes_leader.sql.
--
-- The processes sharing the database and who leads them: each herald serve
-- heartbeats its row of nodes; leaders holds one row per duty that must run
-- on one process at a time, held by its node until expires_at.

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
