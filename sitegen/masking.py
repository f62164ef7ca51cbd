"""Masking image environment values that look like secrets, before anything is published.

People bake credentials into images (``ENV DB_PASSWORD=...``) more often than they
should, and a catalog on GitHub Pages is often public. So when the model is built, an
``Env`` entry whose NAME matches a secret pattern has its value replaced by ``MASK``,
and so do the occurrences of that value in the build history and the raw config JSON.
Passwords inside URLs (``postgres://user:pass@host``) are masked in every value.

Masking happens in the model, not in a template: pages, JSON, the search index and
``_tags.js`` are all rendered from the masked model, so none can leak what it never had.
``site.show_secret_env: true`` turns this off.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import re2

from sitegen.patterns import Pattern, any_of, encode

MASK = "••••••"
DEFAULT_PATTERNS: tuple[str, ...] = (
    "PASSWORD", "PASSWD", "PASSPHRASE", "SECRET", "TOKEN", "KEY", "CREDENTIAL", "AUTH",
    "PRIVATE", "SESSION", "COOKIE", "DSN", "CONNECTION_STRING",
)  # fmt: skip
MIN_SECRET = 3  # shorter values are masked in Env only, never searched for elsewhere


def _latin1() -> Any:
    options = re2.Options()
    options.encoding = re2.Options.Encoding.LATIN1
    return options


# scheme://user:password@ in any value. RE2, not re: values come from the registry and
# can be megabytes long, and re tries the scheme at every letter of a long run of
# letters (hours for a megabyte). Matched on the UTF-8 bytes read as Latin-1, so text
# that is not valid Unicode (a lone surrogate from a JSON escape) is scanned too; every
# delimiter is ASCII, so a match never splits a character. The whitespace in the classes
# is re's ASCII whitespace; other Unicode spaces do not end a user or password here,
# which can only mask more.
_URL_PASSWORD = re2.compile(
    rb"([a-zA-Z][a-zA-Z0-9+.-]*://[^/\t\n\v\f\r\x1c-\x1f :@]*:)"  # 1: up to the password
    rb"([^@\t\n\v\f\r\x1c-\x1f /]+)@",  # 2: the password
    _latin1(),
)
_MASK_BYTES = MASK.encode()


@dataclass(frozen=True, slots=True)
class Masker:
    """Decides which env names are secret and scrubs their values from config text.

    Raises ``sitegen.patterns.PatternError`` for patterns the engine cannot run.
    """

    patterns: tuple[str, ...] = DEFAULT_PATTERNS  # regular expressions on the NAME
    enabled: bool = True
    _names: Pattern | None = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        # Compiled once: every env name of every image config meets it.
        names = any_of(self.patterns, ignore_case=True) if self.patterns else None
        object.__setattr__(self, "_names", names)

    def secret_name(self, name: str) -> bool:
        """True when an env variable of this name is masked."""
        return self.enabled and self._names is not None and self._names.search(name)

    def env(self, entries: Sequence[str]) -> tuple[tuple[str, ...], tuple[str, ...]]:
        """(masked entries, secret values found) for ``NAME=value`` entries."""
        if not self.enabled:
            return tuple(entries), ()
        masked: list[str] = []
        secrets: list[str] = []
        for entry in entries:
            name, sep, value = entry.partition("=")
            if sep and value and self.secret_name(name):
                secrets.append(value)
                masked.append(f"{name}={MASK}")
            else:
                masked_entry, passwords = _url_passwords(entry)
                masked.append(masked_entry)
                secrets.extend(passwords)
        return tuple(masked), tuple(sorted(set(secrets), key=len, reverse=True))

    def masked_names(self, entries: Sequence[str]) -> tuple[str, ...]:
        """Names of the ``NAME=value`` entries whose values are masked for their name."""
        return tuple(
            name
            for name, sep, value in (e.partition("=") for e in entries)
            if sep and value and self.secret_name(name)
        )

    def text(self, value: str, secrets: Iterable[str]) -> str:
        """``value`` with every secret (and URL password) replaced by ``MASK``."""
        if not self.enabled:
            return value
        for secret in secrets:
            if len(secret) >= MIN_SECRET:
                value = value.replace(secret, MASK)
        return _url_passwords(value)[0]

    def document(self, value: Any, secrets: Sequence[str]) -> Any:
        """A parsed JSON document with every string scrubbed (``Env`` entries by name)."""
        if not self.enabled:
            return value
        if isinstance(value, dict):
            result = {}
            for key, item in value.items():
                if key == "Env" and isinstance(item, list):
                    strings = [e for e in item if isinstance(e, str)]
                    result[key] = list(self.env(strings)[0])
                else:
                    result[key] = self.document(item, secrets)
            return result
        if isinstance(value, list):
            return [self.document(item, secrets) for item in value]
        if isinstance(value, str):
            return self.text(value, secrets)
        return value

    def raw_config(self, data: bytes, secrets: Sequence[str]) -> bytes:
        """The config blob as published: re-serialized with secrets masked."""
        if not self.enabled or not data:
            return data
        text = data.decode("utf-8", "replace")
        if not any(len(s) >= MIN_SECRET and s in text for s in secrets) and not (
            _URL_PASSWORD.search(encode(text))
        ):
            return data  # nothing to hide: keep the bytes as the registry sent them
        try:
            document = json.loads(data)
        except ValueError:
            return self.text(data.decode("utf-8", "replace"), secrets).encode()
        masked = self.document(document, secrets)
        try:
            return json.dumps(masked, ensure_ascii=False).encode()
        except UnicodeEncodeError:  # half a surrogate pair (a JSON escape): keep escapes
            return json.dumps(masked).encode()


def _url_passwords(value: str) -> tuple[str, list[str]]:
    """``value`` with the password of every ``scheme://user:password@`` masked, and
    the passwords."""
    if "://" not in value:
        return value, []  # most values; and no encoding to pay for
    passwords: list[str] = []

    def mask(match: Any) -> bytes:
        passwords.append(match.group(2).decode("utf-8", "surrogatepass"))
        head: bytes = match.group(1)
        return head + _MASK_BYTES + b"@"

    masked = _URL_PASSWORD.sub(mask, encode(value))
    return masked.decode("utf-8", "surrogatepass"), passwords


NO_MASKING = Masker(enabled=False)
