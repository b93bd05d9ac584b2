-- Story term counts, scheme 5: a headline's place label before a colon ("Germany: ...", "Kenya: ...",
-- "Ukraine updates: ...") no longer counts (stories.without_place_label). The rows of articles
-- whose title has no label before a colon in its first words count the same terms under both
-- schemes: they are re-marked. The others go; the recent ones are counted again at the next run.
UPDATE story_terms SET scheme = 5
WHERE scheme = 4 AND article_id IN (
    SELECT article_id FROM articles
    WHERE title IS NULL OR NOT regexp_matches(title, '^\s*[^:\s]+(?:\s+[^:\s]+){0,3}:\s'));
DELETE FROM story_terms WHERE scheme = 4;
