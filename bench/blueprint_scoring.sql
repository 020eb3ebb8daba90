-- The blueprint's scoring design (Function 2), re-implemented for comparison only: a
-- per-row trigger that recounts the item's last 24 hours and 7 days and its all-time
-- counts (by content_id alone, as the blueprint does) on every insert. Our own scoring
-- trigger is dropped in the database this runs in; the blueprint had no unique grid
-- positions (its trigger parks new items at position 50), so that constraint goes too.
DROP TRIGGER engagement_tracking ON content_engagement;
ALTER TABLE bento_grid_items DROP CONSTRAINT bento_grid_position_unique;
-- Its counts filter on content_id alone, which needs its own index (the blueprint has it).
CREATE INDEX idx_engagement_content_id ON content_engagement (content_id);

CREATE FUNCTION recalculate_engagement_score() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    -- numeric(5,2) in the blueprint: it overflows before the clamp once an item has
    -- more than 999 points of activity in a day, failing the insert. Widened here so
    -- that the baseline can run at all.
    v_score numeric;
    v_positive_pct numeric(5,2);
    v_total bigint;
    v_positive bigint;
BEGIN
    SELECT count(*) FILTER (WHERE interaction_type = 'view') * 1
         + count(*) FILTER (WHERE interaction_type = 'share') * 5
         + count(*) FILTER (WHERE interaction_type = 'bookmark') * 3
         + coalesce(count(*) FILTER (WHERE sentiment = 'positive')::numeric / nullif(count(*), 0) * 20, 0)
    INTO v_score
    FROM content_engagement
    WHERE content_id = NEW.content_id AND content_type = NEW.content_type
      AND created_at >= now() - interval '24 hours';
    v_score := least(greatest(v_score, 0), 100);
    SELECT count(*) FILTER (WHERE sentiment = 'positive'), count(*) INTO v_positive, v_total
    FROM content_engagement
    WHERE content_id = NEW.content_id AND content_type = NEW.content_type
      AND created_at >= now() - interval '7 days';
    v_positive_pct := CASE WHEN v_total = 0 THEN 50 ELSE round(v_positive::numeric / v_total * 100, 2) END;
    INSERT INTO bento_grid_items (content_type, content_id, content_title, engagement_score,
                                  positive_sentiment_percent, view_count, share_count, bookmark_count, grid_position)
    VALUES (NEW.content_type, NEW.content_id, 'Auto-generated from engagement', v_score, v_positive_pct,
            (SELECT count(*) FROM content_engagement WHERE content_id = NEW.content_id AND interaction_type = 'view'),
            (SELECT count(*) FROM content_engagement WHERE content_id = NEW.content_id AND interaction_type = 'share'),
            (SELECT count(*) FROM content_engagement WHERE content_id = NEW.content_id AND interaction_type = 'bookmark'),
            50)
    ON CONFLICT (content_type, content_id) DO UPDATE SET
        engagement_score = v_score,
        positive_sentiment_percent = v_positive_pct,
        view_count = (SELECT count(*) FROM content_engagement WHERE content_id = NEW.content_id AND interaction_type = 'view'),
        share_count = (SELECT count(*) FROM content_engagement WHERE content_id = NEW.content_id AND interaction_type = 'share'),
        bookmark_count = (SELECT count(*) FROM content_engagement WHERE content_id = NEW.content_id AND interaction_type = 'bookmark');
    RETURN NEW;
END
$$;

CREATE TRIGGER engagement_recalculate_score
    AFTER INSERT ON content_engagement
    FOR EACH ROW EXECUTE FUNCTION recalculate_engagement_score();
