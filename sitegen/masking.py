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
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, quote_plus

MASK = "••••••"
DEFAULT_PATTERNS: tuple[str, ...] = (
    "PASSWORD", "PASSWD", "PASSPHRASE", "SECRET", "TOKEN", "KEY", "CREDENTIAL",
    "AUTH(?:$|[^O]|ORI[SZ])",  # AUTH, AUTH_TOKEN, AUTHORIZATION; not AUTHOR
    "PRIVATE", "SESSION", "COOKIE", "DSN", "CONNECTION_STRING",
)  # fmt: skip
MIN_SECRET = 3  # shorter values are masked in Env only, never searched for elsewhere


@dataclass(frozen=True, slots=True)
class Shape:
    """A recognisable kind of secret. ``pattern`` has a ``secret`` group (masked) and may
    have a ``keep`` group before it that stays visible (``ghp_••••••``)."""

    name: str
    description: str
    triggers: tuple[str, ...]  # literal text every match contains (a cheap pre-check)
    pattern: re.Pattern[str]


def _shape(name: str, description: str, triggers: Sequence[str], pattern: str) -> Shape:
    return Shape(name, description, tuple(triggers), re.compile(pattern))


# Every pattern is linear: literal prefixes, bounded character classes, no nested
# quantifiers over overlapping classes.
SHAPES: tuple[Shape, ...] = (
    _shape(
        "url-password",
        "the password in scheme://user:password@host",
        ["://"],
        r"(?P<keep>\b[A-Za-z][A-Za-z0-9+.-]{0,30}://[^\s/:@]{0,256}:)(?P<secret>[^\s/@]{1,512})(?=@)",
    ),
    _shape(
        "private-key",
        "PEM and PGP private key blocks",
        ["PRIVATE KEY"],
        r"(?P<keep>-----BEGIN [A-Z0-9 ]{0,40}PRIVATE KEY(?: BLOCK)?-----)"
        r"(?P<secret>(?:(?!-----END)[\s\S]){1,65536}?(?=-----END)|[\s\S]{1,65536})",
    ),
    _shape(
        "authorization-header",
        "credentials in an Authorization header (curl -H 'Authorization: Bearer ...')",
        ["uthorization", "UTHORIZATION"],
        r"(?P<keep>(?i:\b(?:proxy-)?authorization)[\"']?\s{0,4}:\s{0,4}"
        r"(?i:basic|bearer|token|digest)\s{1,4})(?P<secret>[A-Za-z0-9._~+/=-]{6,4096})",
    ),
    _shape(
        "jwt",
        "JSON Web Tokens (eyJ....eyJ....)",
        ["eyJ"],
        r"(?P<keep>)(?P<secret>\beyJ[A-Za-z0-9_-]{4,8192}\.eyJ[A-Za-z0-9_-]{4,65536}"
        r"\.[A-Za-z0-9_-]{0,8192})",
    ),
    _shape(
        "aws-access-key",
        "AWS access key IDs (AKIA..., ASIA...)",
        ["AKIA", "ASIA", "ABIA", "ACCA"],
        r"(?P<keep>\b(?:AKIA|ASIA|ABIA|ACCA))(?P<secret>[A-Z0-9]{16})\b",
    ),
    _shape(
        "github-token",
        "GitHub tokens (ghp_, gho_, ghu_, ghs_, ghr_, github_pat_)",
        ["gh", "github_pat_"],
        r"(?P<keep>\b(?:gh[pousr]_|github_pat_))(?P<secret>[A-Za-z0-9_]{22,255})\b",
    ),
    _shape(
        "gitlab-token",
        "GitLab tokens (glpat-, gldt-, glrt-, glptt-, ...)",
        ["gl"],
        r"(?P<keep>\b(?:glpat|gldt|glrt|glptt|glft|glimt|glcbt|glsoat|glffct|glagent|gloas)-)"
        r"(?P<secret>[A-Za-z0-9_-]{20,255})",
    ),
    _shape(
        "slack-token",
        "Slack tokens (xoxb-, xoxp-, ...) and incoming webhook URLs",
        ["xox", "hooks.slack.com"],
        r"(?P<keep>\bxox[abposr]-|hooks\.slack\.com/(?:services|workflows|triggers)/)"
        r"(?P<secret>[A-Za-z0-9/_-]{10,512})",
    ),
    _shape(
        "google-api-key",
        "Google API keys (AIza...)",
        ["AIza"],
        r"(?P<keep>\bAIza)(?P<secret>[0-9A-Za-z_-]{35})",
    ),
    _shape(
        "stripe-key",
        "Stripe live secret and restricted keys",
        ["_live_"],
        r"(?P<keep>\b(?:sk|rk)_live_)(?P<secret>[0-9A-Za-z]{20,255})",
    ),
    _shape(
        "npm-token",
        "npm access tokens (npm_...)",
        ["npm_"],
        r"(?P<keep>\bnpm_)(?P<secret>[A-Za-z0-9]{36})\b",
    ),
    _shape(
        "pypi-token",
        "PyPI API tokens (pypi-AgEIcHlwaS5vcmc...)",
        ["pypi-AgEIcHlwaS5vcmc"],
        r"(?P<keep>\bpypi-)(?P<secret>AgEIcHlwaS5vcmc[A-Za-z0-9_-]{50,4096})",
    ),
    _shape(
        "dockerhub-token",
        "Docker Hub personal access tokens (dckr_pat_...)",
        ["dckr_pat_"],
        r"(?P<keep>\bdckr_pat_)(?P<secret>[A-Za-z0-9_-]{20,255})",
    ),
)
SHAPE_NAMES: tuple[str, ...] = tuple(shape.name for shape in SHAPES)
_SHAPES_BY_NAME = {shape.name: shape for shape in SHAPES}

