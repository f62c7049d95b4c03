-- The delivery lifecycle's record: every status change of a delivery, in the
-- transaction that made it (see lifecycle.go). id only increases, so a reader
-- (webhooks, metrics, the audit log, the calendar's live updates) follows the
-- table with a cursor. from_status is '' for a delivery's creation. node is
-- the process that made the change, actor who asked for it ("scheduler",
-- "token:3", …), attempt the delivery's attempt count after the change.
-- Attempts name the node that ran them. At most one delivery of a channel is
-- publishing at a time, whatever the number of processes: the database says so.

CREATE TABLE delivery_events (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    delivery_id  INTEGER NOT NULL REFERENCES deliveries (id) ON DELETE CASCADE,
    workspace_id INTEGER NOT NULL,
    from_status  TEXT    NOT NULL,
    to_status    TEXT    NOT NULL,
    at           BIGINT  NOT NULL,
    node         TEXT    NOT NULL DEFAULT '',
    actor        TEXT    NOT NULL DEFAULT '',
    reason       TEXT    NOT NULL DEFAULT '',
    attempt      INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX delivery_events_delivery ON delivery_events (delivery_id, id);
CREATE INDEX delivery_events_workspace ON delivery_events (workspace_id, id);

ALTER TABLE attempts ADD COLUMN node TEXT NOT NULL DEFAULT '';

CREATE UNIQUE INDEX deliveries_one_publishing ON deliveries (channel_id) WHERE status = 'publishing';
