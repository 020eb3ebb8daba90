-- carnivore: no-transaction
--
-- Each destination's alerts go out in the order they were created: an event is sent
-- only when no older event of its destination is still pending or held by a sender.
-- This index answers that question ("anything unfinished before seq N?") from the few
-- unfinished rows, however many delivered ones the outbox keeps. Built concurrently,
-- so that a live database keeps taking writes.

CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_alert_events_queue
    ON alert_events (destination, seq) WHERE status IN ('pending', 'sending');
