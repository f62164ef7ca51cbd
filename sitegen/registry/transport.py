"""One HTTP exchange with a registry: retries, redirects, size caps, request counts.

This is the only module that sends a request. Everything above it sees :class:`Reply`.

docs/protocol.md items covered here:
13. Retry 429 honouring ``Retry-After`` (seconds or HTTP-date), capped, with jitter;
    retry 408/500/502/503/504, connection resets and EOF with exponential backoff; a
    throttled host slows only itself; never retry other 4xx.
14. Redirects are followed by hand (at most ``Limits.redirects`` hops) so that
    ``Authorization`` (and GitLab's ``PRIVATE-TOKEN``/``JOB-TOKEN``) is dropped on any
    cross-origin hop, an https->http downgrade is refused, and the caller learns whether
    the answer came from another origin (a 401/403 from a CDN is not a registry
    challenge). No ``Location`` is cached.
18. Bodies are read with a cap per kind; a ``Content-Length`` over the cap is rejected
    before reading, an endless body is cut at the cap.
24. Concurrency is bounded per registry (``concurrency``, ``slots.Slots`` per
    ``Transport``); one connection pool for the run (``httpclient.py``).
"""

from __future__ import annotations

import asyncio
import email.utils
import logging
import ssl
import time
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import urljoin, urlsplit

import httpx

from sitegen.config import Limits
from sitegen.errors import ProtocolError, TooLarge, TransportError
from sitegen.registry.clock import Clock
from sitegen.registry.slots import Slots

log = logging.getLogger("sitegen.registry")

RETRY_STATUSES = frozenset({408, 429, 500, 502, 503, 504})
# A TLS connection that ended mid-exchange is a broken connection, not a refusal: retried.
TLS_CLOSED = (ssl.SSLEOFError, ssl.SSLZeroReturnError)
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
# Headers that carry a credential: dropped on a cross-origin hop (GitLab's API takes its
# token in PRIVATE-TOKEN or JOB-TOKEN, not in Authorization).
CREDENTIAL_HEADERS = frozenset({"authorization", "private-token", "job-token"})
KINDS = ("ping", "token", "list", "api", "head", "manifest", "blob", "referrers")


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """How often and how long to retry."""

    attempts: int = 4  # total tries of one request
    base_delay: float = 0.5  # first backoff; doubles per attempt
    max_delay: float = 30.0  # cap of one backoff sleep
    max_retry_after: float = 120.0  # longer Retry-After waits are cut to this


@dataclass
class Stats:
    """Requests sent, by registry and kind, plus what the registries told us about limits."""

    requests: Counter[tuple[str, str]] = field(default_factory=Counter)
    retries: Counter[str] = field(default_factory=Counter)
    bytes_received: int = 0
    rate_limit: dict[str, tuple[int | None, int | None]] = field(default_factory=dict)

    def count(self, kind: str, registry: str | None = None) -> int:
        """Requests of ``kind`` (for one registry, or all)."""
        return sum(
            n for (reg, k), n in self.requests.items() if k == kind and registry in (None, reg)
        )

    def summary(self) -> str:
        """``4 list, 286 HEAD, 3 manifest GET, 2 blob GET`` style text."""
        labels = {
            "ping": "ping",
            "token": "token",
            "list": "list",
            "api": "vendor API",
            "head": "HEAD",
            "manifest": "manifest GET",
            "blob": "blob GET",
            "referrers": "referrers",
        }
        parts = [f"{self.count(k)} {labels[k]}" for k in KINDS if self.count(k)]
        retries = sum(self.retries.values())
        if retries:
            parts.append(f"{retries} retried")
        return ", ".join(parts) or "none"


@dataclass(frozen=True, slots=True)
class Reply:
    """A complete response: status, headers, the (capped) body, and where it came from."""

    status: int
    headers: httpx.Headers
    body: bytes
    url: str
    cross_origin: bool  # True when a redirect took us off the registry's origin


