-- A user who leaves is removed (DELETE /api/v1/users/{email}, herald user
-- remove): their sessions end, their API tokens are revoked and their
-- memberships go, but the row stays, marked disabled_at (Unix ms; NULL
-- while the user is active), so that their tokens, approvals and audit
-- entries still name them and their email cannot quietly become somebody
-- else's. A disabled user signs in no more and authenticates nothing.

ALTER TABLE users ADD COLUMN disabled_at BIGINT;
