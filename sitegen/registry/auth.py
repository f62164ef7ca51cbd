"""Token auth pieces: scopes, credentials, token responses and the token cache.

``authflow.py`` sends the requests that use them; everything here is pure or in
memory, so it can be tested without a network.

docs/protocol.md items covered here:
 4. ``token`` or ``access_token``; ``expires_in`` defaults to 60 s and is never less;
    ``issued_at`` honoured; tokens are renewed a few seconds early.
 5. Cache key = (realm, service, credential, canonical scopes); one token per
    repository scope (never one ever-growing token); single flight per key.
 6. A scope's resource name may contain ``host:port``: actions split at the LAST colon;
    equal scopes merge and sort into one cache key.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass

from sitegen.config import Secret
from sitegen.dates import parse_rfc3339
from sitegen.oci import jsonload
from sitegen.registry.clock import Clock
from sitegen.registry.flight import SingleFlight

MIN_TOKEN_LIFETIME = 60.0  # token spec: "expires_in ... default 60 ... never less"
RENEW_MARGIN = 5.0  # renew this many seconds before expiry
# What an Authorization header can carry: visible ASCII (RFC 9110 section 5.5; RFC 6750's
# b64token is narrower still). Anything else could not even be sent.
_TOKEN_RE = re.compile(r"[\x21-\x7e]+")


@dataclass(frozen=True, slots=True)
class Credentials:
    """What we can prove our identity with at one registry.

    ``identity_token`` is an OAuth2 refresh token (docker ``identitytoken``); when set,
    tokens come from ``POST realm`` with ``grant_type=refresh_token``.
    """

    username: str | None = None
    password: Secret | None = None
    identity_token: Secret | None = None
    source: str = "config"

    @property
    def anonymous(self) -> bool:
        """True when there is nothing to authenticate with."""
        return self.password is None and self.identity_token is None

    def basic_header(self) -> str | None:
        """``Basic base64(user:password)``, or None without a password."""
        if self.password is None:
            return None
        return basic(self.username or "", self.password.reveal())

    def identity_basic_header(self) -> str | None:
        """Basic credentials carrying the identity token, for realms without OAuth2.

        docker's fallback when ``POST realm`` answers 404/405: the identity token as
        the password, ``<token>`` as the user unless one is known.
        """
        if self.identity_token is None:
            return None
        return basic(self.username or "<token>", self.identity_token.reveal())

    def secrets(self) -> list[str]:
        """The secret values, for redacting them from any text we show."""
        values = [s.reveal() for s in (self.password, self.identity_token) if s is not None]
        for header in (self.basic_header(), self.identity_basic_header()):
            if header:
                values.append(header.partition(" ")[2])
        return values


ANONYMOUS = Credentials(source="anonymous")


def basic(username: str, password: str) -> str:
    """``Basic base64(username:password)`` (RFC 7617)."""
    return "Basic " + base64.b64encode(f"{username}:{password}".encode()).decode("ascii")


@dataclass(frozen=True, slots=True, order=True)
class Scope:
    """A token scope ``type:name:actions`` (e.g. ``repository:team/app:pull``)."""

    type: str
    name: str
    actions: tuple[str, ...]

    @classmethod
    def parse(cls, text: str) -> Scope | None:
        """Parse a scope; None when it has no ``type:name:actions`` shape (e.g. ``*``).

        The name may contain ``host:port`` (``repository:localhost:5000/app:pull``), so
        actions are split at the LAST colon and the type at the first.
        """
        head, sep, actions = text.rpartition(":")
        if not sep:
            return None
        kind, sep, name = head.partition(":")
        if not sep or not kind or not name:
            return None
        parts = tuple(sorted({a for a in actions.split(",") if a}))
        return cls(kind, name, parts)

    @classmethod
    def repository(cls, name: str, *actions: str) -> Scope:
        """``repository:<name>:<actions>`` (default ``pull``)."""
        return cls("repository", name, tuple(sorted(set(actions or ("pull",)))))

    def __str__(self) -> str:
        return f"{self.type}:{self.name}:{','.join(self.actions)}"


CATALOG_SCOPE = Scope("registry", "catalog", ("*",))


def canonical_scopes(scopes: Iterable[str | Scope]) -> tuple[str, ...]:
    """Merge scopes on the same resource, sort, and render: one cache key per set.

    Scopes that do not parse (Gitea's ``*``) are passed through unchanged.
    """
    merged: dict[tuple[str, str], set[str]] = {}
    opaque: set[str] = set()
    for item in scopes:
        scope = item if isinstance(item, Scope) else Scope.parse(item)
        if scope is None:
            opaque.add(str(item))
            continue
        merged.setdefault((scope.type, scope.name), set()).update(scope.actions)
    parsed = [str(Scope(t, n, tuple(sorted(a)))) for (t, n), a in sorted(merged.items())]
    return (*parsed, *sorted(opaque))


@dataclass(frozen=True, slots=True)
class Token:
    """A bearer token and when (on the monotonic clock) to stop using it."""

    value: Secret
    expires_at: float
    refresh_token: Secret | None = None

    def fresh(self, now: float) -> bool:
        """True while the token is usable, leaving a margin before expiry."""
        return now < self.expires_at - RENEW_MARGIN


class TokenResponseError(ValueError):
    """A token endpoint answered with something that is not a token."""


def parse_token_response(data: bytes, *, now: float, wall_now: float) -> Token:
    """Read a token endpoint's JSON answer into a ``Token``.

    ``now`` is the monotonic clock, ``wall_now`` the wall clock (seconds since the
    epoch) used to honour ``issued_at``.
    """
    try:
        body = jsonload.load_object(data)
    except jsonload.JSONRefused as exc:
        raise TokenResponseError(f"token response is {exc}") from None
    value = body.get("token") or body.get("access_token")
    if not isinstance(value, str) or not value:
        raise TokenResponseError("token response has neither 'token' nor 'access_token'")
    if not _TOKEN_RE.fullmatch(value):
        raise TokenResponseError("token response holds a token that is not visible ASCII")
    lifetime = body.get("expires_in")
    if not isinstance(lifetime, int | float) or isinstance(lifetime, bool):
        lifetime = MIN_TOKEN_LIFETIME
    lifetime = max(float(lifetime), MIN_TOKEN_LIFETIME)
    remaining = lifetime
    issued = _parse_time(body.get("issued_at"))
    if issued is not None:
        age = wall_now - issued
        # A token that is already partly used up lives that much less. An issued_at in
        # our future, or so old that the token would have expired before it reached
        # us, says the clocks disagree rather than anything about the token: trust
        # expires_in alone then (a token that really is stale gets a 401, and the one
        # auth retry fetches a new one).
        if 0.0 < age < lifetime:
            remaining = lifetime - age
    refresh = body.get("refresh_token")
    return Token(
        value=Secret(value),
        expires_at=now + remaining,
        refresh_token=Secret(refresh) if isinstance(refresh, str) and refresh else None,
    )


def _parse_time(value: object) -> float | None:
    """RFC 3339 ``issued_at`` (Docker Hub writes nanoseconds) -> epoch seconds."""
    parsed = parse_rfc3339(value)
    return parsed.timestamp() if parsed else None


TokenKey = tuple[str, str, str, tuple[str, ...]]


class TokenCache:
    """Tokens by (realm, service, credential, scopes), fetched once per key at a time.

    When 50 requests need the same token at the same moment, the first one fetches it
    and the other 49 wait for that same fetch (single flight), and share its failure.
    """

    def __init__(self, clock: Clock) -> None:
        self._clock = clock
        self._tokens: dict[TokenKey, Token] = {}
        self._fetches: SingleFlight[TokenKey, Token] = SingleFlight()

    def peek(self, key: TokenKey) -> Token | None:
        """A fresh cached token for ``key``, without fetching."""
        token = self._tokens.get(key)
        return token if token is not None and token.fresh(self._clock.monotonic()) else None

    async def get(self, key: TokenKey, fetch: Callable[[], Awaitable[Token]]) -> Token:
        """A fresh token for ``key``; calls ``fetch`` at most once per concurrent burst."""
        token = self.peek(key)
        if token is not None:
            return token

        async def fetch_and_remember() -> Token:
            token = await fetch()
            self._tokens[key] = token
            return token

        return await self._fetches.run(key, fetch_and_remember)

    def invalidate(self, key: TokenKey, token: Token | None = None) -> None:
        """Forget the token for ``key`` (only if it is still ``token``, when given)."""
        current = self._tokens.get(key)
        if current is not None and (token is None or current is token):
            del self._tokens[key]
