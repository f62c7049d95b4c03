-- PostgreSQL dialect: the same statements as migrations/sqlite/0006_posts_plan_deleted.sql.
--
-- A deleted plan stays readable: the rows it had when it was deleted are
-- marked plan_deleted (and removed, as every row no longer live), so that
-- its report still lists them and a re-upload under its key brings them back
-- (plan_deleted is cleared then). Rows removed earlier by a re-upload are not
-- plan_deleted.

ALTER TABLE posts ADD COLUMN plan_deleted INTEGER NOT NULL DEFAULT 0;
