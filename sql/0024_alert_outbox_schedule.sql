-- The outbox becomes the one scheduler of deliveries. `next_attempt_at` is when an event
-- is next due, and also the lease of whoever holds it: a delivery run dispatched for it,
-- or a sender in the middle of an attempt. A holder that dies leaves the event due again
-- when its lease ends, with a new due time, so the sensor's run key for it is new too.
-- The generation counter existed only to give a re-sent event a fresh run key; every
-- dispatch now has its own.
ALTER TABLE alert_events DROP COLUMN generation;
