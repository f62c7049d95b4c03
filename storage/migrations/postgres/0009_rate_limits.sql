-- PostgreSQL dialect: the same statements as migrations/sqlite/0009_rate_limits.sql.
--
-- Rate limits shared by the processes on one database. rate_blocks holds
-- the waits platforms named (a 429's Retry-After, X-RateLimit-Reset, …) per
-- rate-limit key ("<platform>:…", possibly wider than one channel: a token,
-- an app): every claim hands the unexpired blocks of its platform to the
-- publisher, so that no process hits a wall another one already met.
-- channels.not_before holds a channel's next claim until its platform's
-- pace allows the next call (on a database shared by several processes).

CREATE TABLE rate_blocks (
    key      TEXT   PRIMARY KEY,
    platform TEXT   NOT NULL,
    until_at BIGINT NOT NULL
);
CREATE INDEX rate_blocks_platform ON rate_blocks (platform, until_at);

ALTER TABLE channels ADD COLUMN not_before BIGINT NOT NULL DEFAULT 0;
