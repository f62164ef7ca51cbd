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
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sitegen.registry import jsonload

MASK = "••••••"
DEFAULT_PATTERNS: tuple[str, ...] = (
    "PASSWORD", "PASSWD", "PASSPHRASE", "SECRET", "TOKEN", "KEY", "CREDENTIAL", "AUTH",
    "PRIVATE", "SESSION", "COOKIE", "DSN", "CONNECTION_STRING",
)  # fmt: skip
MIN_SECRET = 3  # shorter values are masked in Env only, never searched for elsewhere
_URL_PASSWORD_RE = re.compile(r"(?P<head>[a-zA-Z][a-zA-Z0-9+.-]*://[^/\s:@]*:)(?P<pw>[^@\s/]+)@")


@dataclass(frozen=True, slots=True)
class Masker:
    """Decides which env names are secret and scrubs their values from config text."""

    patterns: tuple[str, ...] = DEFAULT_PATTERNS  # regular expressions on the NAME
    enabled: bool = True

    @property
    def _name_re(self) -> re.Pattern[str]:
        return re.compile("|".join(f"(?:{p})" for p in self.patterns), re.IGNORECASE)

    def secret_name(self, name: str) -> bool:
        """True when an env variable of this name is masked."""
        return self.enabled and bool(self.patterns) and self._name_re.search(name) is not None

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
                masked.append(_mask_urls(entry))
                secrets.extend(m.group("pw") for m in _URL_PASSWORD_RE.finditer(entry))
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
        return _mask_urls(value)

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
            _URL_PASSWORD_RE.search(text)
        ):
            return data  # nothing to hide: keep the bytes as the registry sent them
        try:
            document = jsonload.load(data)
        except ValueError:
            return self.text(data.decode("utf-8", "replace"), secrets).encode()
        return json.dumps(self.document(document, secrets), ensure_ascii=False).encode()


def _mask_urls(value: str) -> str:
    return _URL_PASSWORD_RE.sub(lambda m: f"{m.group('head')}{MASK}@", value)


NO_MASKING = Masker(enabled=False)
