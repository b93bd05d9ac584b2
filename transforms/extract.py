"""Page or text bytes -> article text, title and page metadata (trafilatura for HTML)."""
from __future__ import annotations

import html
import json
import logging
import re
from collections import deque
from datetime import datetime, timezone
from urllib.parse import urlsplit

import trafilatura
from lxml import etree
from lxml import html as lxml_html

from transforms import charsets
from transforms.clean import INVISIBLE_CHARS, TITLE_SEPARATOR, normalize_for_match, title_forms
from transforms.records import Extracted


def _not_a_declined_page(record: logging.LogRecord) -> bool:
    """trafilatura warns "discarding data" for every page or feed fragment it finds no article in
    (one line per short feed entry in a run's output); newsflow records those outcomes itself."""
    return record.msg != "discarding data: %s"


logging.getLogger("trafilatura.core").addFilter(_not_a_declined_page)

_HTML_SNIFF = re.compile(rb"<(?:!doctype\s+html|html|head|body|article|div|p|meta|title)[\s>/]", re.I)


def is_html(content: bytes, content_type: str | None) -> bool:
    if content_type:
        ct = content_type.lower()
        if "html" in ct or "xml" in ct:
            return True
        if ct.startswith("text/plain"):
            return False
    return bool(_HTML_SNIFF.search(content[:4096]))


def decode_text(content: bytes, content_type: str | None = None, *, charset: str | None = None) -> str:
    """Bytes -> str: BOM, then the declared charset (`charset`, else the Content-Type's), then
    UTF-8; bytes neither reads are mostly-UTF-8 with strays, or in a guessed legacy charset when
    none is declared (`charsets`), else read by the declared charset or cp1252 (never fails)."""
    for bom, codec in ((b"\xef\xbb\xbf", "utf-8"), (b"\xff\xfe", "utf-16-le"), (b"\xfe\xff", "utf-16-be")):
        if content.startswith(bom):
            return content[len(bom):].decode(codec, errors="replace")
    declared = charsets.CHARSET.search(content_type or "")
    codec = (charset or (declared.group(1) if declared else "")).lower() or None
    if codec in ("latin-1", "latin1", "iso-8859-1", "us-ascii", "ascii"):
        codec = "cp1252"  # as browsers read them
    for candidate in (codec, "utf-8"):
        if not candidate:
            continue
        try:
            return content.decode(candidate)
        except (LookupError, UnicodeDecodeError):
            continue
    if (codec is None or charsets.is_utf8_name(codec)) and charsets.mostly_utf8(content):
        return charsets.decode_mixed(content)  # UTF-8 with a few stray windows-1252 bytes
    if codec is None and (guessed := charsets.guess(content)):
        return content.decode(guessed, errors="replace")  # a legacy charset declared nowhere
    try:  # a declared charset with a few bad bytes still beats a guess
        return content.decode(codec or "cp1252", errors="replace")
    except LookupError:
        return content.decode("cp1252", errors="replace")