def origin(url: str) -> tuple[str, str]:
    """(scheme, host[:port]) of ``url``, lowercased, default ports made explicit."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    port = parts.port or (443 if parts.scheme == "https" else 80)
    return parts.scheme.lower(), f"{host}:{port}"


def loggable(url: str) -> str:
    """``url`` without its query: presigned CDN URLs carry signatures in the query."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}{parts.path}" + ("?..." if parts.query else "")


class Transport:
    """Sends requests for one registry through the run's shared ``httpx.AsyncClient``."""

    def __init__(
        self,
        client: httpx.AsyncClient,
        *,
        registry: str,
        base_url: str,
        timeout: float,
        concurrency: int,
        stats: Stats,
        retry: RetryPolicy,
        limits: Limits,
        clock: Clock,
    ) -> None:
        self.client = client
        self.registry = registry
        self.base_url = base_url
        self.origin = origin(base_url)
        self._base_path = base_url.rstrip("/") + "/"  # what URLs on the registry start with
        self.timeout = timeout
        self.slots = Slots(concurrency)
        self.stats = stats
        self.retry = retry
        self.limits = limits
        self.clock = clock
        self._not_before: dict[tuple[str, str], float] = {}  # per-host backoff (429)
        self._warnings: set[str] = set()

    async def send(
        self,
        method: str,
        url: str,
        *,
        kind: str,
        headers: Mapping[str, str],
        max_body: int,
        data: Mapping[str, str] | bytes | None = None,
        follow_redirects: bool = True,
        what: str = "",
        repository: str = "",
    ) -> Reply:
        """Send with retries; return the final reply (any status) or raise on transport failure.

        ``data`` is a form, or the bytes of a body whose type ``headers`` gives."""
        idempotent = method in ("GET", "HEAD")
        attempts = max(1, self.retry.attempts)
        for attempt in range(attempts):
            await self._wait_for_host(url)

            async def exchange() -> Reply:
                self.stats.requests[(self.registry, kind)] += 1
                async with asyncio.timeout(self.timeout):
                    return await self._exchange(
                        method, url, headers, max_body, data, follow_redirects, repository
                    )

            try:
                reply = await self.slots.run(exchange)
            except (httpx.TransportError, TimeoutError, ssl.SSLError) as exc:
                # The server's TLS alert (no or wrong client certificate) can surface as a
                # bare ssl.SSLError from inside httpcore rather than an httpx error.
                reason = _describe_transport_error(exc)
                retryable = idempotent or isinstance(exc, httpx.ConnectError)
                tls_problem = _untrusted_certificate(exc) or (
                    _caused_by(exc, ssl.SSLError) and not _caused_by(exc, TLS_CLOSED)
                )
                if attempt + 1 < attempts and retryable and not tls_problem:
                    delay = self._backoff(attempt)
                    log.debug(
                        "%s: %s %s: %s; retry in %.1fs",
                        self.registry,
                        method,
                        loggable(url),
                        reason,
                        delay,
                    )
                    self.stats.retries[self.registry] += 1
                    await self.clock.sleep(delay)
                    continue
                raise TransportError(
                    f"{what or method} failed: {reason}",
                    registry=self.registry,
                    repository=repository,
                    url=loggable(url),
                ) from None
            self._observe(reply)
            if reply.status in RETRY_STATUSES and attempt + 1 < attempts:
                told = self._retry_after(reply) if reply.status in (429, 503) else None
                delay = self._backoff(attempt) if told is None else told
                if reply.status == 429:
                    # Throttling is per host: hold back every request to it, not just this
                    # one (and only to it: other registries and hosts go on).
                    self._not_before[origin(reply.url)] = self.clock.monotonic() + delay
                log.info(
                    "%s: HTTP %d for %s; retry in %.1fs",
                    self.registry,
                    reply.status,
                    loggable(url),
                    delay,
                )
                self.stats.retries[self.registry] += 1
                await self.clock.sleep(delay)
                continue
            return reply
        raise AssertionError("unreachable")  # pragma: no cover - the loop always returns

    async def _exchange(
        self,
        method: str,
        url: str,
        headers: Mapping[str, str],
        max_body: int,
        data: Mapping[str, str] | bytes | None,
        follow_redirects: bool,
        repository: str,
    ) -> Reply:
        outgoing = dict(headers)
        for _hop in range(self.limits.redirects + 1):
            form, content = (None, data) if isinstance(data, bytes) else (data, None)
            request = self.client.build_request(
                method, url, headers=outgoing, data=form, content=content
            )
            started = time.perf_counter()
            response = await self.client.send(request, stream=True)
            try:
                if log.isEnabledFor(logging.DEBUG):  # loggable() parses the URL again
                    log.debug(
                        "%s: %s %s -> %d %s (%.0f ms)",
                        self.registry,
                        method,
                        loggable(url),
                        response.status_code,
                        response.http_version,
                        (time.perf_counter() - started) * 1000,
                    )
                location = response.headers.get("location")
                if follow_redirects and response.status_code in REDIRECT_STATUSES and location:
                    target = urljoin(url, location)
                    self._check_redirect(url, target, repository)
                    if origin(target) != origin(url):
                        # S3 rejects two auth mechanisms; a token sent to a CDN is a leak.
                        for name in [n for n in outgoing if n.lower() in CREDENTIAL_HEADERS]:
                            del outgoing[name]
                    if response.status_code == 303 and method != "HEAD":
                        method, data = "GET", None
                    url = target
                    continue
                cap = max_body if response.status_code < 300 else self.limits.error_bytes
                if method == "HEAD":
                    # A HEAD response has no body, but only reading it to its end lets
                    # the connection be reused: closed unread, it is closed for good,
                    # and the next request pays for a new connection.
                    await response.aread()
                    body = b""
                else:
                    body = await self._read(response, cap, url, repository)
            finally:
                await response.aclose()
            return Reply(
                status=response.status_code,
                headers=response.headers,
                body=body,
                url=url,
                cross_origin=not self._same_origin(url),
            )
        raise ProtocolError(
            f"more than {self.limits.redirects} redirects",
            registry=self.registry,
            repository=repository,
            url=loggable(url),
        )

    def _check_redirect(self, source: str, target: str, repository: str) -> None:
        scheme = urlsplit(target).scheme.lower()
        if scheme not in ("http", "https"):
            raise ProtocolError(
                f"redirect to a non-HTTP URL ({scheme}:)",
                registry=self.registry,
                repository=repository,
                url=loggable(source),
            )
        if scheme == "http" and urlsplit(source).scheme.lower() == "https":
            raise ProtocolError(
                "refused a redirect from https to plain http",
                registry=self.registry,
                repository=repository,
                url=loggable(target),
            )

    async def _read(self, response: httpx.Response, cap: int, url: str, repository: str) -> bytes:
        declared = response.headers.get("content-length", "")
        too_large = TooLarge(
            f"response body is larger than the {cap}-byte limit",
            registry=self.registry,
            repository=repository,
            url=loggable(url),
        )
        if declared.isdigit() and int(declared) > cap:
            if response.status_code >= 300:
                return b""  # an oversized error body: keep the status, drop the text
            raise too_large
        chunks: list[bytes] = []
        size = 0
        async for chunk in response.aiter_bytes():
            size += len(chunk)
            if size > cap:
                if response.status_code >= 300:
                    break
                raise too_large
            chunks.append(chunk)
        self.stats.bytes_received += size
        return b"".join(chunks)

    def _same_origin(self, url: str) -> bool:
        """Whether ``url`` is on the registry's origin; most are under its base URL,
        which says so without parsing them."""
        return url.startswith(self._base_path) or origin(url) == self.origin

    async def _wait_for_host(self, url: str) -> None:
        if not self._not_before:
            return  # no host has throttled us: no URL to parse
        not_before = self._not_before.get(origin(url))
        if not_before is not None:
            delay = not_before - self.clock.monotonic()
            if delay > 0:
                await self.clock.sleep(delay)

    def _backoff(self, attempt: int) -> float:
        """Exponential backoff with full jitter in [delay/2, delay]."""
        delay: float = min(self.retry.max_delay, self.retry.base_delay * 2.0**attempt)
        return delay / 2 + self.clock.jitter() * delay / 2

    def _retry_after(self, reply: Reply) -> float | None:
        """``Retry-After`` as seconds or an HTTP-date, capped; None when absent or unreadable."""
        value = reply.headers.get("retry-after", "").strip()
        if not value:
            return None
        if value.isdigit():
            seconds = float(value)
        else:
            try:
                when = email.utils.parsedate_to_datetime(value)
            except (TypeError, ValueError):
                return None
            if when.tzinfo is None:
                return None
            seconds = when.timestamp() - self.clock.wall()
        seconds = max(0.0, min(seconds, self.retry.max_retry_after))
        # A little jitter so that many waiting requests do not return in lockstep.
        return seconds + self.clock.jitter() * min(1.0, self.retry.base_delay)

    def _observe(self, reply: Reply) -> None:
        """Record rate-limit headers and surface ``Warning: 299`` once per text."""
        if reply.cross_origin:
            return
        remaining = _leading_int(reply.headers.get("ratelimit-remaining"))
        limit = _leading_int(reply.headers.get("ratelimit-limit"))
        if remaining is not None or limit is not None:
            self.stats.rate_limit[self.registry] = (remaining, limit)
        for warning in reply.headers.get_list("warning"):
            code, _, rest = warning.strip().partition(" ")
            if code != "299":
                continue
            text = rest.partition(" ")[2].strip().strip('"')[:300]
            if text and text not in self._warnings:
                self._warnings.add(text)
                log.warning("%s: registry warning: %s", self.registry, _printable(text))


