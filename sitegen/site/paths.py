"""Where each page and file lives in the site: the one place that makes its paths.

Templates and the other modules take every path from here (templates through the
``urls`` global and the paths in page data); none spells one out. Layout (every page
directory holds ``index.html`` and ``index.json``)::

    index.html, 404.html, sitemap.xml              home, not found, sitemap (and its parts)
    search/, changes/, health/                     search, recent changes, crawl health
    feeds/changes.xml, api/catalog.json            the site's Atom feed, the catalog
    static/, pagefind/                             the theme's files, the search index
    <registry>/                                    registry
    <registry>/<repository>/                       repository, first page of its tags
    <registry>/<repository>/_tags.js               every tag row, for sorting and filtering
    <registry>/<repository>/_pages/<n>/            further pages of tags (without JavaScript)
    <registry>/<repository>/_platforms/[<n>/]      tag x platform matrix
    <registry>/<repository>/_tags/<tag>/           tag
    <registry>/<repository>/_digests/<alg>-<hex>/  a manifest by digest (permalink; also
                                                   each platform of a multi-platform tag)
    <registry>/<repository>/_diff/<old>..<new>/    what changed between two digests
    <registry>/<repository>/_changes.xml           Atom feed of the repository's changes

No two names can share a file, or have one name's file be another's directory, on any
file system a site is published from or checked out to - case-sensitive or not, Linux,
macOS or Windows. That holds by construction, because of what the distribution-spec
grammar (``oci/references.py``) lets a name contain:

- Everything a registry names lives below ``<registry>/``. A registry slug named like
  one of the site's own top-level names (``TOP_LEVEL_NAMES``: ``search``, ``api``,
  ``static``, ...) gets a ``~`` (``search~/``), so a registry called ``search`` has
  its own pages apart from the search page, and a repository called ``search`` is
  ``<registry>/search/``.
- Repository components never start with ``_``, so ``_tags``, ``_pages``,
  ``_platforms``, ``_digests``, ``_diff``, ``_tags.js`` and ``_changes.xml`` are the
  site's. Neither do they contain ``~`` or an uppercase letter, so ``~`` can mark an
  escape and nothing differs only in case.
- A path segment taken from a name that the site or Windows reserves gets a ``~``
  after its first dot-separated part (its base name):

  * a repository component named like a file written in every page directory:
    ``index.html`` -> ``index~.html``, ``index.json`` -> ``index~.json`` (repository
    ``app/index.json`` would otherwise be a directory where repository ``app`` writes
    its ``index.json`` file);
  * a registry slug that is one of the site's top-level names: ``search`` ->
    ``search~`` (slugs have no dots, so the whole slug is the base name);
  * a Windows device name, with or without an extension (``con``, ``prn``, ``aux``,
    ``nul``, ``com0``-``com9``, ``lpt0``-``lpt9``: ``con`` -> ``con~``, ``nul.tar`` ->
    ``nul~.tar``): Windows opens the device instead, and git for Windows refuses to
    check such a path out. This applies to registry slugs, repository components and
    tags alike.

- Tags may hold uppercase letters. Each becomes ``~`` and its lowercase form
  (``Latest`` -> ``~latest``), so that ``Latest``, ``latest`` and ``LATEST`` stay
  apart where case does not count. A tag may end in ``.``, which Windows drops
  (``v1.`` would be ``v1``): it gets a ``~`` at the end (``v1.~``). ``~`` is not
  allowed in tags, so in a tag's directory a ``~`` before a letter marks a capital
  and any other ``~`` is an escape: every directory names exactly one tag.
- A name is at most 255 bytes in one path segment (Linux, macOS; NTFS counts 255
  UTF-16 units). A 128-character tag in capitals would take 256, so a tag whose
  directory would be longer is written in a long form that no other tag's can take:
  ``~~``, the tag in lowercase, ``~`` and which letters are capitals as a hexadecimal
  bit mask (bit ``i`` for the character at ``i``). Two sha512 digests make a
  ``_diff`` segment of 272 bytes: that pair is written ``<old>/<new>`` instead.
- Digests are lowercase hexadecimal (``sha256-<hex>``).

Paths longer than Windows' classic 260-character limit are not shortened: a deep name
with a long tag needs long path support there (``git config core.longpaths true``).

Every name is validated by the crawl before it gets here; these functions validate
again and raise ``ValueError`` rather than build a path from anything else.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

from sitegen.oci.references import is_digest, is_name, is_tag

PAGE_HTML = "index.html"  # in every page directory: the page
PAGE_JSON = "index.json"  # and its data
PAGE_FILES = frozenset({PAGE_HTML, PAGE_JSON})

# The site's own pages and files, from the site root.
HOME_PATH = ""
SEARCH_PATH = "search/"
CHANGES_PATH = "changes/"
HEALTH_PATH = "health/"
BASES_PATH = "bases/"
REBUILD_PATH = "rebuild/"
REBUILD_FILE = "api/rebuild.json"  # the Rebuild page's data, at a stable address
BASES_FILE = "api/bases.json"  # the Bases page's data, likewise
SITE_FEED = "feeds/changes.xml"
CATALOG_FILE = "api/catalog.json"
STATIC_DIR = "static/"
SEARCH_INDEX_DIR = "pagefind/"  # static/site.js loads pagefind.js from here
SEARCH_INPUT_FILE = "pagefind/sitegen-input.json"  # what the index was built from
STAMP_FILE = "api/stamp.js"  # the build's time, loaded by every page: the one file that churns
NOT_FOUND_FILE = "404.html"  # GitHub Pages serves it for any missing path
NO_JEKYLL_FILE = ".nojekyll"  # GitHub Pages: publish _-prefixed directories as they are
SITEMAP_FILE = "sitemap.xml"  # the sitemap, or the index of its parts (sitemap_part)

# Names a registry slug must not take as they are: the first segment of every path above.
TOP_LEVEL_NAMES = frozenset(
    path.partition("/")[0]
    for path in (
        PAGE_HTML,
        PAGE_JSON,
        SEARCH_PATH,
        CHANGES_PATH,
        HEALTH_PATH,
        BASES_PATH,
        REBUILD_PATH,
        SITE_FEED,
        CATALOG_FILE,
        STAMP_FILE,
        STATIC_DIR,
        SEARCH_INDEX_DIR,
        NOT_FOUND_FILE,
        NO_JEKYLL_FILE,
        SITEMAP_FILE,
    )
)

# In a repository's directory.
TAGS_DIR = "_tags"
DIGESTS_DIR = "_digests"
DIFF_DIR = "_diff"
FEED_FILE = "_changes.xml"
PAGES_DIR = "_pages"
MATRIX_DIR = "_platforms"
TAG_DATA_FILE = "_tags.js"


@dataclass(frozen=True, slots=True)
class SiteUrls:
    """The site's own pages and files, as templates get them: ``urls.search|href``."""

    home: str = HOME_PATH
    search: str = SEARCH_PATH
    changes: str = CHANGES_PATH
    health: str = HEALTH_PATH
    bases: str = BASES_PATH
    rebuild: str = REBUILD_PATH
    feed: str = SITE_FEED
    catalog: str = CATALOG_FILE
    stamp: str = STAMP_FILE
    static: str = STATIC_DIR
    page_html: str = PAGE_HTML
    page_json: str = PAGE_JSON