_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([\w.:-]+)""", re.I)


def decode_html(content: bytes, content_type: str | None = None) -> str:
    """HTML bytes -> str the way browsers do it: BOM, HTTP charset, <meta> charset, then UTF-8 if
    the bytes are valid UTF-8, else windows-1252 (the web's default for unlabelled pages)."""
    if charsets.CHARSET.search(content_type or ""):
        return decode_text(content, content_type)
    meta = _META_CHARSET.search(content[:4096])
    return decode_text(content, charset=meta.group(1).decode("ascii", "replace") if meta else None)


def _parse_date(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)


_LEAD_META = ("og:description", "description", "twitter:description")
_INVISIBLE = frozenset({"script", "style", "noscript", "template", "head", "title", "meta", "svg", "button", "select"})
_MARKUP = re.compile(r"</?[a-zA-Z][a-zA-Z0-9]*(?:\s[^<>]*)?/?>")
MIN_LEAD = 40  # a description shorter than this is a tagline, not a standfirst
BODY_RATIO = 3  # trafilatura found under a third of the page's own articleBody: it missed the article
MIN_BODY = 500
_SPACE = re.compile(r"\s+")


def _squash(text: str) -> str:
    return _SPACE.sub(" ", text).strip()


def _standfirst(tree: lxml_html.HtmlElement) -> list[str]:
    """The article's lead as the page shows it: for each description the page declares for itself
    (og:description, description), the visible block whose text starts with it and is not much
    longer. trafilatura often drops the lead, as it sits in the article's header beside the
    headline. A description that no block shows (it exists in the metadata only) is not article
    text. A page may declare two: its first paragraph as one, its standfirst as the other
    (pcgamer.com); the caller takes the first block its text lacks."""
    body = tree.find("body")
    if body is None:
        return []
    seen: list[str] = []
    for meta in tree.iter("meta"):
        key = (meta.get("property") or meta.get("name") or "").lower()
        # a CMS may put the lead's markup in the description too ("&lt;p&gt;Die frühen ..."): its text counts
        value = _squash(_MARKUP.sub(" ", html.unescape(meta.get("content") or "")))
        if key in _LEAD_META and len(value) >= MIN_LEAD and value not in seen:
            seen.append(value)
    leads: list[str] = []
    for description in seen:
        core = description.rstrip(".… ")[:120]  # descriptions are often cut short with an ellipsis
        limit = max(len(description) * 1.3, len(description) + 100)
        lead = _block_starting_with(body, core)
        if lead is not None and len(lead) <= limit and lead not in leads:
            leads.append(lead)
    return leads


def _block_starting_with(body: lxml_html.HtmlElement, core: str) -> str | None:
    """The squashed text of the innermost visible element whose text starts with `core`: found
    from the text nodes holding core's first words, climbing to the first ancestor that holds it all."""
    words = core.split()
    for prefix in (" ".join(words[:3]), words[0] if words else ""):
        if len(prefix) < 3:
            continue
        for node in body.xpath(".//text()[contains(., $p)]", p=prefix):
            element = node.getparent()
            if element is None:
                continue
            if node.is_tail:
                element = element.getparent()
            chain = [element, *element.iterancestors()] if element is not None else []
            if any(not isinstance(e.tag, str) or e.tag in _INVISIBLE for e in chain):
                continue
            for candidate in chain:
                text = _squash(candidate.text_content())
                if len(text) >= len(core):
                    if text.startswith(core):
                        inline = _squash(_inline_text(candidate))
                        # an element left open (a header's <h2> never closed) holds the article after
                        # its own lead: the lead is its text up to the first block inside it
                        return inline if len(inline) >= len(core) and inline.startswith(core) else text
                    break
    return None


_BLOCKS = frozenset({"p", "div", "section", "article", "main", "aside", "header", "footer", "nav", "ul", "ol", "li",
                     "table", "figure", "blockquote", "form", "h1", "h2", "h3", "h4", "h5", "h6", "pre", "dl", "hr"})


def _inline_text(element: lxml_html.HtmlElement) -> str:
    """The element's text up to its first block-level child (its inline children's text included)."""
    parts = [element.text or ""]
    for child in element:
        if isinstance(child.tag, str) and child.tag in _BLOCKS:
            break
        if isinstance(child.tag, str) and child.tag not in _INVISIBLE:
            parts.append(child.text_content())
        parts.append(child.tail or "")
    return "".join(parts)


def _article_body(tree: lxml_html.HtmlElement) -> str | None:
    """schema.org articleBody from the page's JSON-LD (the publisher's own copy of the text)."""
    for script in tree.iter("script"):
        if (script.get("type") or "").lower() != "application/ld+json" or not script.text:
            continue
        try:
            queue = deque([json.loads(script.text)])
        except ValueError:
            continue
        while queue:  # in document order: the page's own article comes before what it lists
            item = queue.popleft()
            if isinstance(item, list):
                queue.extend(item)
            elif isinstance(item, dict):
                body = item.get("articleBody")
                if isinstance(body, str) and body.strip():
                    if "<" in body:
                        body = html_to_text(body)
                    return "\n".join(line.strip() for line in body.splitlines() if line.strip())
                queue.extend(v for v in item.values() if isinstance(v, (dict, list)))
    return None


_XML_DECLARATION = re.compile(r"^\s*<\?xml[^>]*\?>")


def _page_hints(content: bytes | str) -> tuple[list[str], str | None]:
    """(standfirst blocks, articleBody) of a page, read from its own parse (trafilatura prunes its tree)."""
    if isinstance(content, str):  # lxml refuses a str that declares its encoding (an XHTML page's <?xml ...?>)
        content = _XML_DECLARATION.sub("", content, count=1)
    try:
        tree = lxml_html.fromstring(content)
    except (ValueError, etree.LxmlError):
        return [], None
    if not isinstance(tree, lxml_html.HtmlElement):
        return [], None
    return _standfirst(tree), _article_body(tree)


# Elements whose text is prose: a line break in their source is a space (as a browser shows it),
# not a paragraph break. trafilatura keeps the breaks of the text that follows an inline element
# (a link, <code>) inside a paragraph, so hard-wrapped HTML came out as broken lines.
_PROSE = frozenset({"p", "li", "h1", "h2", "h3", "h4", "h5", "h6", "dt", "dd", "figcaption", "caption", "th", "td",
                    "blockquote"})
_KEEP_BREAKS = frozenset({"pre", "textarea", "script", "style"})
_WRAP = re.compile(r"[ \t\r\f\v]*\n\s*")


def _unwrap_prose(tree: lxml_html.HtmlElement) -> None:
    """Turn the source's line breaks inside prose elements into spaces, in place; preformatted
    text keeps them, and <br> still breaks a line. One pass over the tree."""
    stack = [(tree, False)]
    while stack:
        node, prose = stack.pop()
        if not isinstance(node.tag, str) or node.tag in _KEEP_BREAKS:
            continue
        prose = prose or node.tag in _PROSE
        if prose and node.text and "\n" in node.text:
            node.text = _WRAP.sub(" ", node.text)
        for child in node:
            if prose and child.tail and "\n" in child.tail:  # text after a child is the node's own
                child.tail = _WRAP.sub(" ", child.tail)
            stack.append((child, prose))


def extract_html(content: bytes | str, *, url: str | None = None) -> Extracted | None:
    """trafilatura with comments off, and two things it misses: the page's own standfirst (put
    first when the text lacks it) and, when trafilatura finds under a third of it, the page's
    schema.org articleBody in place of its text. None when there is no article."""
    try:
        tree = trafilatura.utils.load_html(content)  # parsed as trafilatura parses it
        declared = _declared_titles(tree) if tree is not None else []  # read before trafilatura prunes the tree
        if tree is not None:
            _unwrap_prose(tree)
        doc = trafilatura.bare_extraction(
            tree if tree is not None else content, url=url, include_comments=False, with_metadata=True,
            include_tables=True
        )
    except (ValueError, RecursionError, etree.LxmlError):  # malformed or hostile markup
        return None
    text = (doc.text or "").strip() if doc is not None else ""
    try:
        leads, body = _page_hints(content)
    except RecursionError:
        leads, body = [], None
    # trafilatura's own fallback takes articleBody too, but with its paragraphs run together
    if body and (len(body) >= MIN_BODY and len(body) > BODY_RATIO * len(text) or _squash(body) == _squash(text)):
        text = body
    lead = next((lead for lead in leads if _squash(lead)[:60] not in _squash(text)), None)
    if lead and text:
        lines = text.split("\n")
        head = _headline_lines(lines, getattr(doc, "title", None))  # the headline stays above the lead, as on the page
        text = "\n".join([*lines[:head], lead, *lines[head:]])
    if not text:
        return None
    return Extracted(  # doc is None when only the articleBody was found: no metadata then
        text=text,
        title=_checked_title(without_site_name(getattr(doc, "title", None), getattr(doc, "sitename", None), url) or None,
                             declared, getattr(doc, "sitename", None), url, text),
        author=page_author(getattr(doc, "author", None)),
        published_at=_parse_date(getattr(doc, "date", None)),
        license=getattr(doc, "license", None) or None,
    )


# The label a page's author field may carry with the name ("Autor www koffergepackt com", "Vom
# Krimiblogger", "Auteur Anna Kubišta", "Artikel von hausinfo"): trafilatura keeps it.
_AUTHOR_LABEL = re.compile(r"^(?:written by|geschrieben von|artikel von|beitrag von|vom|von|par|por|autor(?:in)?|auteur|author|autore)"
                           r"\s*:?\s+(?=\S)", re.IGNORECASE)
# What trafilatura gives as an author ("A; B" for several) and is not one: a social network's
# profile address turned into words ("Facebook Com"), a form's or a CMS's placeholder ("Name",
# "Wordpressadmin", "Unknown"). A site's own address ("Www Haufe De", "przepisy pl") is its
# publisher: it stays, written as an address, unless another part already names it ("Frank
# Bueltge; Bueltge De").
_ADDRESS_AUTHOR = re.compile(r"^(?P<name>(?:www\s+)?(?:[\w-]+\s+){0,2}[\w-]+)\s+(?P<tld>com|net|org|de|at|ch|pl|fr|es|it|nl|be|eu|io|info|co\s+uk)$",
                             re.IGNORECASE)
_SOCIAL = frozenset({"facebook", "twitter", "instagram", "linkedin", "youtube", "tiktok", "pinterest", "x", "medium"})
_PLACEHOLDER_AUTHOR = frozenset({"name", "unknown", "human", "admin", "administrator", "wordpressadmin", "webmaster",
                                 "user", "guest", "author", "autor", "autorin", "article by", "posted by", "by"})


def page_author(author: str | None) -> str | None:
    """trafilatura's author for a page, without its label ("Vom Krimiblogger", "Autor www ...") and
    without the parts that name no one: "Facebook Com; Evgenia Karp" -> "Evgenia Karp", "Name" ->
    None, "Autor; In Korinna Hennig" (from "Autor:in Korinna Hennig") -> "Korinna Hennig", a
    copyright notice or a company form left alone ("Co KG"); a site's address is written as one
    ("przepisy pl" -> "przepisy.pl"). A page's placeholder would otherwise stand in for the feed's
    author."""
    parts = [part.strip() for part in _AUTHOR_LABEL.sub("", author or "").split(";")]
    names: list[str] = []
    for i, part in enumerate(parts):
        if part.casefold() in ("autor", "author") and i + 1 < len(parts) and parts[i + 1][:3].casefold() == "in ":
            parts[i + 1] = parts[i + 1][3:]  # "Autor:in Name": the gender ending, split off at the colon
        if part and not (part.casefold() in _PLACEHOLDER_AUTHOR or _NOTICE_AUTHOR.match(part) or _COMPANY_FORM.match(part)):
            names.append(part)
    kept: list[str] = []
    for part in names:
        if address := _ADDRESS_AUTHOR.match(part):
            words = address.group("name").casefold().split()
            if words[-1] in _SOCIAL or any(words[-1] in other.casefold() for other in names if not _ADDRESS_AUTHOR.match(other)):
                continue  # a profile's address, or the address of a site another part names
            part = ".".join([*words, *address.group("tld").casefold().split()])
        kept.append(part)
    return "; ".join(kept) or None


_NOTICE_AUTHOR = re.compile(r"^(?:copyright\b|©|\(c\)\s)", re.IGNORECASE)
_COMPANY_FORM = re.compile(r"^(?:co\.?\s*kg|gmbh|ag|inc\.?|ltd\.?|llc|s\.?a\.?)$", re.IGNORECASE)


_NOT_ALNUM = re.compile(r"[\W_]+")


def _key(name: str) -> str:
    """A name's letters and digits, casefolded: how site names and titles are compared."""
    return _NOT_ALNUM.sub("", name.casefold())

_TLD = re.compile(r"\.(?:com|net|org|info|co\.uk|[a-z]{2})$")
_DATE_PART = re.compile(r"^\d{1,4}[./-]\d{1,2}[./-]\d{1,4}$")


def without_site_name(title: str | None, sitename: str | None, url: str | None = None) -> str | None:
    """The page's <title> without the site's name its publisher adds after or before the headline
    ("Tagesschau unterschlägt Hass-Demo in Essen - reitschuster.de", "... | DW | 19.01.2020"): the
    parts at its end (or start) that spell the site's name as the page declares it (`sitename`) or
    as its host does, letters and digits compared, with a date beside them. The headline itself
    is never cut away."""
    if not title:
        return title
    names = set()
    for name in (sitename, urlsplit(url).hostname if url else None):
        if name:
            name = name.casefold().removeprefix("www.")
            names |= {_NOT_ALNUM.sub("", name), _NOT_ALNUM.sub("", _TLD.sub("", name))}
    names.discard("")
    if not names:
        return title
    separators = list(TITLE_SEPARATOR.finditer(title))
    bounds = [0, *(x for m in separators for x in (m.start(), m.end())), len(title)]
    parts = [title[bounds[2 * i]:bounds[2 * i + 1]] for i in range(len(separators) + 1)]

    def is_site(run: list[str]) -> bool:  # the site's name may hold a separator ("Martina Berg - Lady 50plus")
        return _key("".join(run)) in names

    last = len(parts)
    while last > 1 and _DATE_PART.match(parts[last - 1].strip()):
        last -= 1  # "| DW | 19.01.2020"
    site_end = next((k for k in range(1, last) if is_site(parts[k:last])), None)
    last = len(parts) if site_end is None else site_end  # a date alone is the headline's ("Wahlen - 19.01.2020")
    first = next((k for k in range(last - 1, 0, -1) if is_site(parts[:k])), 0)
    return title[bounds[2 * first]:bounds[2 * last - 1]]


def _declared_titles(tree) -> list[str]:
    """The titles a page declares for itself: its og:title, then its <title>."""
    found = [_squash(html.unescape(meta.get("content") or "")) for meta in tree.iter("meta")
             if (meta.get("property") or meta.get("name") or "").lower() == "og:title"][:1]
    element = tree.find(".//title")
    if element is not None:
        found.append(_squash(element.text_content()))
    return [title.translate(INVISIBLE_CHARS) for title in found if title]


def _checked_title(title: str | None, declared: list[str], sitename: str | None, url: str | None, text: str) -> str | None:
    """trafilatura's title, unless it is the site's name (its host's, or the last part of the page's
    <title> when the rest says more: "Was ist Virales Marketing? | DimidoBlog") or a label that
    neither the page's declared titles nor the text's opening hold (a menu's heading "Hauptmenü", a
    contact box's "Ansprechpartner", the CMS's name "escenic"): then the page's own og:title or
    <title>, without the site's name."""
    if not declared:
        return title
    host = (urlsplit(url).hostname or "").removeprefix("www.") if url else ""
    hosts = {_key(name) for name in (host, host.split(".")[0]) if name}
    site = title is None or _key(title) in hosts or any(_is_last_part(title, d) for d in declared)
    if not site and (any(_key(title) in _key(d) for d in declared) or _key(title) in _key(text[:TITLE_IN_TEXT])):
        return title
    for candidate in declared:
        candidate = without_site_name(candidate, title if site and title else sitename, url)
        if (candidate and len(candidate) <= MAX_TITLE and _key(candidate) not in hosts
                and (title is None or _key(candidate) != _key(title))):
            return candidate
    return title


MAX_TITLE = 300  # a declared "title" longer than this is a page's keyword dump, not a headline
TITLE_IN_TEXT = 1000  # characters of the text's opening where a heading trafilatura took as the title sits


def _is_last_part(title: str, declared: str) -> bool:
    """Whether `title` is the last part of the declared title and the parts before it have more words."""
    parts = TITLE_SEPARATOR.split(declared)
    return (len(parts) > 1 and _key(parts[-1]) == _key(title)
            and len(" ".join(parts[:-1]).split()) > len(title.split()))


def _headline_lines(lines: list[str], title: str | None) -> int:
    """How many of the text's first lines print the page's title (none, one, or a kicker and a
    headline on two), as the cleaner will know them (`clean.title_forms`)."""
    if not title or len(lines) < 2:
        return 0
    forms = title_forms(title)
    if normalize_for_match(lines[0]) in forms:
        return 1
    if len(lines) > 2 and normalize_for_match(f"{lines[0]} {lines[1]}") in forms:
        return 2
    return 0


def extract_article(content: bytes, *, url: str | None = None, content_type: str | None = None) -> Extracted | None:
    """HTML goes through trafilatura; plain text is decoded and kept paragraph by paragraph."""
    if not content or not content.strip():
        return None
    if is_html(content, content_type):
        return extract_html(decode_html(content, content_type), url=url)
    text = decode_text(content, content_type)
    if "\x00" in text[:2048]:  # binary served as text
        return None
    return Extracted(text=text)


# "&lt;p&gt;": markup its publisher escaped twice (the feed's parser undoes one escape only).
_ESCAPED_TAG = re.compile(r"&lt;/?[a-zA-Z][a-zA-Z0-9]*(?:\s[^&]{0,300}?)?/?&gt;")
# Character references left in the text after parsing ("[&#8230;]", "&quot;"): escaped twice.
_LEFT_ENTITY = re.compile(r"&(?:#\d{2,7}|#[xX][0-9a-fA-F]{2,6}|nbsp|quot|amp|apos|hellip|[lr][sd]quo|[mn]dash);")


def html_to_text(fragment: str) -> str:
    """Feed content (often an HTML fragment) -> text, keeping paragraphs. Content escaped twice
    by its publisher is unescaped once more: markup when it holds no real tag but escaped ones,
    character references when they are left in the text."""
    if "<" not in fragment and _ESCAPED_TAG.search(fragment):
        fragment = html.unescape(fragment)
    text = _fragment_text(fragment)
    for _ in range(2):  # "&#x26;amp;" in the feed: escaped three times
        text = _LEFT_ENTITY.sub(lambda m: html.unescape(m.group()), text)
    return text


def _fragment_text(fragment: str) -> str:
    if "<" not in fragment:
        return fragment
    wrapped = f"<html><body><article>{fragment}</article></body></html>"
    extracted = extract_html(wrapped)
    if extracted is not None:
        return extracted.text
    # trafilatura declines tiny fragments; fall back to tag stripping
    try:
        return lxml_html.fromstring(fragment).text_content()
    except (ValueError, etree.LxmlError):
        return re.sub(r"<[^>]+>", " ", fragment)
