"""The run's one ``httpx.AsyncClient``: pool, TLS per registry, HTTP/2 opt-in, no cookies.

docs/protocol.md item 24: one connection pool for the run, HTTP/1.1 unless a registry opts in to
HTTP/2 (it has caused stream resets and GOAWAY failures in other clients), a CA bundle
or an explicit ``insecure`` switch per registry, and proxies from the environment.
docs/protocol.md item 10: cookies are refused (Harbor sets session and CSRF cookies on registry
and token responses; replaying them is never needed and leaks session state).
"""

from __future__ import annotations

import importlib.util
import os
import ssl
from collections.abc import Mapping, Sequence
from urllib.parse import urlsplit

import httpx

from sitegen import __version__
from sitegen.config import RegistryConfig, tls
from sitegen.errors import ConfigError
from sitegen.registry.network import NetworkTransport

USER_AGENT = f"sitegen/{__version__} (+static registry catalog)"


class _NoCookies(httpx.Cookies):
    """A cookie store that keeps nothing and is never asked to read a response.

    httpx hands every response to the client's cookies, which wrap it and its request
    for the standard library's jar (the request's URL parsed again, its headers copied)
    before the jar even looks: about 4% of a warm crawl's CPU (docs/performance.md, "The
    evening's runs"), for cookies that are never kept."""

    def extract_cookies(self, response: httpx.Response) -> None:
        """Nothing to store."""

    def set_cookie_header(self, request: httpx.Request) -> None:
        """Nothing to send."""


class SharedClient(httpx.AsyncClient):
    """The run's client: httpx's, with cookies refused (docs/protocol.md item 10)."""

    _refused = _NoCookies()

    @property
    def cookies(self) -> httpx.Cookies:
        """Always empty."""
        return self._refused

    @cookies.setter
    def cookies(self, cookies: object) -> None:
        """Nothing is stored."""


def build_http_client(
    registries: Sequence[RegistryConfig],
    transport: httpx.AsyncBaseTransport | None,
    environ: Mapping[str, str] | None = None,
) -> httpx.AsyncClient:
    """The shared client; registries with TLS or HTTP/2 settings get their own transport.

    ``transport`` (tests) replaces every network transport. ``environ`` (default
    ``os.environ``) supplies ``HTTPS_PROXY`` / ``HTTP_PROXY`` / ``NO_PROXY``.
    """
    env = os.environ if environ is None else environ
    total = sum(r.concurrency for r in registries) + 8
    pool = httpx.Limits(max_connections=total, max_keepalive_connections=total)
    mounts: dict[str, httpx.AsyncBaseTransport] = {}
    if transport is None:
        for config in registries:
            if config.http2 and importlib.util.find_spec("h2") is None:
                raise ConfigError(
                    f"registry {config.name!r} sets http2: true, which needs the h2 package "
                    "(pip install 'httpx[http2]'), or remove http2 to use HTTP/1.1"
                )
            proxy = proxy_for(config.url, env)
            if not (
                config.ca_file or config.client_cert or config.insecure or config.http2 or proxy
            ):
                continue
            mounts[f"{config.scheme}://{config.host}"] = _transport(
                _verify(config), pool, environ is None, http2=config.http2, proxy=proxy
            )
        if not _proxied(env) or environ is not None:
            # With proxy variables set and honoured, httpx mounts a proxy per scheme
            # for every host (token services and blob stores too) only around
            # transports it creates itself.
            transport = _transport(True, pool, environ is None)
    timeout = max((r.timeout for r in registries), default=30.0)
    return SharedClient(
        transport=transport,
        mounts=mounts or None,
        limits=pool,
        timeout=httpx.Timeout(timeout),
        follow_redirects=False,  # transport.py follows them by hand (docs/protocol.md item 14)
        headers={"User-Agent": USER_AGENT},
        trust_env=environ is None,
    )


def _transport(
    verify: ssl.SSLContext | bool,
    pool: httpx.Limits,
    trust_env: bool,
    *,
    http2: bool = False,
    proxy: str | None = None,
) -> httpx.AsyncBaseTransport:
    """A direct connection on asyncio's streams (network.py); through a proxy, httpx's own.

    ``trust_env``: the process's ``SSL_CERT_FILE`` / ``SSL_CERT_DIR`` are trusted (when
    ``verify`` is no context of a registry's own). A mounted transport does not read
    proxy variables itself (httpx applies them only to transports it creates), so a
    proxy is handed over explicitly."""
    if proxy is not None:
        return httpx.AsyncHTTPTransport(
            verify=verify, http2=http2, limits=pool, proxy=proxy, trust_env=trust_env
        )
    return NetworkTransport(verify=verify, limits=pool, http2=http2, trust_env=trust_env)


def _proxied(environ: Mapping[str, str]) -> bool:
    """Whether the environment names a proxy (``NO_PROXY`` alone names none)."""
    return any(
        value and name.lower().endswith("_proxy") and name.lower() != "no_proxy"
        for name, value in environ.items()
    )


def _verify(config: RegistryConfig) -> ssl.SSLContext | bool:
    """The TLS settings for one registry: CA bundle, client certificate, or insecure."""
    if config.insecure and config.client_cert is None:
        return False
    if not (config.ca_file or config.client_cert):
        return True
    # The config loader built this once already, so the files were fine then.
    try:
        return tls.context(config.ca_file, config.client_cert, config.client_key, config.insecure)
    except ConfigError as exc:
        raise ConfigError(f"registry {config.name!r}: {exc}") from None


def proxy_for(url: str, environ: Mapping[str, str]) -> str | None:
    """The proxy URL the environment names for ``url``, honouring ``NO_PROXY``.

    The usual rules (curl, Go, httpx): lower- or upper-case names, ``<scheme>_proxy``
    then ``all_proxy``; ``NO_PROXY`` entries match a host or a domain suffix, ``*``
    matches everything.
    """
    parts = urlsplit(url)
    names = {k.lower(): v for k, v in environ.items() if k.lower().endswith("_proxy") and v}
    no_proxy = names.get("no_proxy", "")
    host = (parts.hostname or "").lower()
    for entry in (e.strip().lower() for e in no_proxy.split(",")):
        if not entry:
            continue
        if entry == "*":
            return None
        entry_host = entry.split(":", 1)[0].lstrip(".")
        if host == entry_host or host.endswith("." + entry_host):
            return None
    proxy = names.get(f"{parts.scheme}_proxy") or names.get("all_proxy")
    if proxy and "://" not in proxy:
        proxy = "http://" + proxy
    return proxy or None