# NAME=value, NAME: "value" and "NAME": "value" with a secret-looking NAME. A name is
# a whole word: ``org.example.authors=...`` is not ``authors=...``, ``--password=`` is.
# An unquoted value runs to the next space (shell: ``|1 NPM_TOKEN=a&"b /bin/sh``), or to
# the next ``&`` or ``#`` in a URL query (``?token=abc&page=2``), which ``lead`` tells.
_ASSIGNMENT_RE = re.compile(
    r"(?P<keep>(?P<lead>[?&])?(?:(?<=--)|(?<![A-Za-z0-9_.-]))[\"']?"
    r"(?P<name>[A-Za-z_][A-Za-z0-9_]{0,127})[\"']?"
    r"(?:\s{0,4}=\s{0,4}|\s{0,4}:\s{0,4}(?=[\"'])))"
    r"(?P<secret>\"(?:[^\"\\]|\\.){1,4096}\"|'(?:[^'\\]|\\.){1,4096}'"
    r"|(?(lead)[^\s&#\\]{1,4096}|[^\s\\]{1,4096}))"
)


def _mask_match(match: re.Match[str]) -> str:
    return f"{match.group('keep')}{MASK}"


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
    def pattern(self) -> re.Pattern[str] | None:
        """One regular expression for every spelling of every value, longest first."""
        every = {s for v in self.values if len(v) >= MIN_SECRET for s in spellings(v)}
        if not every:
            return None
        return re.compile("|".join(re.escape(s) for s in sorted(every, key=len, reverse=True)))


NO_SECRETS = Secrets()


@dataclass(frozen=True)
class Masker:
    """Decides what is secret and replaces it with ``MASK``.

    ``patterns`` match env variable NAMES (``env_names`` turns that part off);
    ``shapes`` name the entries of ``SHAPES`` that are masked everywhere.
    """

    patterns: tuple[str, ...] = DEFAULT_PATTERNS
    env_names: bool = True
    shapes: tuple[str, ...] = SHAPE_NAMES

    @functools.cached_property
    def _name_search(self) -> Callable[[str], object]:
        compiled = re.compile("|".join(f"(?:{p})" for p in self.patterns), re.IGNORECASE)
        return compiled.search

    @functools.cached_property
    def _active_shapes(self) -> tuple[Shape, ...]:
        return tuple(_SHAPES_BY_NAME[name] for name in self.shapes if name in _SHAPES_BY_NAME)

    @functools.cached_property
    def _trigger(self) -> re.Pattern[str] | None:
        literals = {t for shape in self._active_shapes for t in shape.triggers}
        choices = [re.escape(t) for t in sorted(literals, key=len, reverse=True)]
        if self.env_names and self.patterns:
            choices.append(r"=|:\s{0,4}[\"']")  # what _ASSIGNMENT_RE needs
        return re.compile("|".join(choices)) if choices else None

    @property
    def enabled(self) -> bool:
        """True when anything at all is masked."""
        return self._trigger is not None

    def secret_name(self, name: str) -> bool:
        """True when an env variable of this name has its value masked."""
        return self.env_names and bool(self.patterns) and self._name_search(name) is not None

    # -- text ---------------------------------------------------------------------------

    def text(self, value: str, secrets: Secrets = NO_SECRETS) -> str:
        """``value`` with every known secret, secret assignment and secret shape masked."""
        pattern = secrets.pattern
        if pattern is not None:
            value = pattern.sub(MASK, value)
        trigger = self._trigger
        if trigger is None or trigger.search(value) is None:
            return value
        for shape in self._active_shapes:
            if any(t in value for t in shape.triggers):
                value = shape.pattern.sub(_mask_match, value)
        if self.env_names and self.patterns and ("=" in value or ":" in value):  # cheap
            value = _ASSIGNMENT_RE.sub(self._assignment, value)
        return value

    def _assignment(self, match: re.Match[str]) -> str:
        secret = match.group("secret")
        if not self.secret_name(match.group("name")) or secret.strip("\"'") == MASK:
            return match.group(0)
        quote_char = secret[0] if secret[0] in "\"'" and secret[-1] == secret[0] else ""
        return f"{match.group('keep')}{quote_char}{MASK}{quote_char}"

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
        if not self.env_names or not self.patterns:
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
                return {walk(k): _value(k, v) for k, v in item.items()}
            if isinstance(item, list):
                return [walk(v, env) for v in item]
            return item

        def _value(key: Any, item: Any) -> Any:
            nonlocal changed
            if key == "v1Compatibility" and isinstance(item, str):
                # schema1 keeps each layer's config as a JSON string: mask it as JSON.
                try:
                    inner = json.loads(item)
                except (ValueError, RecursionError):
                    return walk(item)
                masked_inner, inner_changed = self.document(inner, secrets)
                if not inner_changed:
                    return item
                changed = True
                return json.dumps(masked_inner, ensure_ascii=False, separators=(",", ":"))
            return walk(item, key == "Env" and isinstance(item, list))

        masked = walk(value)
        return (masked, True) if changed else (value, False)

    def raw(self, data: bytes, document: Any, secrets: Secrets = NO_SECRETS) -> tuple[bytes, bool]:
        """Raw JSON bytes as published: unchanged when nothing in ``document`` (their
        parsed form) is secret, else the masked document re-serialised."""
        masked, changed = self.document(document, secrets)
        if not changed:
            return data, False
        return json.dumps(masked, ensure_ascii=False, separators=(",", ":")).encode(), True


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
                        pending.append(json.loads(value))
                    except (ValueError, RecursionError):
                        continue
                else:
                    pending.append(value)
        elif isinstance(item, list):
            pending.extend(item)


NO_MASKING = Masker(env_names=False, shapes=())
