-- Channel status: a channel whose credentials the platform rejected is
-- needs_reauth (status_reason says how); its deliveries are held — the claim
-- skips the channel — until new credentials make it active again.
-- attempts.throttled marks retries caused by rate limiting, which do not
-- count toward the scheduler's attempt limit.

ALTER TABLE channels ADD COLUMN status TEXT NOT NULL DEFAULT 'active';
ALTER TABLE channels ADD COLUMN status_reason TEXT NOT NULL DEFAULT '';
CREATE INDEX channels_needs_reauth ON channels (id) WHERE status = 'needs_reauth';

ALTER TABLE attempts ADD COLUMN throttled INTEGER NOT NULL DEFAULT 0;
