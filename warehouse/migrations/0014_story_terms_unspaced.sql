-- Story term counts, scheme 3: Chinese and Japanese text gives words (katakana runs, Han compounds,
-- pairs of long Han runs) instead of whole clauses between punctuation. Rows of articles in any
-- other language (or none detected) count the same terms under both schemes: they are re-marked.
-- Chinese and Japanese scheme-2 rows go; while such an article is a candidate member its terms are
-- counted from its text.
UPDATE story_terms SET scheme = 3
WHERE scheme = 2 AND article_id IN (SELECT article_id FROM articles WHERE language IS NULL OR language NOT IN ('ja', 'zh'));
DELETE FROM story_terms
WHERE scheme = 2 AND article_id IN (SELECT article_id FROM articles WHERE language IN ('ja', 'zh'));
