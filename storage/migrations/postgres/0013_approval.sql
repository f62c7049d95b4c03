-- PostgreSQL dialect: migrations/sqlite/0013_approval.sql column for column.
--
-- Approval before anything goes out (see approval.go of the root package).
-- A workspace's approval steps are a JSON list of {"name","roles"};
-- allow_self_approval lets an uploader approve their own posts.
--
-- A post's version counts its content changes (content_hash: what is
-- published and where, not when); uploaded_by is the actor (JSON: kind, id,
-- name, user_id) who uploaded that version. approval_state is none (approval
-- was off), pending (waiting at approval_step, an index into the steps),
-- approved or rejected (at approval_step). While a post is pending or
-- rejected its deliveries are pending_approval, which no claim takes.
--
-- approval_decisions records each decision on a version at a step, by whom
-- (a member's token or session, or a review link: link_id, with the
-- reviewer's name as given). review_links let a client decide one step of
-- one plan with no account: only a SHA-256 of each link's token is kept.

ALTER TABLE workspaces ADD COLUMN approval_steps TEXT NOT NULL DEFAULT '[]';
ALTER TABLE workspaces ADD COLUMN allow_self_approval INTEGER NOT NULL DEFAULT 0;

ALTER TABLE posts ADD COLUMN content_hash TEXT NOT NULL DEFAULT '';
ALTER TABLE posts ADD COLUMN version INTEGER NOT NULL DEFAULT 1;
ALTER TABLE posts ADD COLUMN uploaded_by TEXT NOT NULL DEFAULT '';
ALTER TABLE posts ADD COLUMN approval_state TEXT NOT NULL DEFAULT 'none';
ALTER TABLE posts ADD COLUMN approval_step INTEGER NOT NULL DEFAULT 0;

CREATE TABLE review_links (
    id           BIGINT  GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    workspace_id BIGINT  NOT NULL REFERENCES workspaces (id),
    plan_id      BIGINT  NOT NULL REFERENCES plans (id),
    step         TEXT    NOT NULL,
    name         TEXT    NOT NULL,
    token_hash   TEXT    NOT NULL UNIQUE, -- hex SHA-256 of the token
    created_by   TEXT    NOT NULL DEFAULT '',
    created_at   BIGINT  NOT NULL,
    expires_at   BIGINT  NOT NULL,
    revoked_at   BIGINT
);
CREATE INDEX review_links_plan ON review_links (plan_id, id);

CREATE TABLE approval_decisions (
    id            BIGINT  GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    workspace_id  BIGINT  NOT NULL REFERENCES workspaces (id),
    post_id       BIGINT  NOT NULL REFERENCES posts (id),
    post_version  INTEGER NOT NULL,
    step_index    INTEGER NOT NULL,
    step          TEXT    NOT NULL,
    decision      TEXT    NOT NULL, -- approved, rejected
    note          TEXT    NOT NULL DEFAULT '',
    actor_kind    TEXT    NOT NULL,
    actor_id      TEXT    NOT NULL DEFAULT '',
    actor_name    TEXT    NOT NULL DEFAULT '',
    actor_user_id BIGINT  NOT NULL DEFAULT 0,
    link_id       BIGINT  REFERENCES review_links (id),
    at            BIGINT  NOT NULL
);
CREATE INDEX approval_decisions_post ON approval_decisions (post_id, id);
-- "Not approved in time": pending_approval deliveries by due time.
CREATE INDEX deliveries_pending_due ON deliveries (due_at) WHERE status = 'pending_approval';
