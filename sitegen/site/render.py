"""Pages -> HTML and JSON text, feeds and sitemaps -> XML, through the Jinja2 theme.
No network, no file writes.

Templates come from the user's ``theme_dir`` first, then the default theme, by name
(mkdocs' ``custom_dir``, datasette's template loader). Autoescape is on everywhere and
undefined variables are errors, so a typo in a template fails the build instead of
rendering an empty cell.
"""

from __future__ import annotations

import base64
import contextlib
import functools
import hashlib
import json
from collections import OrderedDict
from collections.abc import Callable, Mapping, MutableMapping
from importlib import resources
from pathlib import Path
from typing import Any, Generic, TypeVar, cast

import jinja2
from markupsafe import Markup, escape

from sitegen import __version__
from sitegen.config import SiteConfig
from sitegen.dates import display
from sitegen.oci import kinds
from sitegen.site.pages.page import Page
from sitegen.site.pages.shapes import ImageDocument
from sitegen.site.pages.views import ImageView, ManifestView
from sitegen.site.paths import PAGE_HTML, STAMP_FILE, STATIC_DIR, URLS, relative_root

_T = TypeVar("_T")

_REPO_ROOT = Path(__file__).resolve().parents[2]


def default_theme() -> tuple[Path, Path]:
    """(templates dir, static dir) of the default theme.

    In a wheel the theme is ``sitegen/theme/``; in a source checkout it is the
    repository's top-level ``templates/`` and ``static/``.
    """
    packaged = Path(str(resources.files("sitegen"))) / "theme"
    if (packaged / "templates").is_dir():
        return packaged / "templates", packaged / "static"
    return _REPO_ROOT / "templates", _REPO_ROOT / "static"


def human_size(value: Any) -> str:
    """Bytes in decimal units as registries show them: ``12.3 MB``."""
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        return ""
    size = float(value)
    for unit in ("B", "kB", "MB", "GB", "TB"):
        if size < 1000 or unit == "TB":
            return f"{int(size)} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1000
    return ""  # pragma: no cover


def kind_name(value: Any) -> str:
    """A manifest kind as a reader says it: ``helm-chart`` -> ``Helm chart``."""
    return kinds.NAMES.get(str(value), "artifact")


def short_digest(value: Any) -> str:
    """``sha256:0123456789ab`` (12 hex digits, like docker's image IDs)."""
    text = str(value or "")
    algorithm, sep, encoded = text.partition(":")
    return f"{algorithm}:{encoded[:12]}" if sep else text[:19]


@functools.lru_cache(maxsize=4096)
def _display_text(value: str) -> str:
    return display(value)


def _when(value: Any) -> str:
    """``display``, remembered for text: the same dates recur on many pages."""
    return _display_text(value) if isinstance(value, str) else display(value)


def digest_code(value: Any) -> Markup:
    """``value|digest``: a short digest in ``<code>``, the whole one in its title."""
    # These filters run ~20 times a page: f-strings with every value escaped by hand
    # cost a third of Markup.format.
    short = escape(short_digest(value))
    return Markup(f'<code class="digest" title="{escape(value)}">{short}</code>')  # noqa: S704


_ANNOTATION_TITLE = ' title="from the org.opencontainers.image.created annotation"'


def created_time(value: Any, source: str = "") -> Markup:
    """``value|created(source)``: a ``<time>``, or "unknown"."""
    if not value:
        return Markup('<span class="muted">unknown</span>')
    title = _ANNOTATION_TITLE if source == "annotation" else ""
    when = escape(_when(value))
    return Markup(f'<time datetime="{escape(value)}"{title}>{when}</time>')  # noqa: S704


def linked(value: Any) -> Markup:
    """``value|linked``: an http(s) URL as a link (label values often are), else text."""
    text = escape(value)
    if isinstance(value, str) and value.startswith(("https://", "http://")) and " " not in value:
        return Markup(f'<a href="{text}" rel="noopener noreferrer nofollow">{text}</a>')  # noqa: S704
    return text


