"""``WWW-Authenticate`` parsing (RFC 7235 section 2.1 and 4.1).

docs/protocol.md item 2: schemes and parameter names are case-insensitive; values are tokens or
quoted strings with backslash escapes; a response may carry several headers, and ONE
header may carry several challenges (``Basic realm="x", Bearer realm="y",service="z"``).
Real registries also send values unquoted (gcr.io ``service=gcr.io``; Quay's 2016
``scope=repository:a/b:pull,push``), so an unquoted value runs to the next comma that
starts another parameter or challenge.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

_TOKEN_RE = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+")
_WS = " \t"
_SUPPORTED = ("bearer", "basic")  # in order of preference


@dataclass(frozen=True, slots=True)
class Challenge:
    """One authentication challenge: a lowercase scheme and its parameters."""

    scheme: str
    params: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))

    @property
    def realm(self) -> str:
        """The ``realm`` parameter ('' when absent)."""
        return self.params.get("realm", "")

    @property
    def service(self) -> str | None:
        """The ``service`` parameter, if any."""
        return self.params.get("service")

    @property
    def scopes(self) -> tuple[str, ...]:
        """Scopes the challenge asks for (space-separated in one ``scope`` parameter)."""
        return tuple(self.params.get("scope", "").split())

    @property
    def error(self) -> str | None:
        """The ``error`` parameter (``invalid_token``, ``insufficient_scope``), if any."""
        return self.params.get("error")


def parse_challenges(headers: Iterable[str]) -> list[Challenge]:
    """Every challenge in every given ``WWW-Authenticate`` header value, in order."""
    result: list[Challenge] = []
    for header in headers:
        result.extend(_Parser(header).challenges())
    return result


def choose(challenges: Iterable[Challenge]) -> Challenge | None:
    """The challenge we answer: Bearer before Basic; unknown schemes are ignored."""
    by_scheme: dict[str, Challenge] = {}
    for challenge in challenges:
        by_scheme.setdefault(challenge.scheme, challenge)
    for scheme in _SUPPORTED:
        if scheme in by_scheme:
            return by_scheme[scheme]
    return None


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0

    def challenges(self) -> list[Challenge]:
        found: list[tuple[str, dict[str, str]]] = []
        while self._skip(_WS + ","):
            name = self._token()
            if name is None:
                self._skip_to_comma()
                continue
            self._skip(_WS)
            if self._peek() == "=" and found:
                key, value = name.lower(), self._value()
                found[-1][1].setdefault(key, value)
            elif self._peek() == "=":
                self._skip_to_comma()  # a parameter with no scheme before it: ignore
            else:
                found.append((name.lower(), {}))
                self._token68(found[-1][1])
        return [Challenge(scheme, MappingProxyType(params)) for scheme, params in found]

    # -- scanning helpers ----------------------------------------------------------

    def _peek(self) -> str:
        return self.text[self.pos] if self.pos < len(self.text) else ""

    def _skip(self, chars: str) -> bool:
        """Skip ``chars``; True when something is left to read."""
        while self.pos < len(self.text) and self.text[self.pos] in chars:
            self.pos += 1
        return self.pos < len(self.text)

    def _skip_to_comma(self) -> None:
        end = self.text.find(",", self.pos)
        self.pos = len(self.text) if end < 0 else end + 1

    def _token(self) -> str | None:
        match = _TOKEN_RE.match(self.text, self.pos)
        if not match:
            return None
        self.pos = match.end()
        return match.group(0)

    def _token68(self, params: dict[str, str]) -> None:
        """``Negotiate abc==`` style credentials after a scheme; kept as ``token68``."""
        match = re.compile(r"[A-Za-z0-9._~+/-]+=*").match(self.text, self.pos)
        if not match:
            return
        rest = self.text[match.end() :].lstrip(_WS)
        if (rest == "" or rest.startswith(",")) and not self._looks_like_param(self.pos):
            params["token68"] = match.group(0)
            self.pos = match.end()

    def _looks_like_param(self, pos: int) -> bool:
        match = _TOKEN_RE.match(self.text, pos)
        if not match:
            return False
        after = self.text[match.end() :].lstrip(_WS)
        return after.startswith("=") and not after.startswith("==")

    def _value(self) -> str:
        self.pos += 1  # the '='
        self._skip(_WS)
        if self._peek() == '"':
            return self._quoted()
        start = self.pos
        while self.pos < len(self.text):
            if self.text[self.pos] in _WS:
                break
            if self.text[self.pos] == "," and self._starts_new_item(self.pos + 1):
                break
            self.pos += 1
        return self.text[start : self.pos]

    def _starts_new_item(self, pos: int) -> bool:
        """After a comma: does a new ``key=`` parameter or ``Scheme key=`` challenge follow?"""
        while pos < len(self.text) and self.text[pos] in _WS + ",":
            pos += 1
        if pos >= len(self.text):
            return True
        match = _TOKEN_RE.match(self.text, pos)
        if not match:
            return False
        after = self.text[match.end() :]
        if after.lstrip(_WS).startswith("="):
            return True
        return after[:1] in (" ", "\t") and self._looks_like_param(
            match.end() + len(after) - len(after.lstrip(_WS))
        )

    def _quoted(self) -> str:
        self.pos += 1  # the opening quote
        out: list[str] = []
        while self.pos < len(self.text):
            char = self.text[self.pos]
            self.pos += 1
            if char == "\\" and self.pos < len(self.text):
                out.append(self.text[self.pos])
                self.pos += 1
            elif char == '"':
                break
            else:
                out.append(char)
        return "".join(out)
