-- carnivore: no-transaction
--
-- An alert now goes into one queue per configured endpoint: the editors' signed webhook
-- ('editors'), their Slack webhook ('editors_slack'), and on-call's two ('oncall',
-- 'oncall_slack'). The same event is one row per destination. Its dedupe key stays
-- unique across the table (the first two queues keep the keys they always had; the
-- others add '@<destination>'), so that code from before this migration, which names
-- that constraint in ON CONFLICT, keeps working while a deploy rolls out.
--
-- Safe on a live database: the check is replaced NOT VALID (no scan under the lock)
-- and validated after, under a lock that lets writes through.

ALTER TABLE alert_events
    DROP CONSTRAINT alert_destination_valid,
    ADD CONSTRAINT alert_destination_valid
        CHECK (destination IN ('editors', 'editors_slack', 'oncall', 'oncall_slack')) NOT VALID;
ALTER TABLE alert_events VALIDATE CONSTRAINT alert_destination_valid;
