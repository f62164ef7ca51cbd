"""The registry client: one per run, one ``httpx.AsyncClient``, one session per registry.

Auth is driven by the registry's own challenge: ``GET /v2/`` once per registry
(docs/protocol.md item 1), then every request goes through ``authflow.AuthFlow``, which answers
the remembered challenge and retries once with fresh credentials (docs/protocol.md items 5-8).
Listings page through ``listing.paginate`` (docs/protocol.md items 22-23); manifests and blobs
are verified against every digest claimed for them (docs/protocol.md items 15-18).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from types import TracebackType
from typing import Any
from urllib.parse import quote

import httpx

from sitegen.config import Limits, RegistryConfig
from sitegen.errors import (
    AuthError,
    CatalogUnavailable,
    CredentialsRefused,
    DigestMismatch,
    NotFoundError,
    ProtocolError,
    RegistryError,
)
from sitegen.oci import jsonload, mediatypes
from sitegen.oci.digests import covered_bytes, manifest_digest
from sitegen.oci.references import digest_of, is_digest, is_name, is_tag
from sitegen.registry.auth import ANONYMOUS, CATALOG_SCOPE, Credentials, Scope
from sitegen.registry.authflow import AuthFlow
from sitegen.registry.challenge import choose, parse_challenges
from sitegen.registry.clock import SYSTEM_CLOCK, Clock
from sitegen.registry.errorbody import Redactor, error_for
from sitegen.registry.flight import SingleFlight
from sitegen.registry.httpclient import USER_AGENT, build_http_client
from sitegen.registry.listing import Listing, paginate, referrer_pages
from sitegen.registry.pagination import DEFAULT_PAGE_SIZE
from sitegen.registry.results import ManifestHead, PingInfo, RawManifest
from sitegen.registry.transport import Reply, RetryPolicy, Stats, Transport, loggable

__all__ = [
    "USER_AGENT",
    "ManifestHead",
    "PingInfo",
    "RawManifest",
    "RegistryClient",
    "RegistrySession",
]


class RegistryClient:
    """All registries of one run, sharing one HTTP client and one set of counters."""

    def __init__(
        self,
        registries: Sequence[RegistryConfig],
        *,
        credentials: Mapping[str, Credentials] | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        clock: Clock = SYSTEM_CLOCK,
        retry: RetryPolicy | None = None,
        limits: Limits | None = None,
        environ: Mapping[str, str] | None = None,
    ) -> None:
        """One session per registry; ``credentials`` by registry name override the config.

        ``transport`` replaces the network (tests); ``clock`` replaces time and
        randomness (tests); ``environ`` supplies proxy variables (default ``os.environ``).
        """
        self.stats = Stats()
        self.limits = limits or Limits()
        self.redact = Redactor()
        self.http = build_http_client(registries, transport, environ)
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
                    retry=retry or RetryPolicy(attempts=config.retries + 1),
                    limits=self.limits,
                    clock=clock,
                ),
                redact=self.redact,
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
    ) -> None:
        self.config = config
        self.name = config.name
        self.credentials = credentials
        self.transport = transport
        self.redact = redact
        self.limits = transport.limits
        self.auth = AuthFlow(
            registry=config.name,
            registry_scheme=config.scheme,
            credentials=credentials,
            transport=transport,
            redact=redact,
            limits=transport.limits,
            clock=transport.clock,
        )
        self._ping: PingInfo | None = None
        self._pinging: SingleFlight[None, PingInfo] = SingleFlight()

    # -- public API ---------------------------------------------------------------------

    async def ping(self) -> PingInfo:
        """``GET /v2/`` once; remember the challenge for every later request."""
        if self._ping is None:
            # Callers at the same moment share one ping and its failure; a caller that
            # comes after a failure pings again.
            self._ping = await self._pinging.run(None, self._send_ping)
        return self._ping

    async def _send_ping(self) -> PingInfo:
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
        return PingInfo(url=url, status=reply.status, challenge=challenge)

    async def login(self) -> None:
        """Check the credentials once (``docker login``): ``CredentialsRefused`` if the
        token service or the registry refuses them. Anonymous sessions skip it."""
        ping = await self.ping()
        await self.auth.login(ping.url, ping.challenge, self.limits.error_bytes)

    @property
    def refused(self) -> CredentialsRefused | None:
        """Why the credentials were refused, once they were."""
        return self.auth.refused

    async def catalog(self) -> list[str]:
        """Every repository ``/v2/_catalog`` lists (validated names, registry order)."""
        url = f"{self.config.url}/v2/_catalog?n={DEFAULT_PAGE_SIZE}"
        try:
            return await self._paginate(
                url, "", "repositories", "list repositories", is_name, self.limits.repositories
            )
        except CredentialsRefused:
            raise
        except (AuthError, NotFoundError) as exc:
            raise CatalogUnavailable(
                f"the registry does not let us list its repositories (/v2/_catalog answered "
                f"HTTP {exc.status}); list them under 'repositories' for this registry "
                "in the config (on ghcr.io, GitLab or Docker Hub, 'discover' can list them)",
                registry=self.name,
                url=exc.url,
                status=exc.status,
                code=exc.code,
            ) from None

    async def tags(self, repository: str) -> list[str]:
        """Every valid tag of ``repository`` (registry order; ``tags: null`` is empty)."""
        url = f"{self.config.url}/v2/{repository}/tags/list?n={DEFAULT_PAGE_SIZE}"
        return await self._paginate(url, repository, "tags", "list tags", is_tag, self.limits.tags)

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

    async def manifest(
        self, repository: str, reference: str, *, max_bytes: int | None = None
    ) -> RawManifest:
        """GET a manifest by tag or digest and verify its bytes (docs/protocol.md items
        15-18); ``TooLarge`` above ``max_bytes`` (default ``limits.manifest_bytes``)."""
        url = self._manifest_url(repository, reference)
        what = f"get manifest {reference}"
        reply = await self._call(
            "GET",
            url,
            kind="manifest",
            repository=repository,
            accept=mediatypes.MANIFEST_ACCEPT,
            max_body=max_bytes or self.limits.manifest_bytes,
            what=what,
        )
        if reply.status != 200:
            raise self._error(reply, what, repository)
        document = self._json_object(reply.body, f"{what}: the body", repository, url)
        media_type, problem = mediatypes.resolve_media_type(
            reply.headers.get("content-type"), document
        )
        if problem:
            raise ProtocolError(
                f"{what}: {problem}", registry=self.name, repository=repository, url=loggable(url)
            )
        # Only what the digest covers is kept: a signed schema1 manifest's signatures
        # block is not (docs/protocol.md item 20), so nothing in it may be shown or cached.
        data = covered_bytes(reply.body, media_type)
        digest, mismatch = manifest_digest(
            data, reference, reply.headers.get("docker-content-digest")
        )
        if mismatch:
            raise DigestMismatch(
                f"{what}: {mismatch}",
                registry=self.name,
                repository=repository,
                url=loggable(reply.url),
            )
        if data is not reply.body:
            document = self._json_object(data, f"{what}: the signed payload", repository, url)
            # The type of the bytes kept (a payload has no signatures), as a cache read
            # of the same bytes will sniff it: cold and warm builds show the same.
            media_type = mediatypes.sniff(document) or media_type
        return RawManifest(digest=digest, media_type=media_type, data=data, document=document)

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

        docs/protocol.md item 21: 404/400/405/406 mean "not supported" (the caller falls back to
        the ``sha256-<hex>`` tag); the answer must be an index, and the subject itself
        is never one of its own referrers.
        """
        url = f"{self.config.url}/v2/{repository}/referrers/{digest}"

        async def get(page: str) -> Reply:
            return await self._call(
                "GET",
                page,
                kind="referrers",
                repository=repository,
                accept=mediatypes.OCI_INDEX,
                max_body=self.limits.manifest_bytes,
                what="list referrers",
            )

        return await referrer_pages(
            url,
            digest,
            get,
            lambda r: self._error(r, "list referrers", repository),
            pages=self.limits.pages,
            registry_origin=self.transport.origin,
        )

    # -- helpers ------------------------------------------------------------------------

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
        """One request with auth (``AuthFlow.send``), after the one ping per registry."""
        ping = await self.ping()
        return await self.auth.send(
            method,
            url,
            ping=ping.challenge,
            kind=kind,
            repository=repository,
            what=what,
            max_body=max_body,
            scopes=scopes,
            accept=accept,
        )

    async def _paginate(
        self,
        url: str,
        repository: str,
        key: str,
        what: str,
        valid: Callable[[str], bool],
        limit: int,
    ) -> list[str]:
        scopes = (CATALOG_SCOPE,) if key == "repositories" else (Scope.repository(repository),)
        listing = Listing(
            registry=self.name,
            repository=repository,
            what=what,
            key=key,
            valid=valid,
            limit=limit,
            pages=self.limits.pages,
            origin=self.transport.origin,
        )

        async def get(page: str) -> Reply:
            return await self._call(
                "GET",
                page,
                kind="list",
                repository=repository,
                scopes=scopes,
                max_body=self.limits.listing_bytes,
                what=what,
            )

        return await paginate(listing, url, get, lambda r: self._error(r, what, repository))

    def _json_object(self, data: bytes, what: str, repository: str, url: str) -> dict[str, Any]:
        """``data`` as a JSON object, else ``ProtocolError`` saying why (``what`` names it)."""
        try:
            return jsonload.load_object(data)
        except jsonload.JSONRefused as exc:
            raise ProtocolError(
                f"{what} is {exc}", registry=self.name, repository=repository, url=loggable(url)
            ) from None

    def _manifest_url(self, repository: str, reference: str) -> str:
        return f"{self.config.url}/v2/{repository}/manifests/{quote(reference, safe=':')}"

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


def _config_credentials(config: RegistryConfig) -> Credentials:
    if config.auth.password is None:
        return ANONYMOUS
    return Credentials(username=config.auth.username, password=config.auth.password)
