-- The contract tables of SPEC.md, plus what the pipeline needs to stay incremental.
CREATE TABLE articles (
    article_id    VARCHAR PRIMARY KEY,   -- sha256 of the canonical URL, 20 hex chars
    url           VARCHAR NOT NULL,      -- canonical URL; stored once
    feed_url      VARCHAR NOT NULL,
    title         VARCHAR,
    text          VARCHAR NOT NULL,      -- clean article text, paragraphs separated by newlines
    published_at  TIMESTAMPTZ,
    language      VARCHAR,               -- ISO 639-1
    language_score DOUBLE,
    duplicate_of  VARCHAR,               -- article_id of the earliest article this one copies
    duplicate_kind VARCHAR,              -- exact | near
    story_id      VARCHAR,
    ingested_at   TIMESTAMPTZ NOT NULL,  -- commit time of the batch: read the stream by it
    text_source   VARCHAR NOT NULL,      -- page | feed_content | feed_summary
    author        VARCHAR,
    license       VARCHAR,
    photo_credit  VARCHAR,
    content_hash  VARCHAR NOT NULL,      -- sha256 of the normalised text
    word_count    INTEGER,
    reading_minutes DOUBLE,
    keywords      VARCHAR[],
    entry_key     VARCHAR                -- the feed's identity for the item (GUID, link, title+date)
);

CREATE TABLE entities (
    article_id  VARCHAR NOT NULL,
    name        VARCHAR NOT NULL,
    label       VARCHAR NOT NULL,        -- spaCy labels: PERSON, ORG, GPE, LOC, NORP, ...
    start_char  INTEGER,
    end_char    INTEGER
);

CREATE TABLE feeds (
    url                  VARCHAR PRIMARY KEY,
    name                 VARCHAR,
    title                VARCHAR,
    etag                 VARCHAR,
    last_modified        VARCHAR,
    body_hash            VARCHAR,
    last_fetched_at      TIMESTAMPTZ,
    last_status          INTEGER,
    last_error           VARCHAR,
    consecutive_failures INTEGER NOT NULL DEFAULT 0,
    entries_seen         INTEGER
);

-- What the cleaner removed, and why: the audit trail.
CREATE TABLE removals (
    article_id VARCHAR NOT NULL,
    rule       VARCHAR NOT NULL,
    text       VARCHAR NOT NULL
);

-- Entries that produced no article, and why. One row per URL, updated on each attempt.
CREATE TABLE rejections (
    url          VARCHAR PRIMARY KEY,
    feed_url     VARCHAR,
    stage        VARCHAR NOT NULL,
    reason       VARCHAR NOT NULL,
    first_seen_at TIMESTAMPTZ NOT NULL,
    last_seen_at TIMESTAMPTZ NOT NULL,
    attempts     INTEGER NOT NULL DEFAULT 1
);

-- MinHash-LSH band keys: a new batch finds its near-duplicate candidates with a join.
CREATE TABLE article_bands (
    band_key   BIGINT NOT NULL,
    article_id VARCHAR NOT NULL
);

CREATE TABLE stories (
    story_id      VARCHAR PRIMARY KEY,
    first_seen    TIMESTAMPTZ NOT NULL,
    last_seen     TIMESTAMPTZ NOT NULL,
    article_count INTEGER NOT NULL,
    title         VARCHAR
);
