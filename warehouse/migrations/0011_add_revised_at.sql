-- When a later load changed a stored row: an article published before a stored original, found
-- later, becomes its group's original, and the stored copies are pointed at it (duplicate_of,
-- duplicate_kind). NULL for a row never changed since its commit (ingested_at). A consumer reading
-- the stream incrementally reads `ingested_at > t OR revised_at > t`.
ALTER TABLE articles ADD COLUMN revised_at TIMESTAMPTZ;
