"""The request flow with auth: answer the registry's challenge, retry once, fetch tokens.

Every request carries what the remembered challenge asks for - nothing, Basic
credentials, or a Bearer token for exactly the request's scope (docs/protocol.md items 5, 7).
A 401 gets exactly one retry with fresh credentials; so does a 400/403 ``DENIED`` or
``UNAUTHORIZED`` (ECR Public's expired-token answer, Nexus' 400; docs/protocol.md item 8).

We drive auth here rather than in an ``httpx.Auth`` flow on purpose: ``httpx.Auth``
must read every response body before the flow sees it (we cap bodies while
streaming), it cannot tell a registry 401 from a CDN 401 after a redirect (we follow
redirects by hand), and single flight needs the waiting to happen between requests.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import urlsplit

import httpx

from sitegen.config import Limits, Secret
from sitegen.errors import AuthError, CredentialsRefused
from sitegen.registry.auth import (
    CATALOG_SCOPE,
    Credentials,
    Scope,
    Token,
    TokenCache,
    TokenKey,
    TokenResponseError,
    canonical_scopes,
    parse_token_response,
)
from sitegen.registry.challenge import Challenge, choose, parse_challenges
from sitegen.registry.clock import Clock
from sitegen.registry.errorbody import AUTH_CODES, Redactor, parse_error_body
from sitegen.registry.transport import Reply, Transport, loggable


@dataclass(frozen=True, slots=True)
class _Auth:
    header: str | None
    key: TokenKey | None = None
    token: Token | None = None
    fetched: bool = False  # the token was fetched for this very request


class AuthFlow:
    """Sends requests to one registry with the credentials its challenges ask for."""

    def __init__(
        self,
        *,
        registry: str,
        registry_scheme: str,
        credentials: Credentials,
        transport: Transport,
        redact: Redactor,
        limits: Limits,
        clock: Clock,
    ) -> None:
        self.registry = registry
        self.registry_scheme = registry_scheme
        self.credentials = credentials
        self.transport = transport
        self.redact = redact
        self.limits = limits
        self._clock = clock
        self.tokens = TokenCache(clock)
        # The challenge per endpoint class: Harbor challenges _catalog with Basic and
        # everything else with Bearer, so one remembered challenge per host is not enough.
        self._challenges: dict[str, Challenge | None] = {}
        # Set once the credentials were refused: no request carries them again.
        self.refused: CredentialsRefused | None = None

    async def send(
        self,
        method: str,
        url: str,
        *,
        ping: Challenge | None,
        kind: str,
        repository: str,
        what: str,
        max_body: int,
        scopes: Iterable[Scope | str] | None = None,
        accept: str | None = None,
    ) -> Reply:
        """Send one registry request, answering the registry's challenge; one auth retry.

        ``ping`` is the challenge ``GET /v2/`` answered with (docs/protocol.md item 1): it is used
        until an endpoint answers with its own, and again whenever a 401 comes without
        any ``WWW-Authenticate`` (gcr.io did that).
        """
        if self.refused is not None:
            raise CredentialsRefused(
                self.refused.detail, registry=self.registry, url=self.refused.url
            )
        # docs/protocol.md item 7: the scope is ours, never the challenge's (GHCR's ping challenge
        # carries a placeholder scope). An empty ``scopes`` asks for none (a login).
        if scopes is None:
            wanted, endpoint = _pull_scope(repository), "repo"
        else:
            wanted = canonical_scopes(scopes)
            endpoint = "catalog" if CATALOG_SCOPE in [Scope.parse(s) for s in wanted] else "repo"
        base_headers = {"Accept": accept} if accept else {}
        challenge = self._challenges.get(endpoint, ping)
        auth = await self._authorize(challenge, wanted, renew=None)
        retried = False
        while True:
            headers = dict(base_headers)
            if auth.header:
                headers["Authorization"] = auth.header
            reply = await self.transport.send(
                method,
                url,
                kind=kind,
                headers=headers,
                max_body=max_body,
                what=what,
                repository=repository,
            )
            # A 401/403 from a CDN we were redirected to is not a registry challenge.
            if retried or reply.cross_origin or not self._auth_failed(reply, auth):
                return reply
            offered = choose(parse_challenges(reply.headers.get_list("www-authenticate")))
            if offered is not None:
                self._challenges[endpoint] = offered
            challenge = offered or challenge
            if challenge is None or (challenge.scheme == "basic" and self.credentials.anonymous):
                return reply
            if offered is not None and offered.error == "insufficient_scope":
                if auth.fetched and set(canonical_scopes(offered.scopes)) <= set(wanted):
                    # The token server just declined this very scope (Docker Hub's answer
                    # for a repository that does not exist): asking again won't help.
                    return reply
                wanted = canonical_scopes((*wanted, *offered.scopes))
            renewed = await self._authorize(challenge, wanted, renew=auth)
            if renewed.header == auth.header and renewed.key is None:
                return reply  # the same Basic credentials again would get the same answer
            auth = renewed
            retried = True

    def _auth_failed(self, reply: Reply, auth: _Auth) -> bool:
        """True for an answer that fresh credentials might turn into a success."""
        if reply.status == 401:
            return True
        if reply.status in (400, 403) and auth.header is not None:
            code, _ = parse_error_body(reply.body)
            return code in AUTH_CODES
        return False

    async def _authorize(
        self, challenge: Challenge | None, scopes: tuple[str, ...], renew: _Auth | None
    ) -> _Auth:
        """The Authorization to send for ``scopes`` under ``challenge``."""
        if challenge is None:
            return _Auth(None)
        if challenge.scheme == "basic":
            return _Auth(self.credentials.basic_header())
        identity = self.credentials.username or (
            "<token>" if self.credentials.identity_token else ""
        )
        key: TokenKey = (challenge.realm, challenge.service or "", identity, scopes)
        if renew is not None and renew.key == key:
            self.tokens.invalidate(key, renew.token)
        cached = self.tokens.peek(key)
        token = cached or await self.tokens.get(key, lambda: self.fetch_token(challenge, scopes))
        return _Auth(f"Bearer {token.value.reveal()}", key, token, fetched=cached is None)

    async def fetch_token(self, challenge: Challenge, scopes: tuple[str, ...]) -> Token:
        """Ask the token service (docs/protocol.md items 3, 4, 7, 10)."""
        realm = self._check_realm(challenge.realm)
        creds = self.credentials
        reply: Reply | None = None
        headers: dict[str, str] = {}
        if creds.identity_token is not None:
            reply = await self._oauth_refresh(realm, challenge, scopes, creds.identity_token)
            if reply.status in (404, 405):
                # No OAuth2 endpoint (docker's fallback): GET with the token as password.
                reply = None
                headers["Authorization"] = creds.identity_basic_header() or ""
        elif creds.password is not None:
            # Basic credentials go to the realm, and only there (docs/protocol.md item 3).
            headers["Authorization"] = creds.basic_header() or ""
        if reply is None:
            params: list[tuple[str, str | int | float | bool | None]] = []
            if challenge.service:
                params.append(("service", challenge.service))
            params.extend(("scope", s) for s in scopes)  # one parameter per scope
            reply = await self.transport.send(
                "GET",
                str(httpx.URL(realm).copy_merge_params(params)),
                kind="token",
                headers=headers,
                max_body=self.limits.token_bytes,
                what="token request",
            )
        if reply.status != 200:
            if not creds.anonymous and _refusal(reply):
                raise self._refused(
                    f"the token service refused {self._who()} (HTTP {reply.status})", realm
                )
            raise AuthError(
                f"the token service refused {self._who()}"
                if reply.status in (401, 403)
                else f"the token service answered HTTP {reply.status}",
                registry=self.registry,
                url=loggable(realm),
                status=reply.status,
            )
        try:
            token = parse_token_response(
                reply.body, now=self._clock.monotonic(), wall_now=self._clock.wall()
            )
        except TokenResponseError as exc:
            raise AuthError(str(exc), registry=self.registry, url=loggable(realm)) from None
        self.redact.add(token.value.reveal())
        if token.refresh_token:
            self.redact.add(token.refresh_token.reveal())
        return token

    async def _oauth_refresh(
        self, realm: str, challenge: Challenge, scopes: tuple[str, ...], refresh_token: Secret
    ) -> Reply:
        """OAuth2 ``grant_type=refresh_token`` POST: one space-separated ``scope`` field."""
        form = {
            "grant_type": "refresh_token",
            "refresh_token": refresh_token.reveal(),
            "client_id": "sitegen",
            "scope": " ".join(scopes),
        }
        if challenge.service:
            form["service"] = challenge.service
        return await self.transport.send(
            "POST",
            realm,
            kind="token",
            headers={},
            data=form,
            max_body=self.limits.token_bytes,
            what="token request",
        )

    def _refused(self, message: str, url: str) -> CredentialsRefused:
        self.refused = CredentialsRefused(message, registry=self.registry, url=loggable(url))
        return self.refused

    async def login(self, url: str, ping: Challenge | None, max_body: int) -> None:
        """Prove the credentials once, as ``docker login`` does: ``GET /v2/`` with them
        (a token for no scope first, under a Bearer challenge).

        Raises ``CredentialsRefused`` when the token service or a Basic registry refuses
        them; anything else is left to the requests that follow.
        """
        if self.credentials.anonymous or ping is None:
            return
        reply = await self.send(
            "GET", url, ping=ping, kind="ping", repository="", what="log in",
            max_body=max_body, scopes=(),
        )  # fmt: skip
        basic = self._challenges.get("repo", ping)
        if reply.status == 401 and basic is not None and basic.scheme == "basic":
            raise self._refused(f"the registry refused {self._who()} (HTTP 401)", url)

    def _who(self) -> str:
        creds = self.credentials
        if creds.username:
            return f"user {creds.username!r}"
        return "the identity token" if creds.identity_token else "anonymous access"

    def _check_realm(self, realm: str) -> str:
        """Credentials go only to an http(s) realm, and https unless the registry is http."""
        parts = urlsplit(realm)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise AuthError(
                f"the token realm {realm[:100]!r} is not an http(s) URL", registry=self.registry
            )
        if parts.scheme == "http" and self.registry_scheme == "https":
            raise AuthError(
                "the token realm is plain http while the registry is https; refusing to "
                "send credentials in clear text",
                registry=self.registry,
                url=loggable(realm),
            )
        return realm


@functools.lru_cache(maxsize=4096)
def _pull_scope(repository: str) -> tuple[str, ...]:
    """A repository's pull scope, canonical; made once, not once per request."""
    return canonical_scopes((Scope.repository(repository),))


def _refusal(reply: Reply) -> bool:
    """A token service answer that judges the credentials: 401/403, or OAuth2's
    ``invalid_grant``/``invalid_client`` (RFC 6749 5.2) for a refresh token."""
    if reply.status in (401, 403):
        return True
    if reply.status != 400:
        return False
    code, message = parse_error_body(reply.body)
    return message in ("invalid_grant", "invalid_client", "unauthorized_client") or code in (
        "INVALID_GRANT",
        "INVALID_CLIENT",
    )
