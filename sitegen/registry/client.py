"""The registry client: one per run, one ``httpx.AsyncClient``, one session per registry.

Auth is driven by the registry's own challenge: ``GET /v2/`` once per registry
(PROTOCOL.md 1), then every request carries what that challenge asks for - nothing,
Basic credentials, or a Bearer token for exactly the request's scope (PROTOCOL.md 5, 7).
A 401 gets exactly one retry with fresh credentials; so does a 400/403 ``DENIED`` for a
token we had cached (ECR Public's expired-token answer, PROTOCOL.md 8).

We drive auth here rather than in an ``httpx.Auth`` flow on purpose: ``httpx.Auth``
must read every response body before the flow sees it (we cap bodies while
streaming), it cannot tell a registry 401 from a CDN 401 after a redirect (we follow
redirects by hand), and single flight needs the waiting to happen between requests.
"""

from __future__ import annotations

import asyncio
import base64
import importlib.util
import json
import random
import ssl
import time
from collections.abc import Awaitable, Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from http.cookiejar import CookieJar, DefaultCookiePolicy
from types import TracebackType
from typing import Any
from urllib.parse import quote, urlsplit

import httpx

from sitegen import __version__
from sitegen.config import Limits, RegistryConfig
from sitegen.errors import (
    AuthError,
    CatalogUnavailable,
    ConfigError,
    DigestMismatch,
    NotFoundError,
    ProtocolError,
    RegistryError,
)
from sitegen.registry import mediatypes
from sitegen.registry.auth import (
    ANONYMOUS,
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
from sitegen.registry.errorbody import AUTH_CODES, Redactor, error_for, parse_error_body
from sitegen.registry.pagination import DEFAULT_PAGE_SIZE, next_link
from sitegen.registry.references import digest_of, is_digest, is_name, is_tag
from sitegen.registry.transport import (
    Reply,
    RetryPolicy,
    Stats,
    Transport,
    log,
    loggable,
    origin,
)

USER_AGENT = f"sitegen/{__version__} (+static registry catalog)"


@dataclass(frozen=True, slots=True)
class PingInfo:
    """What ``GET /v2/`` told us about a registry."""

    url: str
    status: int
    challenge: Challenge | None  # None: anonymous access works

    @property
    def scheme(self) -> str:
        """``bearer``, ``basic`` or ``none``."""
        return self.challenge.scheme if self.challenge else "none"


@dataclass(frozen=True, slots=True)
class ManifestHead:
    """A manifest's identity as a HEAD request reports it."""

    digest: str | None  # None when the registry sent no usable Docker-Content-Digest
    media_type: str
    size: int | None


@dataclass(frozen=True, slots=True)
class RawManifest:
    """A manifest whose bytes were verified against its digest."""

    digest: str
    media_type: str
    data: bytes
    document: Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class _Auth:
    header: str | None
    key: TokenKey | None = None
    token: Token | None = None
    fetched: bool = False  # the token was fetched for this very request


class RegistryClient:
    """All registries of one run, sharing one HTTP client and one set of counters."""

    def __init__(
        self,
        registries: Sequence[RegistryConfig],
        *,
        credentials: Mapping[str, Credentials] | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        clock: Callable[[], float] = time.monotonic,
        wall: Callable[[], float] = time.time,
        jitter: Callable[[], float] = random.random,
        retry: RetryPolicy | None = None,
        limits: Limits | None = None,
    ) -> None:
        self.stats = Stats()
        self.limits = limits or Limits()
        self.redact = Redactor()
        self.http = _build_http_client(registries, transport)
        self._sessions: dict[str, RegistrySession] = {}
        for config in registries:
            creds = (credentials or {}).get(config.name) or _config_credentials(config)
            self.redact.add(*creds.secrets())
            self._sessions[config.name] = RegistrySession(
                config,
                creds,
                Transport(
                    self.http,
                    registry=config.name,
                    base_url=config.url,
                    timeout=config.timeout,
                    concurrency=config.concurrency,
                    stats=self.stats,
                    retry=retry or RetryPolicy(),
                    limits=self.limits,
                    sleep=sleep,
                    clock=clock,
                    wall=wall,
                    jitter=jitter,
                ),
                redact=self.redact,
                clock=clock,
                wall=wall,
            )

    def __getitem__(self, name: str) -> RegistrySession:
        return self._sessions[name]

    def __iter__(self) -> Iterator[RegistrySession]:
        return iter(self._sessions.values())

    async def aclose(self) -> None:
        """Close every connection."""
        await self.http.aclose()

    async def __aenter__(self) -> RegistryClient:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()


class RegistrySession:
    """Everything we do with one registry. Safe to use from many tasks at once."""

    def __init__(
        self,
        config: RegistryConfig,
        credentials: Credentials,
        transport: Transport,
        *,
        redact: Redactor,
        clock: Callable[[], float],
        wall: Callable[[], float],
    ) -> None:
        self.config = config
        self.name = config.name
        self.credentials = credentials
        self.transport = transport
        self.redact = redact
        self.limits = transport.limits
        self._clock = clock
        self._wall = wall
        self.tokens = TokenCache(clock)
        self._ping: PingInfo | None = None
        self._ping_lock = asyncio.Lock()
        # The challenge per endpoint class: Harbor challenges _catalog with Basic and
        # everything else with Bearer, so one remembered challenge per host is not enough.
        self._challenges: dict[str, Challenge | None] = {}

    # -- public API ---------------------------------------------------------------------

    async def ping(self) -> PingInfo:
        """``GET /v2/`` once; remember the challenge for every later request."""
        async with self._ping_lock:
            if self._ping is not None:
                return self._ping
            url = f"{self.config.url}/v2/"
            reply = await self.transport.send(
                "GET",
                url,
                kind="ping",
                headers={},
                max_body=self.limits.error_bytes,
                what="ping",
            )
            challenge = None
            if reply.status == 401:
                offered = parse_challenges(reply.headers.get_list("www-authenticate"))
                challenge = choose(offered)
                if challenge is None:
                    schemes = ", ".join(sorted({c.scheme for c in offered})) or "none"
                    raise AuthError(
                        f"the registry requires authentication but offers no Bearer or Basic "
                        f"challenge (offered: {schemes})",
                        registry=self.name,
                        url=url,
                        status=401,
                    )
            elif reply.status == 404:
                raise ProtocolError(
                    "no registry API here (GET /v2/ answered 404); check the url",
                    registry=self.name,
                    url=url,
                    status=404,
                )
            elif reply.status != 200:
                raise self._error(reply, "ping", "")
            self._ping = PingInfo(url=url, status=reply.status, challenge=challenge)
            return self._ping

    async def catalog(self) -> list[str]:
        """Every repository ``/v2/_catalog`` lists (validated names, registry order)."""
        url = f"{self.config.url}/v2/_catalog?n={DEFAULT_PAGE_SIZE}"
        try:
            return await self._paginate(
                url,
                key="repositories",
                scopes=(CATALOG_SCOPE,),
                repository="",
                what="list repositories",
                valid=is_name,
                limit=self.limits.repositories,
            )
        except (AuthError, NotFoundError) as exc:
            raise CatalogUnavailable(
                f"the registry does not let us list its repositories (/v2/_catalog answered "
                f"HTTP {exc.status}); list them under 'repositories' for this registry "
                "in the config",
                registry=self.name,
                url=exc.url,
                status=exc.status,
                code=exc.code,
            ) from None

    async def tags(self, repository: str) -> list[str]:
        """Every valid tag of ``repository`` (registry order; ``tags: null`` is empty)."""
        url = f"{self.config.url}/v2/{repository}/tags/list?n={DEFAULT_PAGE_SIZE}"
        return await self._paginate(
            url,
            key="tags",
            scopes=(Scope.repository(repository),),
            repository=repository,
            what="list tags",
            valid=is_tag,
            limit=self.limits.tags,
        )

    async def head_manifest(self, repository: str, reference: str) -> ManifestHead:
        """HEAD a manifest: cheap (Docker Hub does not count it as a pull)."""
        reply = await self._call(
            "HEAD",
            self._manifest_url(repository, reference),
            kind="head",
            repository=repository,
            accept=mediatypes.MANIFEST_ACCEPT,
            max_body=0,
            what=f"check manifest {reference}",
        )
        if reply.status != 200:
            raise self._error(reply, f"check manifest {reference}", repository)
        digest = reply.headers.get("docker-content-digest", "").strip()
        length = reply.headers.get("content-length", "")
        return ManifestHead(
            digest=digest if is_digest(digest) else None,
            media_type=mediatypes.strip_parameters(reply.headers.get("content-type")),
            size=int(length) if length.isdigit() else None,
        )

    async def manifest(self, repository: str, reference: str) -> RawManifest:
        """GET a manifest by tag or digest and verify its bytes (PROTOCOL.md 15-18)."""
        url = self._manifest_url(repository, reference)
        what = f"get manifest {reference}"
        reply = await self._call(
            "GET",
            url,
            kind="manifest",
            repository=repository,
            accept=mediatypes.MANIFEST_ACCEPT,
            max_body=self.limits.manifest_bytes,
            what=what,
        )
        if reply.status != 200:
            raise self._error(reply, what, repository)
        try:
            document = mediatypes.parse_json(reply.body)
        except ValueError:
            document = None
        if not isinstance(document, dict):
            raise ProtocolError(
                f"{what}: the body is not a JSON object",
                registry=self.name,
                repository=repository,
                url=loggable(url),
            )
        media_type, problem = mediatypes.resolve_media_type(
            reply.headers.get("content-type"), document
        )
        if problem:
            raise ProtocolError(
                f"{what}: {problem}", registry=self.name, repository=repository, url=loggable(url)
            )
        digest = self._verified_digest(reply, media_type, reference, repository, what)
        return RawManifest(digest=digest, media_type=media_type, data=reply.body, document=document)

    async def blob(self, repository: str, digest: str, *, max_bytes: int | None = None) -> bytes:
        """GET a blob (following CDN redirects) and verify it hashes to ``digest``."""
        url = f"{self.config.url}/v2/{repository}/blobs/{digest}"
        what = f"get blob {digest[:19]}"
        reply = await self._call(
            "GET",
            url,
            kind="blob",
            repository=repository,
            max_body=max_bytes or self.limits.config_bytes,
            what=what,
        )
        if reply.status != 200:
            raise self._error(reply, what, repository)
        if digest_of(reply.body, digest.partition(":")[0]) != digest:
            raise DigestMismatch(
                f"{what}: content does not hash to the requested digest",
                registry=self.name,
                repository=repository,
                url=loggable(url),
            )
        return reply.body

    async def referrers(self, repository: str, digest: str) -> list[dict[str, Any]] | None:
        """Descriptors from the referrers API, or None when the registry lacks it.

        PROTOCOL.md 21: 404/400/405/406 mean "not supported" (the caller falls back to
        the ``sha256-<hex>`` tag); the answer must be an index, and the subject itself
        is never one of its own referrers.
        """
        url: str | None = f"{self.config.url}/v2/{repository}/referrers/{digest}"
        found: list[dict[str, Any]] = []
        seen_urls: set[str] = set()
        while url and len(seen_urls) < self.limits.pages:
            seen_urls.add(url)
            reply = await self._call(
                "GET",
                url,
                kind="referrers",
                repository=repository,
                accept=mediatypes.OCI_INDEX,
                max_body=self.limits.manifest_bytes,
                what="list referrers",
            )
            if reply.status in (400, 404, 405, 406):
                return found or None
            if reply.status != 200:
                raise self._error(reply, "list referrers", repository)
            try:
                document = mediatypes.parse_json(reply.body)
            except ValueError:
                return None
            if not isinstance(document, dict) or not isinstance(document.get("manifests"), list):
                return None
            found.extend(
                d
                for d in document["manifests"]
                if isinstance(d, dict) and d.get("digest") != digest
            )
            url = self._same_origin(next_link(reply.headers.get_list("link"), url), repository)
            if url in seen_urls:
                break
        return found

    # -- requests with auth ----------------------------------------------------------------

    async def _call(
        self,
        method: str,
        url: str,
        *,
        kind: str,
        repository: str,
        what: str,
        max_body: int,
        scopes: Iterable[Scope | str] | None = None,
        accept: str | None = None,
    ) -> Reply:
        """Send one registry request, answering the registry's challenge; one auth retry."""
        await self.ping()
        wanted = canonical_scopes(scopes or (Scope.repository(repository),))
        endpoint = "catalog" if CATALOG_SCOPE in [Scope.parse(s) for s in wanted] else "repo"
        base_headers = {"Accept": accept} if accept else {}
        challenge = self._challenges.get(endpoint, self._ping.challenge if self._ping else None)
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
            if retried or reply.cross_origin or not self._auth_failed(reply, auth):
                return reply
            offered = choose(parse_challenges(reply.headers.get_list("www-authenticate")))
            if offered is not None:
                self._challenges[endpoint] = offered
            challenge = offered or challenge
            if challenge is None or (challenge.scheme == "basic" and self.credentials.anonymous):
                return reply
            if offered is not None and offered.error == "insufficient_scope":
                if auth.fetched and set(offered.scopes) <= set(wanted):
                    # The token server just declined this very scope: asking again won't help.
                    return reply
                wanted = canonical_scopes((*wanted, *offered.scopes))
            auth = await self._authorize(challenge, wanted, renew=auth)
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
        token = cached or await self.tokens.get(key, lambda: self._fetch_token(challenge, scopes))
        return _Auth(f"Bearer {token.value.reveal()}", key, token, fetched=cached is None)

    async def _fetch_token(self, challenge: Challenge, scopes: tuple[str, ...]) -> Token:
        """Ask the token service (PROTOCOL.md 3, 4, 7, 10)."""
        realm = self._check_realm(challenge.realm)
        params: list[tuple[str, str | int | float | bool | None]] = []
        if challenge.service:
            params.append(("service", challenge.service))
        params.extend(("scope", s) for s in scopes)
        creds = self.credentials
        headers: dict[str, str] = {}
        reply: Reply | None = None
        if creds.identity_token is not None:
            form = {
                "grant_type": "refresh_token",
                "refresh_token": creds.identity_token.reveal(),
                "client_id": "sitegen",
                "scope": " ".join(scopes),
            }
            if challenge.service:
                form["service"] = challenge.service
            reply = await self.transport.send(
                "POST",
                realm,
                kind="token",
                headers={},
                data=form,
                max_body=self.limits.token_bytes,
                what="token request",
            )
            if reply.status in (404, 405):  # no OAuth2 endpoint: fall back to GET
                reply = None
                raw = f"{creds.username or '<token>'}:{creds.identity_token.reveal()}"
                headers["Authorization"] = "Basic " + base64.b64encode(raw.encode()).decode()
        elif creds.password is not None:
            headers["Authorization"] = creds.basic_header() or ""
        if reply is None:
            url = str(httpx.URL(realm).copy_merge_params(params))
            reply = await self.transport.send(
                "GET",
                url,
                kind="token",
                headers=headers,
                max_body=self.limits.token_bytes,
                what="token request",
            )
        who = (
            f"user {creds.username!r}"
            if creds.username
            else ("the identity token" if creds.identity_token else "anonymous access")
        )
        if reply.status in (401, 403):
            raise AuthError(
                f"the token service refused {who}",
                registry=self.name,
                url=loggable(realm),
                status=reply.status,
            )
        if reply.status != 200:
            raise AuthError(
                f"the token service answered HTTP {reply.status}",
                registry=self.name,
                url=loggable(realm),
                status=reply.status,
            )
        try:
            token = parse_token_response(reply.body, now=self._clock(), wall_now=self._wall())
        except TokenResponseError as exc:
            raise AuthError(str(exc), registry=self.name, url=loggable(realm)) from None
        self.redact.add(token.value.reveal())
        if token.refresh_token:
            self.redact.add(token.refresh_token.reveal())
        return token

    def _check_realm(self, realm: str) -> str:
        """Credentials go only to an http(s) realm, and https unless the registry is http."""
        parts = urlsplit(realm)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise AuthError(
                f"the token realm {realm[:100]!r} is not an http(s) URL", registry=self.name
            )
        if parts.scheme == "http" and self.config.scheme == "https":
            raise AuthError(
                "the token realm is plain http while the registry is https; refusing to "
                "send credentials in clear text",
                registry=self.name,
                url=loggable(realm),
            )
        return realm

    # -- helpers ------------------------------------------------------------------------

    async def _paginate(
        self,
        url: str,
        *,
        key: str,
        scopes: Iterable[Scope],
        repository: str,
        what: str,
        valid: Callable[[str], bool],
        limit: int,
    ) -> list[str]:
        """Follow ``Link: rel="next"`` until done, a page makes no progress, or limits hit."""
        found: list[str] = []
        seen: set[str] = set()
        visited: set[str] = set()
        dropped = 0
        next_url: str | None = url
        while next_url is not None:
            if len(visited) >= self.limits.pages or len(found) >= limit:
                _log_truncated(self.name, repository, what, len(found))
                break
            visited.add(next_url)
            reply = await self._call(
                "GET",
                next_url,
                kind="list",
                repository=repository,
                scopes=scopes,
                max_body=self.limits.listing_bytes,
                what=what,
            )
            if reply.status != 200:
                raise self._error(reply, what, repository)
            items = self._listing_items(reply, key, repository, what, next_url)
            progress = 0
            for item in items:
                if not isinstance(item, str) or not item:
                    continue  # PROTOCOL.md 22: drop null and empty entries
                if not valid(item):
                    dropped += 1
                    continue
                if item not in seen:
                    seen.add(item)
                    found.append(item)
                    progress += 1
            next_url = self._same_origin(
                next_link(reply.headers.get_list("link"), next_url), repository
            )
            if next_url is not None and (progress == 0 or next_url in visited):
                _log_no_progress(self.name, repository, what)
                break
        if dropped:
            _log_dropped(self.name, repository, what, dropped)
        return found[:limit]

    def _listing_items(
        self, reply: Reply, key: str, repository: str, what: str, url: str
    ) -> list[Any]:
        try:
            document = json.loads(reply.body)
        except ValueError:
            document = None
        if not isinstance(document, dict):
            raise ProtocolError(
                f"{what}: the answer is not a JSON object",
                registry=self.name,
                repository=repository,
                url=loggable(url),
            )
        items = document.get(key)
        if items is None:
            return []  # distribution answers "tags": null for a repository with no tags
        if not isinstance(items, list):
            raise ProtocolError(
                f"{what}: {key!r} is not a list",
                registry=self.name,
                repository=repository,
                url=loggable(url),
            )
        return items

    def _same_origin(self, url: str | None, repository: str) -> str | None:
        """A pagination link must stay on the registry (our credentials go with it)."""
        if url is not None and origin(url) != self.transport.origin:
            raise ProtocolError(
                "a pagination link points to another host",
                registry=self.name,
                repository=repository,
                url=loggable(url),
            )
        return url

    def _manifest_url(self, repository: str, reference: str) -> str:
        return f"{self.config.url}/v2/{repository}/manifests/{quote(reference, safe=':')}"

    def _verified_digest(
        self, reply: Reply, media_type: str, reference: str, repository: str, what: str
    ) -> str:
        """The manifest digest, after checking the bytes against every claim about it."""
        payload = reply.body
        if media_type == mediatypes.DOCKER_SCHEMA1_SIGNED:
            payload = schema1_payload(reply.body)
        header = reply.headers.get("docker-content-digest", "").strip()
        claims = [c for c in (reference, header) if is_digest(c)]
        for claim in claims:
            if digest_of(payload, claim.partition(":")[0]) != claim:
                source = "the requested digest" if claim == reference else "Docker-Content-Digest"
                raise DigestMismatch(
                    f"{what}: content does not hash to {source} {claim[:19]}...",
                    registry=self.name,
                    repository=repository,
                    url=loggable(reply.url),
                )
        return claims[0] if claims else digest_of(payload)

    def _error(self, reply: Reply, what: str, repository: str) -> RegistryError:
        if reply.cross_origin:
            what = f"{what} (at the storage host the registry redirected to)"
        return error_for(
            reply.status,
            reply.body,
            what=what,
            registry=self.name,
            repository=repository,
            url=loggable(reply.url),
            redact=self.redact,
        )


def schema1_payload(data: bytes) -> bytes:
    """The bytes a signed schema1 manifest's digest covers: the JWS payload.

    The ``signatures`` block is cut out using the protected header's ``formatLength``
    and ``formatTail`` (Docker image-spec v2.1). Unsigned or unreadable input is
    returned unchanged.
    """
    try:
        document = json.loads(data)
        protected = document["signatures"][0]["protected"]
        header = json.loads(base64.urlsafe_b64decode(protected + "=" * (-len(protected) % 4)))
        length = int(header["formatLength"])
        tail_text = header["formatTail"]
        tail = base64.urlsafe_b64decode(tail_text + "=" * (-len(tail_text) % 4))
    except (ValueError, KeyError, IndexError, TypeError):
        return data
    return data[:length] + tail


def _config_credentials(config: RegistryConfig) -> Credentials:
    if config.auth.password is None:
        return ANONYMOUS
    return Credentials(username=config.auth.username, password=config.auth.password)


def _no_cookies() -> CookieJar:
    """A jar that stores nothing: Harbor sets CSRF and session cookies we must not replay."""
    return CookieJar(policy=DefaultCookiePolicy(allowed_domains=[]))


def _build_http_client(
    registries: Sequence[RegistryConfig], transport: httpx.AsyncBaseTransport | None
) -> httpx.AsyncClient:
    pool = httpx.Limits(
        max_connections=sum(r.concurrency for r in registries) + 8,
        max_keepalive_connections=sum(r.concurrency for r in registries) + 8,
    )
    mounts: dict[str, httpx.AsyncBaseTransport] = {}
    if transport is None:
        for config in registries:
            if not (config.ca_file or config.insecure or config.http2):
                continue
            if config.http2 and importlib.util.find_spec("h2") is None:
                raise ConfigError(
                    f"registry {config.name!r} sets http2: true, which needs the h2 package "
                    "(pip install 'httpx[http2]')"
                )
            verify: ssl.SSLContext | bool = True
            if config.insecure:
                verify = False
            elif config.ca_file:
                verify = ssl.create_default_context(cafile=str(config.ca_file))
            mounts[f"{config.scheme}://{config.host}"] = httpx.AsyncHTTPTransport(
                verify=verify, http2=config.http2, limits=pool
            )
    timeout = max((r.timeout for r in registries), default=30.0)
    return httpx.AsyncClient(
        transport=transport,
        mounts=mounts or None,
        limits=pool,
        timeout=httpx.Timeout(timeout),
        follow_redirects=False,
        headers={"User-Agent": USER_AGENT},
        cookies=_no_cookies(),
    )


def _log_truncated(registry: str, repository: str, what: str, count: int) -> None:
    log.warning(
        "%s%s: %s stopped at its limit after %d entries",
        registry,
        f"/{repository}" if repository else "",
        what,
        count,
    )


def _log_no_progress(registry: str, repository: str, what: str) -> None:
    log.warning(
        "%s%s: %s: a page made no progress; stopped following its Link header",
        registry,
        f"/{repository}" if repository else "",
        what,
    )


def _log_dropped(registry: str, repository: str, what: str, count: int) -> None:
    log.warning(
        "%s%s: %s: skipped %d entries that are not valid names",
        registry,
        f"/{repository}" if repository else "",
        what,
        count,
    )
