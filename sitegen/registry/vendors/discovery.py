"""Repositories listed through a vendor API where ``/v2/_catalog`` is refused: the
packages of GitHub owners (ghcr.io), the registry repositories of GitLab groups and
projects, the repositories of Docker Hub namespaces and of Harbor projects, as the
registry's ``discover`` key names them (docs/configuration.md#discovery).

Used only when the config lists no ``repositories``; the crawl filters the names with
``include``/``exclude`` as it does ``_catalog``'s. Names are checked like ``_catalog``'s
(anything that is not a repository name is dropped), pages and names are capped by
``limits.listing_pages`` and ``limits.repositories_per_registry``, and any failure is a
``RegistryError`` that fails this registry alone, with a message on its page.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from sitegen.errors import (
    AuthError,
    CatalogUnavailable,
    NotFoundError,
    ProtocolError,
)
from sitegen.registry.vendors import ghcr, gitlab, harbor, hub
from sitegen.registry.vendors.api import ADAPTERS, VendorAPI
from sitegen.registry.vendors.common import Doubt

if TYPE_CHECKING:
    from sitegen.registry.client import RegistrySession

log = logging.getLogger("sitegen.registry")

# What to do when the API refuses or does not know a name.
HINTS = {
    "ghcr": "the token in auth needs the read:packages scope",
    "gitlab": (
        "the token in auth needs the read_api scope (read_registry is not enough); "
        "without a token a private group or project answers 404"
    ),
    "hub": (
        "check the namespace; its private repositories are listed only with the credentials in auth"
    ),
    "harbor": (
        "check the project's name; a private project is listed only for an account in auth "
        "that is a member of it (or a robot account allowed to list its repositories)"
    ),
}


async def discover(session: RegistrySession) -> list[str] | None:
    """The repositories ``discover`` names, in the API's order; None without ``discover``
    (the crawl then lists ``/v2/_catalog``)."""
    config = session.config
    spec = config.discover
    if spec is None or config.repositories is not None:
        return None
    vendor = spec.vendor
    if vendor == "ghcr" and session.credentials.password is None:
        raise CatalogUnavailable(
            "GitHub's packages API lists an owner's packages only with a token "
            "(read:packages): set auth for this registry",
            registry=session.name,
        )
    api = VendorAPI(session, vendor, config.api_url or ADAPTERS[vendor].default_url(config.url))
    most = session.limits.repositories
    found: dict[str, None] = {}
    for kind, name in spec.sources:
        what = f"list the repositories of the {kind} {name} through the {api.label} API"
        limit = (most - len(found), "repositories", "limits.repositories_per_registry")
        try:
            if kind == "owner":  # in lower case, as ghcr.io names the repositories
                owner = name.lower()
                url = ghcr.packages_url(api.api_url, owner, await api.owner_kind(owner))
                names = await api.walk(url, ghcr.packages(owner), what, "", limit)
            elif kind == "namespace":
                url = hub.repositories_url(api.api_url, name)
                names = await api.walk(url, hub.repositories(name), what, "", limit)
            elif vendor == "harbor":
                url = harbor.repositories_url(api.api_url, name)
                names = await api.walk(url, harbor.repositories(name), what, "", limit)
            else:
                url = gitlab.repositories_url(api.api_url, f"{kind}s", name)
                names = await api.walk(url, gitlab.parse, what, "", limit)
        except Doubt as exc:
            raise ProtocolError(str(exc), registry=session.name) from None
        except (AuthError, NotFoundError) as exc:
            raise type(exc)(
                f"{exc.detail}; {HINTS[vendor]}",
                registry=exc.registry,
                url=exc.url,
                status=exc.status,
                code=exc.code,
            ) from None
        found.update(dict.fromkeys(names))
        log.info("%s: %d repositories of the %s %s", session.name, len(names), kind, name)
    return list(found)
