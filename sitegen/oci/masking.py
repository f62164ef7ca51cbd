"""Masking secrets in registry documents before anything is published.

A catalog on GitHub Pages is often public, and people bake credentials into images more
often than they should. What is masked, with ``MASK``:

1. Values of image ``Env`` entries whose NAME looks secret (``site.secret_env_patterns``),
   and every occurrence of those values in any other string of the same image: labels,
   annotations (of the manifest, its layers and the index that holds it), history,
   the raw documents - in every escaped spelling a nested encoder may have left in the
   text (JSON with or without ``ensure_ascii``, Go's ``\\u003c``/``\\u0026``, ``\\/``,
   percent-encoding, shell backslashes).
2. ``NAME=value`` (and ``"NAME": "value"``) assignments with a secret-looking NAME in any
   string: build arguments that BuildKit records in history (``|1 DB_PASSWORD=...``),
   ``--password=...``, ``?token=...``.
3. Known secret shapes wherever they appear (``SHAPES``; ``site.secret_shapes`` chooses):
   passwords inside URLs, AWS access keys, GitHub, GitLab, Slack, npm, PyPI and Docker
   Hub tokens, JWTs, PEM private keys, ``Authorization`` header values.

Masking works on parsed documents and re-serialises them; raw bytes are never searched,
because an encoder may have escaped any character of a secret. The model holds only
masked text, so pages, JSON, feeds, the search index and ``_tags.js`` - all rendered
from it - cannot leak what it never had. Secret values themselves live only in
:class:`Secrets` objects during the crawl.

Every search here runs on RE2 in time linear in the text (strings come from the
registry and may be megabytes long; a backtracking search over them could hold a
build for hours). Text is searched as its UTF-8 bytes read as Latin-1, so a lone
surrogate from a JSON escape is scanned like any other character; every delimiter the
patterns use is ASCII, so a match never splits a character.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, quote_plus

import re2

from sitegen.oci import jsonload
from sitegen.oci.patterns import Pattern, any_of, encode
from sitegen.oci.shapes import (
    MASK,
    MASK_BYTES,
    SHAPE_NAMES,
    SHAPES_BY_NAME,
    Shape,
    compile_latin1,
    mask_shape,
)

__all__ = [
    "DEFAULT_PATTERNS",
    "MASK",
    "MIN_SECRET",
    "NO_MASKING",
    "NO_SECRETS",
    "SHAPE_NAMES",
    "Masker",
    "Secrets",
    "spellings",
]

DEFAULT_PATTERNS: tuple[str, ...] = (
    "PASSWORD", "PASSWD", "PASSPHRASE", "SECRET", "TOKEN", "KEY", "CREDENTIAL",
    "AUTH(?:$|[^O]|ORI[SZ])",  # AUTH, AUTH_TOKEN, AUTHORIZATION; not AUTHOR
    "PRIVATE", "SESSION", "COOKIE", "DSN", "CONNECTION_STRING",
)  # fmt: skip
MIN_SECRET = 3  # shorter values are masked in Env only, never searched for elsewhere


# The start of NAME=value, NAME: "value" and "NAME": "value". A name is a whole word
# (``org.example.authors=...`` is not ``authors=...``; ``--password=`` is). The value's
# extent is found after the match (``_value_end``): it depends on the quote that opens
# it and on whether the name starts a URL query parameter. Linear in Python's ``re``: a
# match starts only where a word starts, and nothing in it backtracks.
_ASSIGNMENT = re.compile(
    r"(?:(?<=--)|(?<![A-Za-z0-9_.-]))[\"']?([A-Za-z_][A-Za-z0-9_]*+)[\"']?"
    r"(\s{0,4}=\s{0,4}|\s{0,4}:\s{0,4}[\"'])"
)
_ASSIGNMENT_HINT = re.compile(r"=|:\s{0,4}[\"']")  # what every assignment has: a cheap test
_QUOTED_END = {
    q: re.compile(rf"(?:[^{q}\\]|\\.)*+{q}", re.DOTALL) for q in ("'", '"')
}  # possessive: one pass, no backtracking
_UNQUOTED_END = re.compile(r"[^\s\\]*+")
_QUERY_VALUE_END = re.compile(r"[^\s&#\\]*+")


def _value_end(text: str, start: int, quote_char: str, query: bool) -> int:
    """Where the value that starts at ``start`` ends (after its closing quote)."""
    if quote_char:
        closed = _QUOTED_END[quote_char].match(text, start)
        return closed.end() if closed else len(text)  # unterminated: the rest is the value
    pattern = _QUERY_VALUE_END if query else _UNQUOTED_END
    found = pattern.match(text, start)
    return found.end() if found else start


def _json_escapes(value: str) -> set[str]:
    """The ways JSON encoders write ``value`` inside a string literal."""
    python_ascii = json.dumps(value)[1:-1]
    python_utf8 = json.dumps(value, ensure_ascii=False)[1:-1]
    # Go's encoding/json (docker, BuildKit): UTF-8 kept, <, >, & and U+2028/9 escaped.
    go = (
        python_utf8.replace("<", "\\u003c")
        .replace(">", "\\u003e")
        .replace("&", "\\u0026")
        .replace("\u2028", "\\u2028")
        .replace("\u2029", "\\u2029")
    )
    go_ascii = python_ascii.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    found = {python_ascii, python_utf8, go, go_ascii}
    found |= {v.replace("/", "\\/") for v in found}  # PHP and Docker Hub escape "/"
    found |= {re.sub(r"\\u([0-9a-f]{4})", lambda m: "\\u" + m.group(1).upper(), v) for v in found}
    return found


def spellings(value: str) -> set[str]:
    """``value`` and the escaped forms it takes inside other text: JSON (also JSON inside
    JSON), percent-encoding and shell backslashes."""
    found = {value}
    for once in _json_escapes(value):
        found.add(once)
        found |= _json_escapes(once)
    found.add(quote(value, safe=""))
    found.add(quote_plus(value, safe=""))
    found.add(re.sub(r"([\"\\$`])", r"\\\1", value))
    return {s for s in found if len(s) >= MIN_SECRET}


@dataclass(frozen=True)
class Secrets:
    """Secret values found in one image (or the images of one index). Never published."""

    values: frozenset[str] = frozenset()

    def __or__(self, other: Secrets) -> Secrets:
        return Secrets(self.values | other.values)

    def __bool__(self) -> bool:
        return bool(self.values)

    def __repr__(self) -> str:
        return f"Secrets({len(self.values)} values)"

    @functools.cached_property
    def pattern(self) -> Any:
        """One RE2 program for every spelling of every value (leftmost, longest first)."""
        every = {s for v in self.values if len(v) >= MIN_SECRET for s in spellings(v)}
        if not every:
            return None
        alternatives = sorted((encode(s) for s in every), key=len, reverse=True)
        return compile_latin1(b"|".join(re2.escape(s) for s in alternatives))


NO_SECRETS = Secrets()


@dataclass(frozen=True)
class Masker:
    """Decides what is secret and replaces it with ``MASK``.

    ``patterns`` match env variable NAMES (``env_names`` turns that part off);
    ``shapes`` name the entries of ``SHAPES`` that are masked everywhere. Raises
    ``sitegen.oci.patterns.PatternError`` for patterns that cannot run in linear time.
    """

    patterns: tuple[str, ...] = DEFAULT_PATTERNS
    env_names: bool = True
    shapes: tuple[str, ...] = SHAPE_NAMES
    # (crawl address, what messages show instead): registries whose ``url`` is not public.
    addresses: tuple[tuple[str, str], ...] = ()
    _names: Pattern | None = field(init=False, repr=False, compare=False)
    _known_names: dict[str, bool] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        # Compiled once: every env name of every image config meets it.
        names = any_of(self.patterns, ignore_case=True) if self.patterns else None
        object.__setattr__(self, "_names", names)
        object.__setattr__(self, "_known_names", {})

    @functools.cached_property
    def _active_shapes(self) -> tuple[Shape, ...]:
        return tuple(SHAPES_BY_NAME[name] for name in self.shapes if name in SHAPES_BY_NAME)

    @functools.cached_property
    def _triggers(self) -> re.Pattern[str] | None:
        """One search for every shape's trigger text: most strings hold none."""
        literals = {t for shape in self._active_shapes for t in shape.triggers}
        if not literals:
            return None
        ordered = sorted(literals, key=len, reverse=True)
        return re.compile("|".join(re.escape(t) for t in ordered))

    def _shapes_in(self, value: str) -> list[Shape]:
        """The active shapes whose trigger text ``value`` holds."""
        triggers = self._triggers
        if triggers is None:
            return []
        found = set(triggers.findall(value))
        if not found:
            return []
        return [s for s in self._active_shapes if not found.isdisjoint(s.triggers)]

    @property
    def _assignments(self) -> bool:
        return self.env_names and self._names is not None

    @property
    def enabled(self) -> bool:
        """True when anything at all is masked."""
        return self._triggers is not None or self._assignments

    def secret_name(self, name: str) -> bool:
        """True when an env variable of this name has its value masked."""
        return self._assignments and self._names is not None and self._names.search(name)

    # -- text ---------------------------------------------------------------------------

    def text(self, value: str, secrets: Secrets = NO_SECRETS) -> str:
        """``value`` with every known secret, secret assignment and secret shape masked."""
        pattern = secrets.pattern
        data: bytes | None = None
        if pattern is not None:
            data = pattern.sub(MASK_BYTES, encode(value))
        assignments = self._assignments and _ASSIGNMENT_HINT.search(value) is not None
        shapes = self._shapes_in(value)
        if shapes:
            data = encode(value) if data is None else data
            for shape in shapes:
                data = shape.pattern.sub(mask_shape, data)
        if data is not None:
            value = data.decode("utf-8", "surrogatepass")
        return self._mask_assignments(value) if assignments else value

    @functools.cached_property
    def _addresses(self) -> re.Pattern[str] | None:
        ordered = sorted((a for a, _ in self.addresses if a), key=len, reverse=True)
        return re.compile("|".join(map(re.escape, ordered)), re.IGNORECASE) if ordered else None

    def message(self, value: str, secrets: Secrets = NO_SECRETS) -> str:
        """A message the site shows: ``text``, with each hidden crawl address replaced by
        what the site shows instead (its registry's pull host)."""
        value = self.text(value, secrets)
        found = self._addresses
        if found is None:
            return value
        shown = {address.lower(): instead for address, instead in self.addresses}
        return found.sub(lambda m: shown[m.group(0).lower()], value)

    def _mask_assignments(self, text: str) -> str:
        """Mask the values of ``NAME=value`` assignments with a secret-looking NAME."""
        pieces: list[str] = []
        done = 0  # everything before this is in ``pieces``
        for match in _ASSIGNMENT.finditer(text):
            if match.start() < done or not self._secret_name_cached(match.group(1)):
                continue  # inside a value already masked, or not a secret
            separator = match.group(2)
            value_start = match.end()
            quote_char = ""
            if separator.endswith(('"', "'")):
                quote_char = separator[-1]  # the colon form: the quote opened the value
            elif text[value_start : value_start + 1] in ('"', "'"):
                quote_char = text[value_start]
                value_start += 1
            query = text[match.start() - 1 : match.start()] in ("?", "&")
            end = _value_end(text, value_start, quote_char, query)
            closing = quote_char if quote_char and text[end - 1 : end] == quote_char else ""
            value = text[value_start : end - len(closing)]
            if not value or value == MASK:
                continue
            pieces.append(text[done:value_start])
            pieces.append(MASK + closing)
            done = end
        if not pieces:
            return text
        pieces.append(text[done:])
        return "".join(pieces)

    def _secret_name_cached(self, name: str) -> bool:
        # The same few names recur in every document; the cache is bounded.
        known = self._known_names.get(name)
        if known is None:
            known = self.secret_name(name)
            if len(self._known_names) < 10_000:
                self._known_names[name] = known
        return known

    def secret_env_names(self, entries: Sequence[str]) -> tuple[str, ...]:
        """Names of the ``NAME=value`` entries whose values are masked for their name."""
        return tuple(
            name
            for name, sep, value in (e.partition("=") for e in entries)
            if sep and value and self.secret_name(name)
        )

    # -- documents ----------------------------------------------------------------------

    def env_entry(self, entry: str, secrets: Secrets = NO_SECRETS) -> str:
        """One ``NAME=value`` entry: the value masked for its name, else as text."""
        name, sep, value = entry.partition("=")
        if sep and value and self.secret_name(name):
            return f"{name}={MASK}"
        return self.text(entry, secrets)

    def collect(self, document: Any) -> Secrets:
        """The values of secret-looking ``Env`` entries anywhere in a parsed document
        (``config.Env``, docker's ``container_config.Env``, schema1's ``v1Compatibility``)."""
        if not self._assignments:
            return NO_SECRETS
        found: set[str] = set()
        for entries in _env_lists(document):
            for entry in entries:
                if not isinstance(entry, str):
                    continue
                name, sep, value = entry.partition("=")
                if sep and value and self.secret_name(name):
                    found.add(value)
        return Secrets(frozenset(found)) if found else NO_SECRETS

    def document(self, value: Any, secrets: Secrets = NO_SECRETS) -> tuple[Any, bool]:
        """(the parsed JSON ``value`` with every string masked, whether anything changed).

        Keys are masked too; ``Env`` lists are masked entry by entry, by name.
        """
        if not self.enabled and not secrets:
            return value, False
        changed = False

        def walk(item: Any, env: bool = False) -> Any:
            nonlocal changed
            if isinstance(item, str):
                masked = self.env_entry(item, secrets) if env else self.text(item, secrets)
                changed = changed or masked != item
                return masked
            if isinstance(item, dict):
                return {walk(k): member(k, v) for k, v in item.items()}
            if isinstance(item, list):
                return [walk(v, env) for v in item]
            return item

        def member(key: Any, item: Any) -> Any:
            nonlocal changed
            if key == "v1Compatibility" and isinstance(item, str):
                # schema1 keeps each layer's config as a JSON string: mask it as JSON.
                try:
                    inner = jsonload.load(item)
                except ValueError:
                    return walk(item)
                masked_inner, inner_changed = self.document(inner, secrets)
                if not inner_changed:
                    return item
                changed = True
                return json.dumps(masked_inner, separators=(",", ":"))
            return walk(item, key == "Env" and isinstance(item, list))

        masked = walk(value)
        return (masked, True) if changed else (value, False)


def _env_lists(document: Any) -> Iterable[list[Any]]:
    """Every list under an ``Env`` key, at any depth (also inside schema1's JSON strings)."""
    pending = [document]
    while pending:
        item = pending.pop()
        if isinstance(item, dict):
            for key, value in item.items():
                if key == "Env" and isinstance(value, list):
                    yield value
                elif key == "v1Compatibility" and isinstance(value, str):
                    try:
                        pending.append(jsonload.load(value))
                    except ValueError:
                        continue
                else:
                    pending.append(value)
        elif isinstance(item, list):
            pending.extend(item)


NO_MASKING = Masker(patterns=(), env_names=False, shapes=())
