-- The publisher's categories and tags of the feed item (RSS/Atom <category>, dc:subject, a JSON
-- Feed's tags), as the feed gives them. Empty for an article whose item had none; NULL for an
-- article stored before this column existed (its feed item is not kept).
ALTER TABLE articles ADD COLUMN tags VARCHAR[];
