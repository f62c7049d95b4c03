-- An operator's retry of a delivery past its lateness window (a missed one,
-- …) keeps its planned due_at, which reports and the calendar show, and
-- records when it was retried: the lateness window then counts from
-- retried_at. NULL until such a retry; a plan edit that reschedules the
-- delivery clears it. retried_at is always after due_at.

ALTER TABLE deliveries ADD COLUMN retried_at BIGINT;
