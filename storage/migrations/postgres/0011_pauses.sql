-- PostgreSQL dialect: the same statements as migrations/sqlite/0011_pauses.sql.
--
-- The crisis stop. A row of pauses holds every delivery of its scope: the
-- whole instance (workspace_id and channel_id NULL), a workspace (channel_id
-- NULL) or one channel. The claim and missed-marking pass over what a pause
-- holds; resuming deletes the row. At most one pause per scope (the unique
-- index). until_at, when set, is when it resumes by itself.

CREATE TABLE pauses (
    id             BIGINT  GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    scope          TEXT    NOT NULL CHECK (scope IN ('instance', 'workspace', 'channel')),
    workspace_id   BIGINT  REFERENCES workspaces (id) ON DELETE CASCADE,
    channel_id     BIGINT  REFERENCES channels (id) ON DELETE CASCADE,
    paused_at      BIGINT  NOT NULL,
    reason         TEXT    NOT NULL,
    paused_by      TEXT    NOT NULL DEFAULT '',
    paused_by_name TEXT    NOT NULL DEFAULT '',
    until_at       BIGINT,
    updated_at     BIGINT  NOT NULL
);
CREATE UNIQUE INDEX pauses_scope ON pauses (COALESCE(workspace_id, 0), COALESCE(channel_id, 0));
