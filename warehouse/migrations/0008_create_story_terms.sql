-- Each article's content words with their counts, as story clustering compares them (TF-IDF over
-- the candidate members): stored at load so a batch's members are not re-tokenised from their
-- text. Rows of another `scheme` than the code's are ignored (those members are read from text).
-- Strings, not lists: DuckDB scans lists of strings about 8x slower. published_at (else the
-- ingestion time) lets a read of one time window skip the row groups of other times.
CREATE TABLE story_terms (
    article_id   VARCHAR PRIMARY KEY,
    published_at TIMESTAMPTZ NOT NULL,
    scheme       INTEGER NOT NULL,
    terms        VARCHAR NOT NULL,     -- space-separated: "flood river road"
    counts       VARCHAR NOT NULL      -- how often each occurs, in the same order: "3 2 1"
);
