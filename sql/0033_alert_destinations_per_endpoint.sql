-- carnivore: no-transaction
--
-- An alert now goes into one queue per configured endpoint: the editors' signed webhook
-- ('editors'), their Slack webhook ('editors_slack'), and on-call's two. The same event
-- (a topic's jump in a week, a failed run) is one row per destination, so its key is
-- unique per destination, not overall.
--
-- Safe on a live database: the unique index is built concurrently, then becomes the
-- constraint in one short step; the destination check is added NOT VALID (no scan
-- under the lock) and validated after, under a lock that lets writes through.

ALTER TABLE alert_events
    DROP CONSTRAINT alert_destination_valid,
    ADD CONSTRAINT alert_destination_valid
        CHECK (destination IN ('editors', 'editors_slack', 'oncall', 'oncall_slack')) NOT VALID;
ALTER TABLE alert_events VALIDATE CONSTRAINT alert_destination_valid;

CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS alert_events_destination_dedupe_key
    ON alert_events (destination, dedupe_key);
ALTER TABLE alert_events
    DROP CONSTRAINT alert_events_dedupe_key,
    ADD CONSTRAINT alert_events_destination_dedupe_key UNIQUE USING INDEX alert_events_destination_dedupe_key;
