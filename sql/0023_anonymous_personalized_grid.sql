-- get_personalized_grid() runs as its caller and reads user_interests, which anon could
-- not read at all: an anonymous visitor got "permission denied" instead of the public
-- grid. anon may now select from it; with no policy for anon, it sees no row.
GRANT SELECT ON user_interests TO anon;
