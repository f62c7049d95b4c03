-- PostgreSQL dialect: the same statements as migrations/sqlite/0012_audit_log.sql.
--
-- The audit log: who changed what, written by storage in the transaction
-- that makes the change (see audit.go). Append-only: no code updates or
-- deletes a row, and deleting a workspace keeps its entries (workspace_id is
-- no foreign key; workspace keeps the slug it had). id only increases, so a
-- reader follows the log with a cursor. workspace_id is NULL for an
-- instance-level entry (a token, a failed login). actor_kind is user, token,
-- review_link or system; details a JSON object of bounded size.

CREATE TABLE audit_log (
    id           BIGINT  GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    workspace_id BIGINT,
    workspace    TEXT    NOT NULL DEFAULT '',
    at           BIGINT  NOT NULL,
    actor_kind   TEXT    NOT NULL,
    actor_id     TEXT    NOT NULL DEFAULT '',
    actor_name   TEXT    NOT NULL DEFAULT '',
    action       TEXT    NOT NULL,
    target       TEXT    NOT NULL DEFAULT '',
    details      TEXT    NOT NULL DEFAULT '{}'
);
CREATE INDEX audit_log_workspace ON audit_log (workspace_id, id);
CREATE INDEX audit_log_workspace_action ON audit_log (workspace_id, action, id);
CREATE INDEX audit_log_workspace_actor ON audit_log (workspace_id, actor_kind, actor_id, id);
CREATE INDEX audit_log_action ON audit_log (action, id);
CREATE INDEX audit_log_actor ON audit_log (actor_kind, actor_id, id);
