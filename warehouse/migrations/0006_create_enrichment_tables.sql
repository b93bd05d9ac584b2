-- Enrichment: places resolved to coordinates, dates the text mentions, and the warehouse-wide
-- statistics that keywords (TF-IDF) and entity corrections learn from.
CREATE TABLE places (
    article_id   VARCHAR NOT NULL,
    mention      VARCHAR NOT NULL,      -- as the article first writes it ("al-Bukamal")
    geonameid    BIGINT NOT NULL,       -- GeoNames id: join places across articles and languages
    place_name   VARCHAR NOT NULL,      -- GeoNames' name ("Ālbū Kamāl")
    kind         VARCHAR NOT NULL,      -- country | region | city | continent
    country_code VARCHAR,               -- ISO 3166-1 alpha-2; NULL for a continent
    latitude     DOUBLE NOT NULL,
    longitude    DOUBLE NOT NULL,
    mentions     INTEGER NOT NULL,      -- how often the article names it
    exact        BOOLEAN NOT NULL       -- false: matched by transliteration, confirmed by the article's countries
);

CREATE TABLE dates (
    article_id VARCHAR NOT NULL,
    text       VARCHAR NOT NULL,        -- as written: "January 28", "last Friday"
    day        DATE NOT NULL,           -- resolved; relative ones against published_at
    precision  VARCHAR NOT NULL,        -- day | month
    start_char INTEGER
);

-- Document frequency of every content word: keywords are TF-IDF over the whole warehouse.
CREATE TABLE term_df (
    term     VARCHAR PRIMARY KEY,
    articles INTEGER NOT NULL
);

-- How many articles gave each name each label: the labels the warehouse has learned.
CREATE TABLE entity_names (
    name     VARCHAR NOT NULL,
    label    VARCHAR NOT NULL,
    articles INTEGER NOT NULL,
    PRIMARY KEY (name, label)
);
INSERT INTO entity_names SELECT name, label, count(DISTINCT article_id) FROM entities GROUP BY ALL;
