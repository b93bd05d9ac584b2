"""Dates an article mentions ("on 21 November", "Nov. 21, 2026", "last Friday"), resolved to calendar days."""
from __future__ import annotations

import re
from datetime import date, datetime, timedelta

from transforms.records import DateMention

# Month names in the languages the feeds carry most (en, de, fr, es, it, pt, nl), abbreviations included.
_MONTHS = {
    1: "january jan januar janvier enero gennaio janeiro januari jänner",
    2: "february feb februar février fevrier febrero febbraio fevereiro februari",
    3: "march mar märz maerz mars marzo março maart",
    4: "april apr avril abril aprile",
    5: "may mai mayo maggio maio mei",
    6: "june jun juni juin junio giugno junho",
    7: "july jul juli juillet julio luglio julho",
    8: "august aug août aout agosto augustus",
    9: "september sep sept septembre septiembre settembre setembro",
    10: "october oct oktober octobre octubre ottobre outubro",
    11: "november nov novembre noviembre novembro",
    12: "december dec dezember décembre decembre diciembre dicembre dezembro",
}
MONTH = {name: number for number, names in _MONTHS.items() for name in names.split()}
WEEKDAY = {name: i for i, name in enumerate("monday tuesday wednesday thursday friday saturday sunday".split())}
_MONTH_RE = "|".join(sorted(MONTH, key=len, reverse=True))
_DAY = r"(?P<day>[0-3]?\d)(?:st|nd|rd|th|\.|er|º)?"
_YEAR = r"(?P<year>(?:19|20)\d\d)"
_PATTERNS = [
    # 2026-11-21
    re.compile(r"\b(?P<year>(?:19|20)\d\d)-(?P<month>[01]\d)-(?P<day>[0-3]\d)\b"),
    # 21 November 2026, 21. November 2026, 21 de noviembre de 2026, 21st of November, 2026, 21 November
    re.compile(rf"\b{_DAY}\s+(?:of\s+|de\s+)?(?P<mname>{_MONTH_RE})\.?(?:,?\s+(?:de\s+)?{_YEAR})?\b", re.IGNORECASE),
    # November 21, 2026 / Nov. 21 / November 21st
    re.compile(rf"\b(?P<mname>{_MONTH_RE})\.?\s+{_DAY}(?:,?\s+{_YEAR})?\b(?!\s*(?:%|percent|per cent))", re.IGNORECASE),
    # November 2026
    re.compile(rf"\b(?P<mname>{_MONTH_RE})\s+{_YEAR}\b", re.IGNORECASE),
]
_RELATIVE = re.compile(r"\b(?:(?P<which>last|this|next|on|since|until|by)\s+)?(?P<weekday>monday|tuesday|wednesday|thursday|"
                       r"friday|saturday|sunday)\b|\b(?P<word>yesterday|today|tomorrow)\b", re.IGNORECASE)
# "may" and "march" are also words: the abbreviation or the lower-case word needs a day next to it.
_AMBIGUOUS = frozenset({"may", "mar", "jun", "jul", "aug", "sep", "dec", "mai", "mars", "mei"})


def find_dates(text: str, published: datetime | None) -> list[DateMention]:
    """Absolute dates; a date without a year takes the publication's (the nearest such day to it);
    weekdays and yesterday/today/tomorrow only when the publication date anchors them."""
    found: dict[int, DateMention] = {}
    taken: list[range] = []
    anchor = published.date() if published else None
    for pattern in _PATTERNS:
        for m in pattern.finditer(text):
            if any(m.start() in r or m.end() - 1 in r for r in taken):
                continue
            mention = _absolute(m, anchor)
            if mention is not None:
                found[m.start()] = mention
            if mention is not None or m.groupdict().get("day"):  # "31 February 2024" is not "February 2024"
                taken.append(range(m.start(), m.end()))
    if anchor is not None:
        for m in _RELATIVE.finditer(text):
            if any(m.start() in r for r in taken) or m.group("weekday") and not m.group("weekday")[0].isupper():
                continue
            found[m.start()] = DateMention(m.group(0), _relative(m, anchor), "day", m.start())
    return [found[k] for k in sorted(found)]


def _absolute(m: re.Match, anchor: date | None) -> DateMention | None:
    groups = m.groupdict()
    name = (groups.get("mname") or "").lower()
    has_day, has_year = bool(groups.get("day")), bool(groups.get("year"))
    if name in _AMBIGUOUS and not (has_day and has_year or m.group("mname")[0].isupper() and (has_day or has_year)):
        return None
    month = MONTH[name] if name else int(groups["month"])
    year = int(groups["year"]) if groups.get("year") else None
    day = int(groups["day"]) if groups.get("day") else None
    if year is None:
        if anchor is None:
            return None
        days = [d for y in (anchor.year - 1, anchor.year, anchor.year + 1) if (d := _safe_date(y, month, day or 1))]
        value = min(days, key=lambda d: abs(d - anchor)) if days else None
    else:
        value = _safe_date(year, month, day or 1)
    if value is None:
        return None
    return DateMention(m.group(0), value, "day" if day else "month", m.start())


def _safe_date(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None


def _relative(m: re.Match, anchor: date) -> date:
    if word := m.group("word"):
        return anchor + timedelta(days={"yesterday": -1, "today": 0, "tomorrow": 1}[word.lower()])
    target = WEEKDAY[m.group("weekday").lower()]
    which = (m.group("which") or "").lower()
    if which in ("next", "until", "by"):
        return anchor + timedelta(days=(target - anchor.weekday()) % 7 or 7)
    # News reports what happened: a bare weekday is the latest one on or before the publication day.
    return anchor - timedelta(days=(anchor.weekday() - target) % 7)