def dot_breaks(value: Any) -> Markup:
    """``key|dotbreak``: escaped, with a line-break opportunity after every dot, so a
    narrow column breaks ``org.opencontainers.image.source`` between its parts."""
    return Markup(str(escape(value)).replace(".", ".<wbr>"))  # noqa: S704


def pretty_json(value: Any) -> str:
    """Indented JSON for the raw manifest and config views."""
    return json.dumps(value, indent=2, sort_keys=False, ensure_ascii=False)


def exec_form(value: Any) -> str:
    """``["/app", "--flag"]``: an entrypoint or command as a Dockerfile writes it, with
    its characters as they are (``tojson`` would write them as ``\\uXXXX``)."""
    return json.dumps(value, ensure_ascii=False)


@jinja2.pass_context
def href(context: jinja2.runtime.Context, path: str) -> str:
    """A relative link from the current page to the page at ``path`` (works from disk)."""
    return f"{context['root']}{path}{PAGE_HTML}"


@jinja2.pass_context
def file_href(context: jinja2.runtime.Context, path: str) -> str:
    """A relative link from the current page to a file at ``path`` from the site root."""
    return f"{context['root']}{path}"


@jinja2.pass_context
def asset(context: jinja2.runtime.Context, name: str) -> str:
    """A relative link to a static asset."""
    return f"{context['root']}{STATIC_DIR}{name}"


_DICT_ATTRIBUTES = frozenset(dir(dict))


class _Environment(jinja2.Environment):
    """Jinja2's environment with a faster ``data.key`` on plain dicts.

    Page data is plain dicts, and Jinja2 resolves ``x.key`` as an attribute first: for
    a dict that raises and catches ``AttributeError`` on every lookup, about 150 times
    a page. For an exact ``dict`` the outcome is known without trying: only the names
    of dict's own attributes (``items``, ``keys``, ...) resolve as attributes, anything
    else is an item. Same results as ``jinja2.Environment.getattr``, less time.
    """

    def getattr(self, obj: Any, attribute: str) -> Any:
        if type(obj) is dict and attribute not in _DICT_ATTRIBUTES:
            try:
                return obj[attribute]
            except KeyError:
                return self.undefined(obj=obj, name=attribute)
        return super().getattr(obj, attribute)

    def make_globals(self, d: MutableMapping[str, Any] | None) -> MutableMapping[str, Any]:
        """A template's globals as a plain dict, not Jinja2's ``ChainMap`` over the
        environment's: every render, include and import reads them (a context copies
        them, an import compares their keys), a few times a page, and a ``ChainMap``
        answers each key by asking each of its maps. The same names and values; the
        environment's globals are all set before the first template is loaded."""
        return {**self.globals, **(d or {})}


class _RememberedPrettyJson:
    """``pretty_json`` that remembers its recent results.

    Indenting is done by the pure-Python JSON encoder, so doing it once per document
    matters: an equal document (the same manifest in a mirror repository) is found by
    its compact encoding (C encoder): equal keys mean the same tokens in the same
    order, hence the same indented text.
    """

    def __init__(self, size: int = 1024) -> None:
        self.size = size
        self._texts: OrderedDict[str, str] = OrderedDict()

    def __call__(self, value: Any) -> str:
        try:
            key = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
        except (TypeError, ValueError):
            return pretty_json(value)  # fails the same way it always did
        text = self._texts.get(key)
        if text is None:
            text = pretty_json(value)
        _remember(self._texts, key, text, self.size)
        return text


