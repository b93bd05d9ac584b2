-- When a feed may be fetched again: after a failure (capped exponential backoff, Retry-After),
-- or when the feed asks for a minimum interval (Cache-Control max-age, RSS <ttl>).
ALTER TABLE feeds ADD COLUMN next_fetch_at TIMESTAMPTZ;
