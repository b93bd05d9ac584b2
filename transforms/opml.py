"""OPML <-> feed list entries (url, name)."""
from __future__ import annotations

import xml.etree.ElementTree as ET


class OpmlError(ValueError):
    """The document is not OPML we can read."""


def parse_opml(raw: bytes) -> list[tuple[str, str | None]]:
    """Every outline with an xmlUrl, nested folders included, in document order, once each.
    (The standard library's expat refuses entity-expansion bombs.)"""
    try:
        root = ET.fromstring(raw)
    except ET.ParseError as exc:
        raise OpmlError(f"not well-formed XML: {exc}") from exc
    if root.tag.lower() != "opml":
        raise OpmlError(f"root element is <{root.tag}>, not <opml>")
    feeds, seen = [], set()
    for outline in root.iter("outline"):
        url = (outline.get("xmlUrl") or outline.get("xmlurl") or "").strip()
        if url and url not in seen:
            seen.add(url)
            feeds.append((url, (outline.get("title") or outline.get("text") or "").strip() or None))
    return feeds


def render_opml(feeds: list[tuple[str, str | None]], *, title: str = "newsflow feeds") -> bytes:
    root = ET.Element("opml", version="2.0")
    head = ET.SubElement(root, "head")
    ET.SubElement(head, "title").text = title
    body = ET.SubElement(root, "body")
    for url, name in feeds:
        attrs = {"type": "rss", "xmlUrl": url, "text": name or url}
        if name:
            attrs["title"] = name
        ET.SubElement(body, "outline", attrs)
    ET.indent(root)
    return ET.tostring(root, encoding="utf-8", xml_declaration=True) + b"\n"