class _ByIdentity(Generic[_T]):
    """``compute(*arguments)``, remembered for the last ``size`` argument lists: text
    by value, anything else by identity.

    For the documents the pages of one image share (the same objects). The arguments
    are held while remembered, so their ids cannot be reused by other objects meanwhile:
    the same key is the same arguments.
    """

    def __init__(self, compute: Callable[..., _T], size: int = 256) -> None:
        self.compute = compute
        self.size = size
        self._seen: OrderedDict[tuple[object, ...], tuple[tuple[Any, ...], _T]] = OrderedDict()

    def __call__(self, *arguments: Any) -> _T:
        key = tuple(a if isinstance(a, str) else id(a) for a in arguments)
        seen = self._seen.get(key)
        if seen is not None:
            self._seen.move_to_end(key)
            return seen[1]
        result = self.compute(*arguments)
        _remember(self._seen, key, (arguments, result), self.size)
        return result


def _remember(memory: OrderedDict[Any, Any], key: Any, value: Any, size: int) -> None:
    """Put ``key`` last in ``memory`` and drop the oldest entries beyond ``size``."""
    memory[key] = value
    memory.move_to_end(key)
    while len(memory) > size:
        memory.popitem(last=False)


class Renderer:
    """The Jinja2 environment for one build."""

    def __init__(self, site: SiteConfig) -> None:
        templates, _ = default_theme()
        search = [str(site.theme_dir)] if site.theme_dir else []
        search.append(str(templates))
        self.site = site
        self.env = _Environment(
            loader=jinja2.FileSystemLoader(search),
            autoescape=True,
            undefined=jinja2.StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
            keep_trailing_newline=True,
            # Templates do not change during a build: no stat() per include and import.
            auto_reload=False,
        )
        self.env.filters.update(
            size=human_size,
            short=short_digest,
            digest=digest_code,
            created=created_time,
            linked=linked,
            dotbreak=dot_breaks,
            when=_when,
            pretty_json=_RememberedPrettyJson(),
            exec_form=exec_form,
            href=href,
            asset=asset,
            file_href=file_href,
            kind_name=kind_name,
        )
        # Two partials are most of a tag or digest page, and the same on the page of
        # each tag of a manifest and on its digest page: each is rendered from exactly
        # what it is given (nothing else of the page is in its context) and remembered
        # by exactly that, so a theme's own version of it cannot show one page's
        # values on another.
        self.manifest_body = _ByIdentity(self._manifest_body)
        self.image_section = _ByIdentity(self._image_section)
        self.env.globals.update(
            version=__version__,
            urls=URLS,
            image_section=self.image_section,
            manifest_body=self.manifest_body,
        )
        self.json = PageJson()  # the page's index.json

    def _manifest_body(self, manifest: ManifestView, root: str) -> Markup:
        """``manifest_body(view.manifest, root)``: ``_partials/manifest_body.html`` for one
        manifest of one repository, with ``data`` (the manifest's facts), ``view`` (its
        view) and ``root`` alone. The pages that share it are as deep, so share ``root``.
        """
        template = self.env.get_template("_partials/manifest_body.html")
        html = template.render(data=manifest["facts"], view=manifest, root=root)
        return Markup(html)  # noqa: S704 (an autoescaped template)

    def _image_section(self, image: ImageDocument, view: ImageView) -> Markup:
        """``image_section(data.image, view.image)``: ``_partials/image.html`` for one
        image, with ``image`` (its document) and ``view`` (its view) alone: no links,
        nothing about the page."""
        template = self.env.get_template("_partials/image.html")
        return Markup(template.render(image=image, view=view))  # noqa: S704 (autoescaped)

    def load_templates(self) -> None:
        """Compile every template now rather than at its first page: in a thread while
        the crawl goes on, the render after it starts with them compiled. A template
        that does not load is left for its first use to report."""
        for name in self.env.list_templates(extensions=("html", "xml")):
            with contextlib.suppress(jinja2.TemplateError, OSError, ValueError):
                self.env.get_template(name)

    def html(self, page: Page) -> str:
        """The page's HTML."""
        template = self.env.get_template(page.template)
        return template.render(
            page=page,
            data=page.data,
            view=page.view,
            root=relative_root(page.path),
            site=self.site,
            canonical=f"{self.site.url}{page.path}" if self.site.url else "",
        )

    def xml(self, template: str, **context: object) -> str:
        """An XML file (a feed, a sitemap) from its template: the same escaping as the
        pages, which is XML's too (``&amp;``, ``&lt;``, ``&gt;``, ``&#34;``, ``&#39;``)."""
        return self.env.get_template(template).render(**context)

    def not_found(self) -> str:
        """``404.html``: GitHub Pages and ``sitegen serve`` serve it for any missing path,
        at any depth, so its links start from the site's URL (``root``), else from ``/``,
        corrected by ``NOT_FOUND_SCRIPT`` (allowed by its hash) when the site is deeper."""
        template = self.env.get_template("404.html")
        # A page's attributes, for a theme's 404.html that extends base.html; no data.
        page = {"path": "", "template": "404.html", "title": "Page not found", "crumbs": ()}
        root = self.site.url or "/"
        digest = base64.b64encode(hashlib.sha256(NOT_FOUND_SCRIPT.encode()).digest()).decode()
        return template.render(
            page=page,
            data={},
            view={},
            root=root,
            site=self.site,
            canonical="",
            root_script=Markup(NOT_FOUND_SCRIPT),  # noqa: S704 - our constant, no data
            root_script_hash=f"sha256-{digest}",
        )


