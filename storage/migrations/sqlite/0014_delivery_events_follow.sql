-- SQLite's twin of migrations/postgres/0014_delivery_events_follow.sql. Here
-- one write transaction commits at a time, so events commit in id order:
-- txid is always 0 and a follower's cursor is the last id it read. The
-- column and the index are the same as PostgreSQL's, so that one query
-- serves both (see EventsAfter).
ALTER TABLE delivery_events ADD COLUMN txid INTEGER NOT NULL DEFAULT 0;
CREATE INDEX delivery_events_follow ON delivery_events (workspace_id, txid, id);
DROP INDEX delivery_events_workspace;