URLS = SiteUrls()

ESCAPE = "~"  # allowed in no registry slug, repository name or tag
# "Naming Files, Paths, and Namespaces" (Microsoft): reserved with any extension too.
WINDOWS_DEVICES = frozenset(
    {"con", "prn", "aux", "nul", *(f"{port}{n}" for port in ("com", "lpt") for n in range(10))}
)
NAME_MAX = 255  # bytes in one path segment


def _escaped(segment: str, reserved: frozenset[str] = frozenset()) -> str:
    """``segment``, with ``~`` after its base name when the site or Windows reserves it."""
    base, dot, extension = segment.partition(".")
    if segment in reserved or base in WINDOWS_DEVICES:
        return f"{base}{ESCAPE}{dot}{extension}"
    return segment


@functools.lru_cache(maxsize=1024)
def registry_path(registry: str) -> str:
    """``local/``"""
    if not re.fullmatch(r"[a-z0-9](?:[a-z0-9-]*[a-z0-9])?", registry):
        raise ValueError(f"invalid registry slug {registry!r}")
    return f"{_escaped(registry, TOP_LEVEL_NAMES)}/"


@functools.lru_cache(maxsize=8192)  # a site's repositories: each page links several
def repository_path(registry: str, repository: str) -> str:
    """``local/team/app/``"""
    if not is_name(repository):
        raise ValueError(f"invalid repository name {repository!r}")
    components = (_escaped(c, PAGE_FILES) for c in repository.split("/"))
    return f"{registry_path(registry)}{'/'.join(components)}/"


