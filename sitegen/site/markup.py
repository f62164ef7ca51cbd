"""Markdown -> sanitized HTML: the only place registry or config text becomes ``Markup``
without being escaped (everywhere else the templates or the filters in ``render.py``
escape it).

Descriptions and READMEs are written by whoever can push an image or edit a config.
They are rendered with Python-Markdown and then cleaned by nh3 (ammonia): no script,
style, iframe or event-handler attributes survive, and links keep only http(s) and
mailto URLs (no ``javascript:``, no ``data:``).
"""

from __future__ import annotations

import html

import markdown
import nh3
from markupsafe import Markup

ALLOWED_TAGS = frozenset(
    {
        "a", "abbr", "b", "blockquote", "br", "code", "dd", "del", "details", "dl", "dt",
        "em", "h1", "h2", "h3", "h4", "h5", "h6", "hr", "i", "img", "kbd", "li", "ol", "p",
        "pre", "s", "small", "span", "strong", "sub", "summary", "sup", "table", "tbody",
        "td", "th", "thead", "tr", "ul",
    }
)  # fmt: skip
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt", "title", "width", "height"},
    "th": {"align"},
    "td": {"align"},
    "code": {"class"},
    "span": {"class"},
}
URL_SCHEMES = frozenset({"http", "https", "mailto"})


def render_markdown(text: str) -> Markup:
    """Markdown source -> sanitized HTML, safe to insert into a page."""
    converted = markdown.markdown(text, extensions=["extra", "sane_lists"], output_format="html")
    return Markup(sanitize_html(converted))  # noqa: S704 - nh3 output is safe by construction


def sanitize_html(source: str) -> str:
    """Clean ``source`` HTML down to the allowed tags, attributes and URL schemes."""
    return nh3.clean(
        source,
        tags=set(ALLOWED_TAGS),
        attributes={k: set(v) for k, v in ALLOWED_ATTRIBUTES.items()},
        url_schemes=set(URL_SCHEMES),
        link_rel="noopener noreferrer nofollow",
        strip_comments=True,
    )


def excerpt(text: str, limit: int = 160) -> str:
    """Plain-text first paragraph of a markdown description, for list pages."""
    for block in text.strip().split("\n\n"):
        if block.lstrip().startswith("#"):
            continue  # a heading repeats the name; the first paragraph says more
        plain = html.unescape(nh3.clean(markdown.markdown(block), tags=set()))
        plain = " ".join(plain.split())
        if plain:
            return plain if len(plain) <= limit else plain[: limit - 1].rstrip() + "…"
    return ""