# The 404 page's one script: the catalog's root is the longest prefix of the address
# that holds the build's stamp; links marked data-root-path are pointed there.
NOT_FOUND_SCRIPT = (
    "(function () {"
    " var parts = location.pathname.split('/').slice(0, -1);"
    " function tryRoot(n) {"
    "  if (n < 1) { return; }"
    "  var root = parts.slice(0, n).join('/') + '/';"
    f"  fetch(root + '{STAMP_FILE}', {{method: 'HEAD'}}).then(function (r) {{"
    "   if (!r.ok) { tryRoot(n - 1); return; }"
    "   document.querySelectorAll('[data-root-path]').forEach(function (node) {"
    "    var attribute = node.tagName === 'FORM' ? 'action' : 'href';"
    "    node.setAttribute(attribute, root + node.getAttribute('data-root-path'));"
    "   });"
    "  }, function () { tryRoot(n - 1); });"
    " }"
    " tryRoot(parts.length);"
    "})();"
)


# ``json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"))`` without
# making an encoder per call: pages are encoded member by member.
_compact = json.JSONEncoder(sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode
_text = json.encoder.encode_basestring  # what that encoder writes text with


def _member(key: str, value: object) -> str:
    """``"key":value`` as ``_compact`` writes it; text and whole numbers directly."""
    if type(value) is str:
        return f"{_text(key)}:{_text(value)}"
    if type(value) is int:
        return f"{_text(key)}:{value}"
    return f"{_text(key)}:{_compact(value)}"


class PageJson:
    """The ``index.json`` written beside a page: its data, compact and key-sorted.

    The text is that of ``_compact(data)``, but what pages share is encoded once: the
    page of each tag of a manifest and its digest page hold its facts
    (``view["manifest"]["facts"]``, the same objects), most of their data. Their
    top-level object is written member by member in key order: a member that is its
    manifest's fact from that manifest's remembered text.
    """

    def __init__(self) -> None:
        self._facts = _ByIdentity(_members)

    def __call__(self, page: Page) -> str:
        data: Mapping[str, object] = page.data
        manifest = cast("ManifestView | None", page.view.get("manifest"))
        if manifest is None:
            return _compact(data)
        facts: Mapping[str, object] = manifest["facts"]
        texts = self._facts(facts)
        parts: list[str] = []
        for key in sorted(data):
            value = data[key]
            text = texts.get(key)
            parts.append(text if text is not None and value is facts[key] else _member(key, value))
        return "{" + ",".join(parts) + "}"


def _members(mapping: Mapping[str, object]) -> dict[str, str]:
    """``_member`` of each member of ``mapping``, by key."""
    return {key: _member(key, value) for key, value in mapping.items()}
