-- A line becomes its source's boilerplate once MIN_ARTICLES (5) articles of the source carried it,
-- so the first few were stored with it. `carriers` names them (article_numbers.article_no,
-- space-separated) while the line is below that count; the load that makes it learned cleans them
-- too and clears the list. NULL once learned, and for lines counted before this column existed.
ALTER TABLE source_lines ADD COLUMN carriers VARCHAR;
