"""Property-based tests of everything that parses registry text or turns names into paths."""

from __future__ import annotations

import json
import posixpath
import re
import string
from pathlib import PurePosixPath

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sitegen.oci import jsonload
from sitegen.oci.references import (
    TAG_RE,
    is_name,
    is_tag,
)
from sitegen.registry.challenge import parse_challenges
from sitegen.registry.pagination import next_link, parse_link_header
from sitegen.site import paths

settings.register_profile("ci", max_examples=300, deadline=None)
settings.load_profile("ci")

# -- generators for valid names ---------------------------------------------------------

alnum = st.text(alphabet=string.ascii_lowercase + string.digits, min_size=1, max_size=8)
separator = st.sampled_from([".", "_", "__", "-", "--"])
component = st.builds(
    lambda first, rest: first + "".join(s + a for s, a in rest),
    alnum,
    st.lists(st.tuples(separator, alnum), max_size=3),
)
names = st.lists(component, min_size=1, max_size=4).map("/".join).filter(is_name)
tags = st.from_regex(TAG_RE, fullmatch=True)
digests = st.text(alphabet="0123456789abcdef", min_size=64, max_size=64).map(
    lambda h: "sha256:" + h
)
token_chars = string.ascii_letters + string.digits + "!#$%&'*+.^_`|~-"
tokens = st.text(alphabet=token_chars, min_size=1, max_size=12)
quoted_values = st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc")), max_size=30)


# -- WWW-Authenticate ---------------------------------------------------------------------


@given(st.text())
def test_challenge_parser_never_fails_on_any_text(text: str) -> None:
    for challenge in parse_challenges([text]):
        assert challenge.scheme == challenge.scheme.lower()
        assert all(key == key.lower() for key in challenge.params)


@given(
    st.lists(
        st.tuples(
            st.sampled_from(["Bearer", "bearer", "BASIC", "Basic"]),
            st.dictionaries(
                st.sampled_from(["realm", "service", "scope", "error"]),
                quoted_values,
                min_size=1,
            ),
        ),
        min_size=1,
        max_size=3,
    )
)
def test_quoted_challenges_round_trip(challenges: list[tuple[str, dict[str, str]]]) -> None:
    def quote(value: str) -> str:
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'

    header = ", ".join(
        scheme + " " + ", ".join(f"{k}={quote(v)}" for k, v in params.items())
        for scheme, params in challenges
    )
    parsed = parse_challenges([header])
    assert [(c.scheme, dict(c.params)) for c in parsed] == [
        (scheme.lower(), params) for scheme, params in challenges
    ]


# -- Link ---------------------------------------------------------------------------------


@given(st.text())
def test_link_parser_never_fails_on_any_text(text: str) -> None:
    parse_link_header(text)
    next_link([text], "https://registry.test/v2/x/tags/list")


cursor = st.text(
    alphabet=string.ascii_letters + string.digits + "_-.%=&~+", min_size=1, max_size=60
)


@given(cursor, st.sampled_from(['rel="next"', "rel=next", 'rel="prev next"', 'REL="NEXT"']))
def test_next_link_keeps_opaque_cursors_verbatim(query: str, rel: str) -> None:
    target = f"/v2/team/app/tags/list?{query}"
    found = next_link([f"<{target}>; {rel}"], "https://registry.test/v2/team/app/tags/list?n=100")
    assert found == f"https://registry.test{target}"


# -- names to paths -----------------------------------------------------------------------


def _safe(path: str) -> bool:
    normal = posixpath.normpath(path)
    return not path.startswith("/") and ".." not in path.split("/") and not normal.startswith("..")


@given(st.lists(tags, min_size=2, max_size=20, unique=True))
def test_distinct_tags_get_distinct_paths_even_ignoring_case(tag_list: list[str]) -> None:
    slugs = [paths.tag_slug(t) for t in tag_list]
    assert len({s.lower() for s in slugs}) == len(tag_list)
    for slug in slugs:
        assert re.fullmatch(r"[a-z0-9_.~-]+", slug)


@given(names, tags, digests)
def test_paths_never_escape_the_site(name: str, tag: str, digest: str) -> None:
    for path in (
        paths.repository_path("reg", name),
        paths.tag_path("reg", name, tag),
        paths.digest_path("reg", name, digest),
        paths.matrix_path("reg", name, 3),
        paths.tag_list_path("reg", name, 2),
    ):
        assert _safe(path), path
        assert str(PurePosixPath("/site", path)).startswith("/site/")


