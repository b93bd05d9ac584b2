-- How many articles carry each publisher's tag, in lower case (articles.tags): the tags the warehouse
-- has seen. A one-word PERSON that a tag spells ("Twitter", "Java", "Docker") is a topic, not a
-- person (enrich.recorrect, entity scheme 4); analysts read the most used tags here too.
CREATE TABLE tag_names (
    tag      VARCHAR PRIMARY KEY,
    articles INTEGER NOT NULL
);
INSERT INTO tag_names
SELECT tag, count(DISTINCT article_id) FROM (SELECT article_id, lower(unnest(tags)) AS tag FROM articles WHERE tags IS NOT NULL)
GROUP BY tag;
