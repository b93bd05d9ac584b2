-- Which scheme built derived indexes (the dedup candidate keys in article_bands). When the
-- code's scheme differs, the run rebuilds them from the stored text before loading anything.
CREATE TABLE index_state (
    name       VARCHAR PRIMARY KEY,
    version    INTEGER NOT NULL,
    built_at   TIMESTAMPTZ NOT NULL DEFAULT current_timestamp
);