# Names that are file names the site writes, Windows device names (with and without an
# extension), and the site's own top-level directories: all valid repository components.
awkward_components = st.sampled_from(
    [
        "index.html", "index.json", "index", "con", "aux", "nul", "prn", "com1", "lpt9",
        "com0", "nul.tar", "con.d", "aux.x.y", "search", "static", "api", "feeds", "a",
    ]
)  # fmt: skip
site_names = (
    st.lists(st.one_of(component, awkward_components), min_size=1, max_size=4)
    .map("/".join)
    .filter(is_name)
)
awkward_tags = st.sampled_from(
    [
        "Latest", "latest", "LATEST", "lAtest", "v1", "v1.", "v1..", "V1.", "con", "CON",
        "Con", "nul.tar", "NUL.tar", "com1", "index.html", "index.json", "_", "a-", "A.",
    ]
)  # fmt: skip
long_tags = st.text(alphabet=string.ascii_letters, min_size=120, max_size=128)
site_tags = st.one_of(tags, awkward_tags, long_tags)
any_digests = st.one_of(
    digests,
    st.text(alphabet="0123456789abcdef", min_size=128, max_size=128).map(lambda h: "sha512:" + h),
)
WINDOWS_DEVICES = {"con", "prn", "aux", "nul"} | {
    f"{p}{n}" for p in ("com", "lpt") for n in range(10)
}


def _site_files(
    registry: str, repositories: dict[str, tuple[list[str], list[str]]]
) -> dict[str, tuple[str, ...]]:
    """Every file a build writes for these repositories -> what it belongs to.

    The same files ``build.write_site`` writes: ``index.html`` and ``index.json`` in every
    page directory, ``_tags.js`` and ``_changes.xml`` beside each repository page.
    """
    pages: dict[str, tuple[str, ...]] = {
        paths.HOME_PATH: ("home",),
        paths.SEARCH_PATH: ("search",),
        paths.CHANGES_PATH: ("changes",),
        paths.HEALTH_PATH: ("health",),
    }
    extra: dict[str, tuple[str, ...]] = {
        paths.NOT_FOUND_FILE: ("404",),
        paths.NO_JEKYLL_FILE: ("publishing",),
        paths.SITEMAP_FILE: ("sitemap",),
        paths.sitemap_part(1): ("sitemap", "1"),
        paths.CATALOG_FILE: ("catalog",),
        paths.SITE_FEED: ("feed",),
        f"{paths.STATIC_DIR}site.css": ("theme",),
        f"{paths.SEARCH_INDEX_DIR}pagefind.js": ("search index",),
    }
    # The registry's directory is its own: no page or file of the site's is inside it.
    site_wide = {path.partition("/")[0] for path in [*pages, *extra]}
    assert paths.registry_path(registry).partition("/")[0] not in site_wide, registry
    pages[paths.registry_path(registry)] = ("registry", registry)
    for name, (tag_list, digest_list) in repositories.items():
        for page in (1, 2):
            pages[paths.tag_list_path(registry, name, page)] = ("tag list", name, str(page))
            pages[paths.matrix_path(registry, name, page)] = ("matrix", name, str(page))
        extra[paths.tag_data_path(registry, name)] = ("tag data", name)
        extra[paths.repository_feed(registry, name)] = ("feed", name)
        for tag in tag_list:
            pages[paths.tag_path(registry, name, tag)] = ("tag", name, tag)
        for digest in digest_list:
            pages[paths.digest_path(registry, name, digest)] = ("digest", name, digest)
            for other in digest_list:
                if other != digest:
                    diff = paths.diff_path(registry, name, digest, other)
                    pages[diff] = ("diff", name, digest, other)
    files = dict(extra)
    for page, owner in pages.items():
        for file in ("index.html", "index.json"):
            assert f"{page}{file}" not in files, (page, owner)
            files[f"{page}{file}"] = owner
    return files


def _windows(path: str) -> str:
    """``path`` as Windows compares it: case-insensitively, trailing dots and spaces cut."""
    return "/".join(part.rstrip(". ").casefold() for part in path.split("/"))


@given(
    st.dictionaries(
        site_names,
        st.tuples(
            st.lists(site_tags, max_size=6, unique=True),
            st.lists(any_digests, max_size=3, unique=True),
        ),
        min_size=1,
        max_size=6,
    ),
    # Registries named like a Windows device or like one of the site's own top-level
    # directories (search, api, static, ...): each gets its own pages all the same.
    st.sampled_from(
        [
            "reg",
            "con",
            "nul",
            "com1",
            "a-b",
            *sorted(n for n in paths.TOP_LEVEL_NAMES if "." not in n),
        ]
    ),
)
def test_every_name_gets_its_own_files_on_any_file_system(
    repositories: dict[str, tuple[list[str], list[str]]], registry: str
) -> None:
    files = _site_files(registry, repositories)  # asserts no two pages share a file
    page_count = sum(1 for f in files if f.endswith("index.html"))
    assert len({f.rpartition("/")[0] for f in files if f.endswith("index.html")}) == page_count
    directories = {f[: i + 1] for f in files for i, c in enumerate(f) if c == "/"}
    # No name's file is another name's directory (``app`` writes app/index.json, which
    # would be the directory of repository ``app/index.json``).
    assert not {f + "/" for f in files} & directories
    # Case-insensitive file systems (macOS, Windows) and Windows' trailing-dot rule: the
    # whole tree stays one-to-one.
    tree = [*files, *directories]
    assert len({_windows(p) for p in tree}) == len(tree)
    for part in {part for p in tree for part in p.split("/") if part}:
        assert part.partition(".")[0].casefold() not in WINDOWS_DEVICES, part
        assert not part.endswith((".", " ")), part
        assert len(part.encode()) <= 255, part


