-- Per-source line fingerprints: how many distinct articles of a source carried each line.
-- Lines seen often enough are boilerplate and cleaned from later articles of that source.
CREATE TABLE source_lines (
    source      VARCHAR NOT NULL,
    fingerprint BIGINT NOT NULL,
    articles    INTEGER NOT NULL,
    sample      VARCHAR,
    PRIMARY KEY (source, fingerprint)
);
