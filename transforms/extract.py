"""Page or text bytes -> article text, title and page metadata (trafilatura for HTML)."""
from __future__ import annotations

import re
from datetime import datetime, timezone

import trafilatura
from lxml import etree
from lxml import html as lxml_html

from transforms.records import Extracted

_HTML_SNIFF = re.compile(rb"<(?:!doctype\s+html|html|head|body|article|div|p|meta|title)[\s>/]", re.I)
_CHARSET = re.compile(r"charset=([\w.:-]+)", re.I)


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
    UTF-8, then cp1252 (never fails)."""
    for bom, codec in ((b"\xef\xbb\xbf", "utf-8"), (b"\xff\xfe", "utf-16-le"), (b"\xfe\xff", "utf-16-be")):
        if content.startswith(bom):
            return content[len(bom):].decode(codec, errors="replace")
    declared = _CHARSET.search(content_type or "")
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
    try:  # a declared charset with a few bad bytes still beats a guess
        return content.decode(codec or "cp1252", errors="replace")
    except LookupError:
        return content.decode("cp1252", errors="replace")


_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([\w.:-]+)""", re.I)


def decode_html(content: bytes, content_type: str | None = None) -> str:
    """HTML bytes -> str the way browsers do it: BOM, HTTP charset, <meta> charset, then UTF-8 if
    the bytes are valid UTF-8, else windows-1252 (the web's default for unlabelled pages)."""
    if _CHARSET.search(content_type or ""):
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


def extract_html(content: bytes | str, *, url: str | None = None) -> Extracted | None:
    """trafilatura with comments off; None when it finds no article."""
    try:
        doc = trafilatura.bare_extraction(
            content, url=url, include_comments=False, with_metadata=True, include_tables=True
        )
    except (ValueError, RecursionError, etree.LxmlError):  # malformed or hostile markup
        return None
    if doc is None or not (doc.text or "").strip():
        return None
    return Extracted(
        text=doc.text,
        title=(doc.title or None),
        author=(doc.author or None),
        published_at=_parse_date(doc.date),
        license=(doc.license or None),
    )


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


def html_to_text(fragment: str) -> str:
    """Feed content (often an HTML fragment) -> text, keeping paragraphs."""
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
