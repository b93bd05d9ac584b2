-- One row that every load updates. In a DuckLake warehouse two writers committing at once both
-- change it, so the later commit conflicts and that load is retried against the earlier one's
-- rows: no article twice, no counter lost. It also tells how many batches have been loaded.
CREATE TABLE loads (
    batches      BIGINT NOT NULL,
    last_load_at TIMESTAMPTZ
);
INSERT INTO loads VALUES (0, NULL);
