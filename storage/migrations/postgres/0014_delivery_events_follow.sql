-- Following delivery_events with a cursor that misses nothing. Transactions
-- commit side by side here: an event can take a lower id than another and
-- commit after it, so a reader that had passed the higher id would never
-- see it. Each event records its transaction's id; a follower reads, by
-- (txid, id), only the events of transactions older than every one still
-- running (pg_snapshot_xmin): whatever commits later sorts after them (see
-- EventsAfter). Events written before this migration share its txid and keep
-- their id order.
ALTER TABLE delivery_events ADD COLUMN txid xid8 NOT NULL DEFAULT pg_current_xact_id();
CREATE INDEX delivery_events_follow ON delivery_events (workspace_id, txid, id);
-- The follow index serves what the workspace index did (its events in
-- order), so the writes keep one index, not two.
DROP INDEX delivery_events_workspace;