def _leading_int(value: str | None) -> int | None:
    """``76;w=21600`` -> 76."""
    if not value:
        return None
    head = value.split(";", 1)[0].split(",", 1)[0].strip()
    return int(head) if head.isdigit() else None


def _caused_by(
    exc: BaseException, kind: type[BaseException] | tuple[type[BaseException], ...]
) -> bool:
    """Whether ``kind`` is ``exc`` or sits a few causes down its chain (where httpcore and
    the network layer leave the ssl error). A TLS failure is not transient: no retry."""
    seen: BaseException | None = exc
    for _ in range(5):
        if seen is None:
            break
        if isinstance(seen, kind):
            return True
        seen = seen.__cause__ or seen.__context__
    return False


def _untrusted_certificate(exc: BaseException) -> bool:
    """True when TLS verification failed."""
    return _caused_by(exc, ssl.SSLCertVerificationError) or "CERTIFICATE_VERIFY_FAILED" in str(exc)


def _describe_transport_error(exc: BaseException) -> str:
    if isinstance(exc, TimeoutError | httpx.TimeoutException):
        return "timed out"
    if _untrusted_certificate(exc):
        detail = str(exc).partition("certificate verify failed:")[2].partition("(")[0].strip()
        return (
            f"TLS certificate not trusted ({_printable(detail) or 'verification failed'}); "
            "set ca_file to the CA that signed it, or insecure: true for this registry"
        )
    if _caused_by(exc, ssl.SSLError) or "alert" in str(exc).lower():
        return (
            f"the registry refused the TLS connection ({_printable(str(exc))}); if it wants "
            "a client certificate, set client_cert (and client_key) for this registry"
        )
    if isinstance(exc, httpx.ConnectError):
        return f"cannot connect: {_printable(str(exc)) or 'connection refused'}"
    if isinstance(exc, httpx.RemoteProtocolError):
        return "the connection broke (server closed it or sent invalid HTTP)"
    if isinstance(exc, httpx.ReadError):
        return "the connection was reset while reading"
    return _printable(str(exc)) or type(exc).__name__


def _printable(text: str) -> str:
    """Text from outside, made safe for one log line."""
    return "".join(c if c.isprintable() else " " for c in text)[:300]
