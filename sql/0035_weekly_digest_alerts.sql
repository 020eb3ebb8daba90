-- carnivore: no-transaction
--
-- The weekly editor digest goes out through the outbox too, as its own kind of event
-- (one per week and editors' endpoint). The check is replaced NOT VALID, so the swap
-- takes its lock without scanning, and validated after under a lock writes pass.

ALTER TABLE alert_events
    DROP CONSTRAINT alert_kind_valid,
    ADD CONSTRAINT alert_kind_valid CHECK (kind IN ('new_topic', 'score_jump', 'run_failure', 'weekly_digest')) NOT VALID;
ALTER TABLE alert_events VALIDATE CONSTRAINT alert_kind_valid;
