"""The report's HTML: one self-contained page (inline CSS, PNGs as data URIs, no external
resources, no JavaScript needed to read it). All text is escaped by jinja2's autoescape."""

from __future__ import annotations

import base64
from dataclasses import dataclass, field
from typing import Any

import jinja2


@dataclass
class FigureItem:
    """A rendered figure: ``name`` is its file name under figures/."""

    name: str
    title: str
    caption: str
    png: bytes = field(repr=False)
    width: int = 0  # the size it is shown at, in CSS pixels (the PNG has twice as many)
    height: int = 0

    @property
    def data_uri(self) -> str:
        return "data:image/png;base64," + base64.b64encode(self.png).decode("ascii")


@dataclass
class Section:
    id: str
    title: str
    intro: str = ""
    blocks: list[dict[str, Any]] = field(default_factory=list)

    def text(self, text: str, css: str = "") -> None:
        self.blocks.append({"type": "text", "text": text, "css": css})

    def figure(self, item: FigureItem) -> None:
        self.blocks.append({"type": "figure", "figure": item})

    def figures_row(self, items: list[FigureItem]) -> None:
        self.blocks.append({"type": "row", "figures": items})

    def table(
        self, columns: list[str], rows: list[list[Any]], caption: str = "", css: str = ""
    ) -> None:
        """A table; numbers are right-aligned, ``css="text"`` aligns every column left."""
        self.blocks.append(
            {"type": "table", "columns": columns, "rows": rows, "caption": caption, "css": css}
        )

    def verdict(self, level: str, title: str, text: str) -> None:
        self.blocks.append({"type": "verdict", "level": level, "title": title, "text": text})

    def code(self, text: str, caption: str = "") -> None:
        self.blocks.append({"type": "code", "text": text, "caption": caption})

    def details(self, summary: str, text: str) -> None:
        """A collapsed block of preformatted text (e.g. the whole config), opened on a click."""
        self.blocks.append({"type": "details", "summary": summary, "text": text})

    def pairs(self, entries: list[tuple[str, Any]]) -> None:
        """A two-column list of labelled values (label left, value right)."""
        self.blocks.append({"type": "pairs", "entries": entries})

    def cards(self, items: list[tuple[str, Any]]) -> None:
        self.blocks.append({"type": "cards", "entries": items})

    def subheading(self, text: str) -> None:
        self.blocks.append({"type": "h3", "text": text})


