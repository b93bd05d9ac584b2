-- Story term counts, scheme 4: the title's words count with the text's (a feed's one-sentence
-- summary often shares no word with another outlet's summary of the same event; the headlines
-- name it), and Latin letters lose their accents ("Orbán" and "Orban" are one word). The rows of
-- articles without a title and without an accented letter (or other mark) count the same terms
-- under both schemes: they are re-marked. The others go; while such an article is a candidate
-- member its terms are counted from its title and text.
UPDATE story_terms SET scheme = 4
WHERE scheme = 3 AND article_id IN (
    SELECT article_id FROM articles
    WHERE (title IS NULL OR trim(title) = '') AND strip_accents(text) = text);
DELETE FROM story_terms WHERE scheme = 3;
