"""Which vendor API a registry has (``detect``), and its listing paged through with the
registry session's transport and credentials (``VendorAPI``).

Detection sends nothing of its own: it reads the configuration and the challenge of
the ping every crawl sends anyway, so a registry that is not recognised costs exactly
what it did before (docs/configuration.md#vendor-apis).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from types import ModuleType
from typing import TYPE_CHECKING, TypeVar
from urllib.parse import quote, urlsplit

import httpx

from sitegen.config import RegistryConfig
from sitegen.errors import RegistryError
from sitegen.oci import jsonload
from sitegen.oci.references import is_docker_hub
from sitegen.registry.auth import Scope
from sitegen.registry.challenge import Challenge
from sitegen.registry.errorbody import error_for
from sitegen.registry.flight import SingleFlight
from sitegen.registry.transport import Reply, loggable, origin
from sitegen.registry.vendors import acr, ghcr, gitlab, harbor, hub, quay
from sitegen.registry.vendors.common import Doubt, ListedTag, Page, merged

if TYPE_CHECKING:
    from sitegen.registry.client import RegistrySession

log = logging.getLogger("sitegen.registry")

ADAPTERS: dict[str, ModuleType] = {
    "harbor": harbor,
    "hub": hub,
    "quay": quay,
    "ghcr": ghcr,
    "acr": acr,
    "gitlab": gitlab,  # discovery only
}
LABELS = {
    "harbor": "Harbor",
    "hub": "Docker Hub",
    "quay": "Quay",
    "ghcr": "GitHub Packages",
    "acr": "Azure Container Registry",
    "gitlab": "GitLab",
}
T = TypeVar("T")


def detect(config: RegistryConfig, challenge: Challenge | None) -> tuple[str | None, str]:
    """(the vendor whose API to use or None, how that was decided - for the log).

    ``auto`` recognises Docker Hub, ghcr.io, quay.io and ``*.azurecr.io`` by their hosts,
    Harbor by its token service (``service="harbor-registry"`` or a realm at
    ``/service/token``, or a Basic challenge with ``realm="harbor"``), and GitLab by its
    (``/jwt/auth`` realm, ``service="container_registry"``), whose API lists no digests.
    """
    if config.api == "none":
        return None, "api: none"
    if config.api != "auto":
        return config.api, f"api: {config.api}"
    host = config.host.rpartition(":")[0] if config.host.count(":") == 1 else config.host
    if is_docker_hub(config.host):
        return "hub", "Docker Hub's host"
    if host in ("ghcr.io", "quay.io"):
        return ("ghcr" if host == "ghcr.io" else "quay"), f"the host {host}"
    if host.endswith(".azurecr.io"):
        return "acr", f"the host {host}"
    if challenge is None:
        return None, "no vendor recognised (anonymous ping)"
    realm = urlsplit(challenge.realm).path
    if challenge.scheme == "bearer" and (
        challenge.service == "harbor-registry" or realm == "/service/token"
    ):
        return "harbor", "its token service (Harbor's)"
    if challenge.scheme == "basic" and challenge.realm == "harbor":
        return "harbor", "its Basic challenge (realm harbor)"
    if challenge.service == "container_registry" and realm.endswith("/jwt/auth"):
        return None, "GitLab recognised, whose API lists tags without digests"
    return None, "no vendor recognised"


class VendorAPI:
    """One registry's vendor API: tags with digests, page after page, within the limits."""

    def __init__(self, session: RegistrySession, vendor: str, api_url: str) -> None:
        self.session = session
        self.vendor = vendor
        self.label = LABELS[vendor]
        self.adapter = ADAPTERS[vendor]
        self.api_url = api_url
        self.origin = origin(api_url)
        self._jwt: SingleFlight[None, str | None] = SingleFlight(keep=True)
        self._owners: SingleFlight[str, str] = SingleFlight(keep=True)

    @classmethod
    async def open(cls, session: RegistrySession) -> tuple[VendorAPI | None, str]:
        """The registry's vendor API, if it has one we may use, and why (or why not)."""
        config = session.config
        if config.api == "none":
            return None, "api: none"
        ping = await session.ping()  # sent once per registry, by the login already
        vendor, why = detect(config, ping.challenge)
        if vendor is None:
            return None, why
        if vendor == "gitlab":
            return None, f"{why}; GitLab's API lists tags without digests"
        if vendor == "ghcr" and session.credentials.password is None:
            return None, f"{why}; GitHub's packages API needs a token, and there is none"
        url = config.api_url or ADAPTERS[vendor].default_url(config.url)
        if vendor == "acr" and origin(url) != origin(config.url):
            # ACR's API takes the registry's own token: it goes to the registry's host only.
            return None, f"{why}; an ACR api_url must be on the registry's host"
        return cls(session, vendor, url), why

    async def tags(self, repository: str) -> dict[str, ListedTag]:
        """Tag -> (digest, push time) for every tag of ``repository``, in the API's order.

        ``Doubt`` when the listing cannot be trusted whole; ``RegistryError`` when the API
        refuses (``AuthError`` for 401/403: the same for every repository).
        """
        what = f"list tags through the {self.label} API"
        if self.vendor == "ghcr":
            kind = await self.owner_kind(ghcr.owner(repository), repository)
            url = ghcr.first_url(self.api_url, repository, kind)
        else:
            url = self.adapter.first_url(self.api_url, repository)
        limit = (self.session.limits.tags, "tags", "limits.tags_per_repository")
        found = await self.walk(url, self.adapter.parse, what, repository, limit)
        return merged([tuple(found)], what)

    async def walk(
        self,
        url: str,
        parse: Callable[[bytes, httpx.Headers, str, str], Page[T]],
        what: str,
        repository: str,
        limit: tuple[int, str, str],
    ) -> list[T]:
        """The items of every page from ``url`` on, each page read with ``parse``;
        ``limit`` is (most items, what they are, the setting), for the doubt past it."""
        most, noun, setting = limit
        pages = self.session.limits.pages
        headers = await self._headers()
        found: list[T] = []
        visited: set[str] = set()
        next_url: str | None = url
        while next_url is not None:
            if len(visited) >= pages or len(found) > most:
                raise Doubt(
                    f"{what}: stopped at the limit ({len(visited)} pages, {len(found)} {noun}; "
                    f"limits.listing_pages, {setting})"
                )
            if origin(next_url) != self.origin:
                raise Doubt(f"{what}: the next page is on another host ({loggable(next_url)})")
            if next_url in visited:
                raise Doubt(f"{what}: a next page that was read before")
            visited.add(next_url)
            reply = await self._get(next_url, headers, repository, what)
            page = parse(reply.body, reply.headers, reply.url, what)
            if page.entries == 0 and page.next_url is not None:
                raise Doubt(f"{what}: an empty page that names a next one")
            found.extend(page.items)
            next_url = page.next_url
        if len(found) > most:
            raise Doubt(f"{what}: more than {most} {noun} ({setting})")
        return found

    async def _get(self, url: str, headers: dict[str, str], repository: str, what: str) -> Reply:
        if self.vendor == "acr":
            # ACR's API takes the registry's own token, for its own scope.
            ping = await self.session.ping()
            reply = await self.session.auth.send(
                "GET",
                url,
                ping=ping.challenge,
                kind="api",
                repository=repository,
                what=what,
                max_body=self.session.limits.listing_bytes,
                scopes=(Scope.repository(repository, acr.SCOPE_ACTION),),
                accept="application/json",
            )
        else:
            reply = await self.session.transport.send(
                "GET",
                url,
                kind="api",
                headers=headers,
                max_body=self.session.limits.listing_bytes,
                what=what,
                repository=repository,
            )
        if origin(reply.url) != self.origin:
            raise Doubt(f"{what}: redirected to another host ({loggable(reply.url)})")
        if reply.status != 200:
            raise self._error(reply, what, repository)
        return reply

    async def _headers(self) -> dict[str, str]:
        """What every request carries: the credentials as this vendor's API wants them."""
        creds = self.session.credentials
        headers = {"Accept": "application/json"}
        if self.vendor == "harbor" and (basic := creds.basic_header()):
            headers["Authorization"] = basic
        elif self.vendor == "hub" and (jwt := await self._jwt.run(None, self._hub_login)):
            headers["Authorization"] = f"Bearer {jwt}"
        elif self.vendor == "ghcr" and creds.password is not None:
            headers["Authorization"] = f"Bearer {creds.password.reveal()}"
            headers["Accept"] = ghcr.ACCEPT
        elif self.vendor == "gitlab" and creds.password is not None:
            headers[gitlab.token_header(creds.username)] = creds.password.reveal()
        return headers

    async def _hub_login(self) -> str | None:
        """A JWT for Docker Hub's API from the registry's credentials; None without any."""
        creds = self.session.credentials
        if creds.password is None or not creds.username:
            return None
        what = "log in to the Docker Hub API"
        body = {"username": creds.username, "password": creds.password.reveal()}
        reply = await self.session.transport.send(
            "POST",
            hub.login_url(self.api_url),
            kind="api",
            headers={"Content-Type": "application/json", "Accept": "application/json"},
            data=json.dumps(body).encode(),
            max_body=self.session.limits.token_bytes,
            follow_redirects=False,  # the body holds the password: it goes nowhere else
            what=what,
        )
        if reply.status != 200:
            raise self._error(reply, what, "")
        try:
            token = jsonload.load_object(reply.body).get("token")
        except jsonload.JSONRefused as exc:
            raise Doubt(f"{what}: the answer is {exc}") from None
        if not isinstance(token, str) or not token:
            raise Doubt(f"{what}: the answer holds no token")
        self.session.redact.add(token)
        return token

    async def owner_kind(self, name: str, repository: str = "") -> str:
        """``orgs`` or ``users``: whether a GitHub owner is an organisation (asked once
        per owner and run: ``GET /orgs/{owner}`` answers 404 for a user)."""
        return await self._owners.run(name, lambda: self._owner(name, repository))

    async def _owner(self, name: str, repository: str) -> str:
        reply = await self.session.transport.send(
            "GET",
            f"{self.api_url}/orgs/{quote(name, safe='')}",
            kind="api",
            headers=await self._headers(),
            max_body=self.session.limits.error_bytes,
            what="ask GitHub whether the owner is an organisation",
            repository=repository,
        )
        if reply.status == 404:
            return "users"
        if reply.status != 200:
            raise self._error(reply, "ask GitHub about the package's owner", repository)
        return "orgs"

    def _error(self, reply: Reply, what: str, repository: str) -> RegistryError:
        return error_for(
            reply.status,
            reply.body,
            what=what,
            registry=self.session.name,
            repository=repository,
            url=loggable(reply.url),
            redact=self.session.redact,
        )