TEMPLATE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{ page_title }}</title>
<style>
  :root { --ink: #1f2328; --muted: #59636e; --line: #d8dee4; --accent: #0173b2; }
  * { box-sizing: border-box; }
  body { margin: 0; background: #f6f8fa; color: var(--ink);
         font: 15px/1.55 -apple-system, "Segoe UI", "DejaVu Sans", Helvetica, Arial, sans-serif; }
  main { max-width: 1280px; margin: 0 auto; padding: 24px 28px 48px; background: #fff;
         min-height: 100vh; box-shadow: 0 0 0 1px var(--line); }
  p, .caption, figcaption { max-width: 920px; }
  h1 { font-size: 26px; margin: 0 0 4px; }
  h2 { font-size: 21px; margin: 40px 0 8px; padding-top: 8px; border-top: 2px solid var(--line); }
  h3 { font-size: 16px; margin: 24px 0 6px; }
  .subtitle { color: var(--muted); margin: 0 0 16px; }
  nav.toc { background: #f6f8fa; border: 1px solid var(--line); border-radius: 6px;
            padding: 10px 16px; margin: 16px 0; }
  nav.toc ol { margin: 4px 0 0; padding-left: 22px; }
  nav.toc a { color: var(--accent); text-decoration: none; }
  .cards { display: grid; grid-template-columns: repeat(auto-fill, minmax(170px, 1fr));
           gap: 10px; margin: 12px 0; }
  .card { border: 1px solid var(--line); border-radius: 6px; padding: 8px 12px; }
  .card .label { color: var(--muted); font-size: 12px; text-transform: uppercase;
                 letter-spacing: .03em; }
  .card .value { font-size: 17px; font-weight: 600; overflow-wrap: anywhere; }
  table { border-collapse: collapse; margin: 8px 0 4px; font-size: 14px;
          font-variant-numeric: tabular-nums; }
  th, td { border-bottom: 1px solid var(--line); padding: 4px 10px; text-align: right; }
  th { background: #f6f8fa; font-weight: 600; }
  th:first-child, td:first-child { text-align: left; }
  table.text th, table.text td { text-align: left; vertical-align: top; }
  .table-wrap { overflow-x: auto; }
  figure { margin: 16px 0; }
  /* shown at the size it was laid out for (width/height attributes, half the PNG's pixels),
     scaled down only when the window is narrower; a click opens the PNG itself */
  figure img { max-width: 100%; height: auto; display: block; border: 1px solid #eef1f4; }
  figure a { display: inline-block; max-width: 100%; cursor: zoom-in; }
  figcaption, .caption { color: var(--muted); font-size: 14px; margin-top: 4px; }
  figcaption b { color: var(--ink); }
  /* side by side only where both fit at nearly full size; otherwise one under the other */
  .row { display: flex; flex-wrap: wrap; gap: 12px 20px; align-items: flex-start; }
  .row figure { flex: 1 1 540px; margin: 8px 0; }
  dl.pairs { display: grid; grid-template-columns: max-content 1fr; gap: 4px 18px;
             margin: 10px 0; font-size: 14px; }
  dl.pairs dt { color: var(--muted); }
  dl.pairs dd { margin: 0; overflow-wrap: anywhere; }
  details { margin: 10px 0; }
  summary { cursor: pointer; color: var(--accent); }
  .verdict { border-left: 5px solid; border-radius: 4px; padding: 10px 14px; margin: 12px 0; }
  .verdict.good { border-color: #029e73; background: #e9f7f1; }
  .verdict.warn { border-color: #de8f05; background: #fdf4e3; }
  .verdict.bad { border-color: #d55e00; background: #fcebe2; }
  .verdict .title { font-weight: 700; font-size: 16px; }
  .note { color: var(--muted); font-style: italic; }
  pre { background: #f6f8fa; border: 1px solid var(--line); border-radius: 6px; padding: 10px 14px;
        overflow-x: auto; font-size: 13px; }
  footer { margin-top: 40px; color: var(--muted); font-size: 13px; }
</style>
</head>
<body>
<main>
<h1>{{ title }}</h1>
<p class="subtitle">{{ subtitle }}</p>
<nav class="toc"><strong>Contents</strong>
<ol>{% for s in sections %}<li><a href="#{{ s.id }}">{{ s.title }}</a></li>{% endfor %}</ol>
</nav>
{% for s in sections %}
<section id="{{ s.id }}">
<h2>{{ s.title }}</h2>
{% if s.intro %}<p>{{ s.intro }}</p>{% endif %}
{% for b in s.blocks %}
{% if b.type == "text" %}<p class="{{ b.css }}">{{ b.text }}</p>
{% elif b.type == "cards" %}<div class="cards">{% for label, value in b.entries %}<div class="card">
<div class="label">{{ label }}</div><div class="value">{{ value }}</div></div>{% endfor %}</div>
{% elif b.type == "h3" %}<h3>{{ b.text }}</h3>
{% elif b.type == "figure" %}{{ fig(b.figure) }}
{% elif b.type == "row" %}<div class="row">{% for f in b.figures %}{{ fig(f) }}{% endfor %}</div>
{% elif b.type == "verdict" %}<div class="verdict {{ b.level }}">
<div class="title">{{ b.title }}</div><div>{{ b.text }}</div></div>
{% elif b.type == "details" %}<details><summary>{{ b.summary }}</summary>
<pre>{{ b.text }}</pre></details>
{% elif b.type == "pairs" %}<dl class="pairs">{% for label, value in b.entries %}
<dt>{{ label }}</dt><dd>{{ value }}</dd>{% endfor %}</dl>
{% elif b.type == "code" %}<pre>{{ b.text }}</pre>
{% if b.caption %}<p class="caption">{{ b.caption }}</p>{% endif %}
{% elif b.type == "table" %}<div class="table-wrap"><table{% if b.get("css") %} class="{{ b.css }}"\
{% endif %}>
<thead><tr>{% for c in b.columns %}<th>{{ c }}</th>{% endfor %}</tr></thead>
<tbody>{% for r in b.rows %}<tr>{% for v in r %}<td>{{ v }}</td>{% endfor %}</tr>
{% endfor %}</tbody>
</table></div>{% if b.caption %}<p class="caption">{{ b.caption }}</p>{% endif %}
{% endif %}
{% endfor %}
</section>
{% endfor %}
<footer>{{ footer }}</footer>
</main>
<script>
window.addEventListener("load", function () {
  var imgs = Array.prototype.slice.call(document.images);
  var ok = imgs.every(function (i) { return i.complete && i.naturalWidth > 0; });
  document.body.setAttribute("data-images-ok", ok ? "true" : "false");
  document.body.setAttribute("data-images", String(imgs.length));
});
</script>
</body>
</html>
"""

FIGURE_MACRO = """{% macro fig(f) %}<figure id="fig-{{ f.name[:-4] }}">\
<a href="figures/{{ f.name }}" title="Open the figure on its own (figures/{{ f.name }})">\
<img src="{{ f.data_uri }}"{% if f.width %} width="{{ f.width }}" height="{{ f.height }}"\
{% endif %} alt="{{ f.title }}"></a><figcaption><b>How to read this:</b> {{ f.caption }}\
</figcaption></figure>{% endmacro %}"""

_ENV = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined, trim_blocks=True)
_TEMPLATE = _ENV.from_string(FIGURE_MACRO + TEMPLATE)


def render_html(
    *,
    title: str,
    subtitle: str,
    sections: list[Section],
    footer: str,
    page_title: str | None = None,
) -> str:
    """Render the page; every string is HTML-escaped. ``page_title`` is the browser tab's title
    (default: ``title``)."""
    return _TEMPLATE.render(
        title=title,
        subtitle=subtitle,
        sections=sections,
        footer=footer,
        page_title=page_title or title,
    )
