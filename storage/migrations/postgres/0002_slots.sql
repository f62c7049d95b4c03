-- PostgreSQL dialect: the same statements as migrations/sqlite/0002_slots.sql.
--
-- Posting slots: a plan's earliest slot instant, and the weekly slot each
-- "next free slot" delivery holds (its due_at is that instant; NULL for
-- deliveries at a fixed time). No two live deliveries ever hold one slot of a
-- channel: a cancelled, missed or failed delivery frees it.

ALTER TABLE plans ADD COLUMN start_at BIGINT;

ALTER TABLE deliveries ADD COLUMN slot_at BIGINT;
CREATE UNIQUE INDEX deliveries_slot ON deliveries (channel_id, slot_at)
    WHERE slot_at IS NOT NULL AND status NOT IN ('cancelled', 'missed', 'failed');
