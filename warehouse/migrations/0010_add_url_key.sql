-- One key for every address of a page (transforms.articles.url_key: http = https, www./m./amp.
-- hosts, AMP paths and parameters, trailing slash): a link whose key is stored is that article,
-- not fetched or stored again. The migration runner registers the Python function as
-- newsflow_url_key(), so stored rows get the same key new ones do.
ALTER TABLE articles ADD COLUMN url_key VARCHAR;
UPDATE articles SET url_key = newsflow_url_key(url);
