"""``sitegen check``: what each registry allows, asked through the same client the
build uses. Writes nothing; the CLI prints the lines."""

from __future__ import annotations

import asyncio
import os
import time

from sitegen.config import Config, RegistryConfig
from sitegen.errors import CatalogUnavailable, CredentialsRefused, RegistryError
from sitegen.registry.client import RegistryClient, RegistrySession
from sitegen.registry.credentials import resolve_credentials
from sitegen.registry.vendors.api import LABELS, detect


async def check_registries(config: Config) -> tuple[bool, list[str]]:
    """(every registry fine, the report's lines): per registry whether it answers, the
    auth it asks for, as whom we connect, the vendor listing API a build would use (when
    one is recognised or configured), whether the credentials are accepted, the
    catalog, the tag count of each listed repository and the rate limit left."""
    credentials = {r.name: resolve_credentials(r, os.environ) for r in config.registries}
    async with RegistryClient(config.registries, credentials=credentials) as client:
        results = await asyncio.gather(*(_check_one(client[r.name], r) for r in config.registries))
        for registry in config.registries:
            remaining, limit = client.stats.rate_limit.get(registry.name, (None, None))
            if remaining is not None:
                results[config.registries.index(registry)][1].append(
                    f"  rate limit: {remaining}" + (f" of {limit}" if limit else "") + " remaining"
                )
    lines = [line for _, report in results for line in report]
    return all(ok for ok, _ in results), lines


async def _check_one(session: RegistrySession, registry: RegistryConfig) -> tuple[bool, list[str]]:
    lines = [f"{registry.name}: {registry.url}"]
    started = time.perf_counter()
    try:
        ping = await session.ping()
    except RegistryError as exc:
        lines.append(f"  reachable: no: {exc.detail}")
        return False, lines
    lines.append(
        f"  reachable: yes (GET /v2/ answered {ping.status} in "
        f"{(time.perf_counter() - started) * 1000:.0f} ms)"
    )
    creds = session.credentials
    if creds.anonymous:
        who = "anonymously"
    else:
        user = f"as user {creds.username}" if creds.username else "with an identity token"
        who = f"{user} (credentials from {creds.source})"
    if ping.challenge is None:
        lines.append(f"  auth: none required; connecting {who}")
    else:
        detail = ping.challenge.scheme.capitalize()
        if ping.challenge.realm and ping.challenge.scheme == "bearer":
            detail += f" token from {ping.challenge.realm}"
        lines.append(f"  auth: {detail}; connecting {who}")
    vendor, why = detect(registry, ping.challenge)  # no request: the ping's challenge
    if vendor is not None:
        lines.append(f"  vendor API: {LABELS[vendor]}, tags with their digests ({why})")
    try:
        await session.login()
    except CredentialsRefused as exc:
        lines.append(f"  credentials: refused: {exc.detail}")
        return False, lines
    except RegistryError as exc:
        lines.append(f"  credentials: could not be checked: {exc.detail}")
    else:
        if not creds.anonymous and ping.challenge is not None:
            lines.append("  credentials: accepted")
    ok = True
    try:
        names = await session.catalog()
        lines.append(f"  catalog: available, {len(names)} repositories")
    except CatalogUnavailable as exc:
        lines.append(f"  catalog: not available ({exc.status or exc.code or 'refused'})")
        names = []
        if registry.repositories is None:
            lines.append(
                "    list repositories in the config: this registry does not let us discover them"
            )
            ok = False
    except RegistryError as exc:
        lines.append(f"  catalog: error: {exc.detail}")
        names = []
        ok = registry.repositories is not None
    if registry.repositories is not None:
        for repo in registry.repositories:
            try:
                tags = await session.tags(repo.name)
                lines.append(f"  {repo.name}: {len(tags)} tags")
            except RegistryError as exc:
                lines.append(f"  {repo.name}: error: {exc.detail}")
                ok = False
    return ok, lines
