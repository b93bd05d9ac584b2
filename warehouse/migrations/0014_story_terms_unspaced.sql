-- Story term counts, scheme 3: Chinese and Japanese text gives words (katakana runs, Han compounds,
-- pairs of long Han runs) instead of whole clauses between punctuation, and a word keeps its
-- combining marks (Devanagari, Bengali, Tamil, Thai vowel signs: scheme 2 split "हिन्दी" into
-- "ह", "न", "द"). The rows of texts with neither Chinese or Japanese script nor a letter with a
-- combining mark count the same terms under both schemes: they are re-marked. The others go; while such an
-- article is a candidate member its terms are counted from its text.
UPDATE story_terms SET scheme = 3
WHERE scheme = 2 AND article_id IN (
    SELECT article_id FROM articles
    WHERE NOT regexp_matches(text, '\p{L}\p{M}|[\x{3040}-\x{30ff}\x{3400}-\x{4dbf}\x{4e00}-\x{9fff}\x{f900}-\x{faff}\x{20000}-\x{2fa1f}]'));
DELETE FROM story_terms WHERE scheme = 2;
