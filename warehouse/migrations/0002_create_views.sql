-- Views for analysts: originals only, and one row per story with its sources.
CREATE VIEW unique_articles AS
SELECT * FROM articles WHERE duplicate_of IS NULL;

CREATE VIEW story_summary AS
SELECT s.story_id, s.title, s.first_seen, s.last_seen, s.article_count,
       count(DISTINCT a.feed_url) AS feeds,
       count(*) FILTER (WHERE a.duplicate_of IS NOT NULL) AS copies
FROM stories s JOIN articles a USING (story_id)
GROUP BY ALL;