@given(st.lists(site_tags, min_size=1, max_size=30, unique=True))
def test_tag_directories_say_which_tag_they_are(tag_list: list[str]) -> None:
    for tag in tag_list:
        assert _unslug(paths.tag_slug(tag)) == tag


def _unslug(slug: str) -> str:
    """The tag a slug names, read by the rules in paths.py's docstring."""
    if slug.startswith("~~"):  # the long form: lowercase tag, then which letters are capitals
        lower, _, mask = slug[2:].rpartition("~")
        bits = int(mask, 16)
        return "".join(c.upper() if bits >> i & 1 else c for i, c in enumerate(lower))
    tag = ""
    rest = slug
    while rest:
        head, tilde, rest = rest.partition("~")
        tag += head
        if tilde and rest[:1].isalpha():
            tag, rest = tag + rest[0].upper(), rest[1:]
    return tag


@given(st.text(max_size=300))
def test_anything_else_is_refused_rather_than_mapped(text: str) -> None:
    if not is_name(text):
        try:
            paths.repository_path("reg", text)
        except ValueError:
            pass
        else:  # pragma: no cover - would be a bug
            raise AssertionError(f"mapped invalid name {text!r}")
    if not is_tag(text):
        try:
            paths.tag_slug(text)
        except ValueError:
            pass
        else:  # pragma: no cover - would be a bug
            raise AssertionError(f"mapped invalid tag {text!r}")


# -- registry JSON --------------------------------------------------------------------

# Strings full of what a depth scan could mistake for structure.
tricky_text = st.text(alphabet='ab"\\[]{}/:, \u00e9\u2028', max_size=12)
json_scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=jsonload.INT_MIN, max_value=jsonload.INT_MAX)
    | st.floats(allow_nan=False, allow_infinity=False)
    | tricky_text
)
json_values = st.recursive(
    json_scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(tricky_text, inner, max_size=3),
    max_leaves=20,
)


def _depth(value: object) -> int:
    if isinstance(value, list):
        return 1 + max((_depth(v) for v in value), default=0)
    if isinstance(value, dict):
        return 1 + max((_depth(v) for v in value.values()), default=0)
    return 0


@given(json_values, st.integers(min_value=0, max_value=100), st.booleans(), st.booleans())
def test_registry_json_is_read_exactly_up_to_the_depth_limit(
    value: object, wrap: int, in_object: bool, ascii_only: bool
) -> None:
    for _ in range(wrap):
        value = {"k": value} if in_object else [value]
    data = json.dumps(value, ensure_ascii=ascii_only).encode()
    depth = _depth(value)
    assert jsonload.nesting(data) == min(depth, jsonload.MAX_DEPTH + 1)
    if depth <= jsonload.MAX_DEPTH:
        assert jsonload.load(data) == value
    else:
        with pytest.raises(jsonload.JSONRefused, match="nested more than 64 levels"):
            jsonload.load(data)


@given(st.text(alphabet=st.sampled_from('a\\"\ud800\udbff\udc00\udfff\U0001f600'), max_size=12))
def test_lone_surrogates_become_replacement_characters(text: str) -> None:
    data = json.dumps({"k": text, text: [text]}).encode()  # ensure_ascii: \uXXXX escapes
    # What a UTF-16 decoder makes of the same code units: pairs join, lone halves are
    # replaced.
    fixed = text.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "replace")
    loaded = jsonload.load(data)
    assert loaded == {"k": fixed, fixed: [fixed]}
    json.dumps(loaded, ensure_ascii=False).encode("utf-8")


@given(st.integers(min_value=-(2**70), max_value=2**70))
def test_integers_beyond_64_bits_are_refused(number: int) -> None:
    data = f'{{"size": {number}}}'.encode()
    if jsonload.INT_MIN <= number <= jsonload.INT_MAX:
        assert jsonload.load(data) == {"size": number}
    else:
        with pytest.raises(jsonload.JSONRefused, match="out of range"):
            jsonload.load(data)


@pytest.mark.parametrize("literal", ["NaN", "Infinity", "-Infinity", "1e400", "-1e400"])
def test_numbers_json_cannot_hold_are_refused(literal: str) -> None:
    with pytest.raises(jsonload.JSONRefused):
        jsonload.load(f"[{literal}]".encode())
