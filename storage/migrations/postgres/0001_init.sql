-- Herald schema, PostgreSQL dialect: migrations/sqlite/0001_init.sql column
-- for column. Times are BIGINT Unix milliseconds UTC, booleans INTEGER 0/1
-- (the Go code writes 0 and 1 on both), structured content JSON text. Ids are
-- identity columns, never reused: delivery ids are part of idempotency keys
-- sent to platforms. The names and keys Herald orders and pages by sort
-- byte-wise (COLLATE "C"), as SQLite sorts them, whatever the database's
-- collation.

CREATE TABLE workspaces (
    id                BIGINT  GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    slug              TEXT    COLLATE "C" NOT NULL UNIQUE,
    name              TEXT    NOT NULL,
    timezone          TEXT    NOT NULL,
    approval_required INTEGER NOT NULL DEFAULT 0,
    max_lateness_ms   BIGINT  NOT NULL DEFAULT 0,
    created_at        BIGINT  NOT NULL,
    updated_at        BIGINT  NOT NULL
);

CREATE TABLE channels (
    id           BIGINT  GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    workspace_id BIGINT  NOT NULL REFERENCES workspaces (id),
    name         TEXT    COLLATE "C" NOT NULL,
    platform     TEXT    NOT NULL,
    timezone     TEXT    NOT NULL DEFAULT '',
    slots        TEXT    NOT NULL DEFAULT '[]',
    config       TEXT    NOT NULL DEFAULT '{}',
    credentials  BYTEA,  -- AES-256-GCM sealed JSON object, NULL when none
    version      INTEGER NOT NULL DEFAULT 1, -- bumped by every change; keys the in-process cache
    created_at   BIGINT  NOT NULL,
    updated_at   BIGINT  NOT NULL,
    deleted_at   BIGINT
);
CREATE UNIQUE INDEX channels_live_name ON channels (workspace_id, name) WHERE deleted_at IS NULL;
CREATE INDEX channels_workspace ON channels (workspace_id);

CREATE TABLE plans (
    id           BIGINT  GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    workspace_id BIGINT  NOT NULL REFERENCES workspaces (id),
    key          TEXT    COLLATE "C" NOT NULL,
    title        TEXT    NOT NULL DEFAULT '',
    timezone     TEXT    NOT NULL DEFAULT '',
    created_at   BIGINT  NOT NULL,
    updated_at   BIGINT  NOT NULL,
    deleted_at   BIGINT,
    UNIQUE (workspace_id, key)
);

CREATE TABLE posts (
    id           BIGINT  GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    workspace_id BIGINT  NOT NULL REFERENCES workspaces (id),
    plan_id      BIGINT  NOT NULL REFERENCES plans (id),
    key          TEXT    COLLATE "C" NOT NULL,
    key_derived  INTEGER NOT NULL DEFAULT 0,
    row_num      INTEGER NOT NULL,
    at           TEXT    NOT NULL DEFAULT '',
    due_at       BIGINT  NOT NULL,
    channels     TEXT    NOT NULL DEFAULT '[]',
    rubric       TEXT    NOT NULL DEFAULT '',
    content      TEXT    NOT NULL DEFAULT '{}', -- text, media, link, tags, variants
    hash         TEXT    NOT NULL,
    removed      INTEGER NOT NULL DEFAULT 0,
    created_at   BIGINT  NOT NULL,
    updated_at   BIGINT  NOT NULL
);
CREATE UNIQUE INDEX posts_live_key ON posts (plan_id, key) WHERE removed = 0;
CREATE INDEX posts_plan_row ON posts (plan_id, row_num);
CREATE INDEX posts_workspace ON posts (workspace_id);

CREATE TABLE deliveries (
    id              BIGINT  GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    workspace_id    BIGINT  NOT NULL REFERENCES workspaces (id),
    post_id         BIGINT  NOT NULL REFERENCES posts (id),
    channel_id      BIGINT  NOT NULL REFERENCES channels (id),
    status          TEXT    NOT NULL,
    due_at          BIGINT  NOT NULL,
    next_attempt_at BIGINT  NOT NULL,
    attempts        INTEGER NOT NULL DEFAULT 0,
    idempotency_key TEXT    NOT NULL DEFAULT '',
    remote_id       TEXT    NOT NULL DEFAULT '',
    url             TEXT    NOT NULL DEFAULT '',
    published_at    BIGINT,
    error           TEXT    NOT NULL DEFAULT '',
    lease_owner     TEXT    NOT NULL DEFAULT '',
    lease_until     BIGINT,
    created_at      BIGINT  NOT NULL,
    updated_at      BIGINT  NOT NULL,
    UNIQUE (post_id, channel_id)
);
-- The claim query: channels with a due waiting delivery (covering), whether a channel is
-- publishing, and each channel's head — its earliest (due_at, id) waiting delivery — from a
-- partial index that holds only waiting deliveries, so a long backlog costs one seek.
CREATE INDEX deliveries_due ON deliveries (status, next_attempt_at, channel_id);
CREATE INDEX deliveries_channel_queue ON deliveries (channel_id, status, due_at, id);
CREATE INDEX deliveries_waiting ON deliveries (channel_id, due_at, id) WHERE status IN ('scheduled', 'retrying');
-- Missed marking, and the calendar.
CREATE INDEX deliveries_status_due ON deliveries (status, due_at);
CREATE INDEX deliveries_calendar ON deliveries (workspace_id, due_at, id);

CREATE TABLE attempts (
    id          BIGINT  GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    delivery_id BIGINT  NOT NULL REFERENCES deliveries (id) ON DELETE CASCADE,
    number      INTEGER NOT NULL,
    started_at  BIGINT  NOT NULL,
    finished_at BIGINT,
    outcome     TEXT    NOT NULL DEFAULT '',
    request     TEXT    NOT NULL DEFAULT '',
    response    TEXT    NOT NULL DEFAULT '',
    error       TEXT    NOT NULL DEFAULT '',
    remote_id   TEXT    NOT NULL DEFAULT '',
    url         TEXT    NOT NULL DEFAULT '',
    retry_at    BIGINT,
    UNIQUE (delivery_id, number)
);

CREATE TABLE api_tokens (
    id           BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name         TEXT   NOT NULL,
    role         TEXT   NOT NULL,
    hash         TEXT   NOT NULL UNIQUE, -- hex SHA-256 of the secret
    created_at   BIGINT NOT NULL,
    last_used_at BIGINT
);
