"""`newsflow report`: the warehouse as one self-contained HTML page (inline CSS and SVG, no
scripts, nothing fetched), for operators and analysts who want a look before writing SQL."""
from __future__ import annotations

from datetime import date, datetime, timezone
from html import escape

from warehouse.report import ReportData, Section

CSS = """
body{font:14px/1.4 system-ui,sans-serif;margin:2rem auto;max-width:1100px;color:#222;padding:0 1rem}
h1{font-size:1.5rem}h2{font-size:1.1rem;margin-top:2rem;border-bottom:1px solid #ddd}
table{border-collapse:collapse;width:100%}td,th{padding:.2rem .5rem;text-align:left;border-bottom:1px solid #eee;
vertical-align:top}th{background:#f5f5f5}td.n{text-align:right;font-variant-numeric:tabular-nums}
.cards{display:flex;flex-wrap:wrap;gap:.75rem}.card{border:1px solid #ddd;border-radius:6px;padding:.5rem 1rem}
.card b{display:block;font-size:1.4rem}.bad{color:#b00}small{color:#777}
"""


def _cell(value) -> str:
    if value is None:
        return "<td></td>"
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return f'<td class="n">{value:,}</td>' if isinstance(value, int) else f'<td class="n">{value:,.2f}</td>'
    if isinstance(value, datetime):
        return f"<td>{escape(value.astimezone(timezone.utc).strftime('%Y-%m-%d %H:%M'))}</td>"
    if isinstance(value, date):
        return f"<td>{value.isoformat()}</td>"
    text = str(value)
    return f"<td>{escape(text[:300])}{'…' if len(text) > 300 else ''}</td>"


def table(section: Section, *, hide: tuple[str, ...] = ()) -> str:
    if not section.rows:
        return "<p><small>none</small></p>"
    keep = [i for i, c in enumerate(section.columns) if c not in hide]
    head = "".join(f"<th>{escape(section.columns[i].replace('_', ' '))}</th>" for i in keep)
    body = "".join("<tr>" + "".join(_cell(row[i]) for i in keep) + "</tr>" for row in section.rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def bar_chart(section: Section) -> str:
    """Articles per day as an inline SVG: originals dark, copies light."""
    rows = sorted(section.rows)  # (day, articles, duplicates), oldest first
    if not rows:
        return "<p><small>no articles yet</small></p>"
    width, height, top = 1000, 160, max(r[1] for r in rows)
    step = width / len(rows)
    bars = []
    for i, (day, count, copies) in enumerate(rows):
        h = height * count / top
        hc = height * copies / top
        x = i * step
        bars.append(f'<g><title>{day}: {count} articles, {copies} copies</title>'
                    f'<rect x="{x:.1f}" y="{height - h:.1f}" width="{max(step - 2, 1):.1f}" height="{h - hc:.1f}" fill="#345"/>'
                    f'<rect x="{x:.1f}" y="{height - hc:.1f}" width="{max(step - 2, 1):.1f}" height="{hc:.1f}" fill="#9ab"/></g>')
    label = f'<text x="0" y="{height + 14}" font-size="11">{rows[0][0]}</text>' \
            f'<text x="{width}" y="{height + 14}" font-size="11" text-anchor="end">{rows[-1][0]}</text>'
    return (f'<svg viewBox="0 0 {width} {height + 18}" width="100%" role="img" aria-label="articles per day">'
            f'{"".join(bars)}{label}</svg><small>max {top} articles a day; light: copies</small>')


def render(data: ReportData, *, generated_at: datetime | None = None) -> str:
    generated_at = generated_at or datetime.now(timezone.utc)
    totals = dict(zip(data.sections["totals"].columns, data.sections["totals"].rows[0]))
    cards = "".join(
        f'<div class="card{" bad" if key == "failing_feeds" and value else ""}"><b>{value:,}</b>{escape(key.replace("_", " "))}</div>'
        for key, value in totals.items() if key != "last_ingest")
    last = totals["last_ingest"]
    s = data.sections
    parts = [
        "<!doctype html><html lang='en'><head><meta charset='utf-8'><title>newsflow report</title>",
        f"<style>{CSS}</style></head><body>",
        f"<h1>newsflow warehouse</h1><p><small>{escape(str(data.path))} · generated "
        f"{generated_at.strftime('%Y-%m-%d %H:%M UTC')} · last ingest "
        f"{last.astimezone(timezone.utc).strftime('%Y-%m-%d %H:%M UTC') if last else 'never'}</small></p>",
        f'<div class="cards">{cards}</div>',
        "<h2>Articles per day</h2>", bar_chart(s["per_day"]),
        "<h2>Largest stories</h2>", table(s["stories"]),
        "<h2>Feeds</h2>", table(s["feeds"]),
        "<h2>Languages</h2>", table(s["languages"]),
        "<h2>Most mentioned entities</h2>", table(s["entities"]),
        "<h2>Publishers' tags</h2>", table(s["tags"]),
        "<h2>Why entries were rejected</h2>", table(s["rejections"]),
        "<h2>What cleaning removed</h2>", table(s["removals"]),
        "<p><small>Every figure comes from plain SQL over the warehouse (warehouse/report.py); "
        "query it yourself with <code>newsflow sql</code>.</small></p></body></html>",
    ]
    return "".join(parts)
