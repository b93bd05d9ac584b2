-- Story term counts, scheme 2: an article's own language's stop words are left out as well as
-- English's (scheme 1 left out English's only, so any two German or Spanish texts looked alike
-- through "und"/"der" or "que"/"para"). For English articles and those of no detected language
-- the two schemes count the same terms: their rows are re-marked. Other languages' scheme-1 rows
-- go; while such an article is a candidate member its terms are counted from its text.
UPDATE story_terms SET scheme = 2
WHERE scheme = 1 AND article_id IN (SELECT article_id FROM articles WHERE language IS NULL OR language = 'en');
DELETE FROM story_terms
WHERE scheme = 1 AND article_id IN (SELECT article_id FROM articles WHERE language IS NOT NULL AND language <> 'en');