@functools.lru_cache(maxsize=65536)  # the same tags recur in every repository
def tag_slug(tag: str) -> str:
    """``Latest`` -> ``~latest``: one directory per tag on every file system."""
    if not is_tag(tag):
        raise ValueError(f"invalid tag {tag!r}")
    slug = _escaped("".join(f"{ESCAPE}{c.lower()}" if c.isupper() else c for c in tag))
    if slug.endswith("."):
        slug += ESCAPE
    if len(slug) > NAME_MAX:
        capitals = sum(1 << i for i, c in enumerate(tag) if c.isupper())
        slug = f"{ESCAPE * 2}{tag.lower()}{ESCAPE}{capitals:x}"
    return slug


def tag_path(registry: str, repository: str, tag: str) -> str:
    """``local/team/app/_tags/v1.2.0/``"""
    return f"{repository_path(registry, repository)}{TAGS_DIR}/{tag_slug(tag)}/"


def digest_path(registry: str, repository: str, digest: str) -> str:
    """``local/team/app/_digests/sha256-0123.../``: does not move when tags move."""
    if not is_digest(digest):
        raise ValueError(f"invalid digest {digest!r}")
    return f"{repository_path(registry, repository)}{DIGESTS_DIR}/{digest.replace(':', '-')}/"


def diff_path(registry: str, repository: str, old: str, new: str) -> str:
    """``local/team/app/_diff/sha256-<old>..sha256-<new>/``: what changed from old to new."""
    if not (is_digest(old) and is_digest(new)):
        raise ValueError(f"invalid digests {old!r}, {new!r}")
    pair = f"{old.replace(':', '-')}..{new.replace(':', '-')}"
    if len(pair) > NAME_MAX:
        pair = pair.replace("..", "/")
    return f"{repository_path(registry, repository)}{DIFF_DIR}/{pair}/"


def repository_feed(registry: str, repository: str) -> str:
    """``local/team/app/_changes.xml``: the Atom feed of one repository's changes."""
    return f"{repository_path(registry, repository)}{FEED_FILE}"


def tag_data_path(registry: str, repository: str) -> str:
    """``local/team/app/_tags.js``: every tag row of a repository, as a script."""
    return f"{repository_path(registry, repository)}{TAG_DATA_FILE}"


def tag_list_path(registry: str, repository: str, page: int) -> str:
    """Page ``page`` (1-based) of a repository's tag list."""
    base = repository_path(registry, repository)
    return base if page == 1 else f"{base}{PAGES_DIR}/{page}/"


def matrix_path(registry: str, repository: str, page: int = 1) -> str:
    """Page ``page`` of a repository's tag x platform matrix."""
    base = f"{repository_path(registry, repository)}{MATRIX_DIR}/"
    return base if page == 1 else f"{base}{page}/"


def sitemap_part(number: int) -> str:
    """``sitemap-2.xml``: part ``number`` of a sitemap split into parts."""
    return f"sitemap-{number}.xml"


def relative_root(path: str) -> str:
    """The ``../`` prefix from the page at ``path`` back to the site root."""
    return "../" * path.count("/")
