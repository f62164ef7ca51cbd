"""Markdown -> sanitized HTML: the only place registry or config text becomes ``Markup``
without being escaped (everywhere else the templates or the filters in ``render.py``
escape it).

Descriptions and READMEs are written by whoever can push an image or edit a config.
They are rendered with Python-Markdown and then cleaned by nh3 (ammonia): no script,
style, iframe or event-handler attributes survive, and links keep only http(s) and
mailto URLs (no ``javascript:``, no ``data:``).
"""

from __future__ import annotations

import functools
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


@functools.cache
def _converter(rich: bool) -> markdown.Markdown:
    """One converter per build process, for descriptions (``rich``) or their excerpts:
    making one costs more than converting a description with it."""
    if rich:
        return markdown.Markdown(extensions=["extra", "sane_lists"], output_format="html")
    return markdown.Markdown()


def _convert(text: str, rich: bool) -> str:
    """``markdown.markdown(text, ...)``: the converter is reset first, as Python-Markdown
    asks of one that converts several documents."""
    converter = _converter(rich)
    converter.reset()
    return converter.convert(text)


@functools.lru_cache(maxsize=256)
def render_markdown(text: str) -> Markup:
    """Markdown source -> sanitized HTML, safe to insert into a page (remembered: the
    repository page, its tag list and the registry page show the same description)."""
    return Markup(sanitize_html(_convert(text, rich=True)))  # noqa: S704 - nh3 output is safe


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


@functools.lru_cache(maxsize=256)
def excerpt(text: str, limit: int = 160) -> str:
    """Plain-text first paragraph of a markdown description, for list pages."""
    for block in text.strip().split("\n\n"):
        if block.lstrip().startswith("#"):
            continue  # a heading repeats the name; the first paragraph says more
        plain = html.unescape(nh3.clean(_convert(block, rich=False), tags=set()))
        plain = " ".join(plain.split())
        if plain:
            return plain if len(plain) <= limit else plain[: limit - 1].rstrip() + "…"
    return ""
