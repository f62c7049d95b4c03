-- SQLite's twin of migrations/postgres/0014_delivery_events_follow.sql: here
-- one write transaction commits at a time, so events commit in id order and
-- a follower's cursor is the last id it read (delivery_events_workspace
-- serves it). Nothing to change.
SELECT 1;
