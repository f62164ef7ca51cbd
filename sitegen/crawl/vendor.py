"""Tags with their digests from a vendor's listing API, for one registry and one build,
trusted only after a sample of them agrees with the registry itself.

Each repository's listing is read once (``VendorListings.tags``); any doubt about it -
an API error, a tag without a valid digest, a page cap - sends that repository back to
``tags/list`` and a HEAD per tag. Before any listing is used, ``SAMPLE`` listed tags
are HEADed (repositories listed one at a time, in an order and with tags chosen anew by
every build and the same for the same build time) and the digests compared; a
disagreement, an API that refuses our credentials, or one that fails for the first
repositories asked sends the whole registry back to HEADs for this build, with the
reason in the log (docs/protocol.md, "Vendor listing APIs").
"""

from __future__ import annotations

import asyncio
import hashlib
import logging

from sitegen.crawl.context import CrawlContext
from sitegen.errors import AuthError, RegistryError
from sitegen.registry.client import ManifestHead, RegistrySession
from sitegen.registry.flight import SingleFlight
from sitegen.registry.vendors import Doubt, ListedTag, VendorAPI

log = logging.getLogger("sitegen.crawl")

SAMPLE = 2  # tags HEADed per registry and build to check the API against the registry
# API errors before any listing worked, after which the registry stops asking: an API
# that is not there (a Harbor too old for /api/v2.0) costs a few requests, not one per
# repository and build.
FAILURES_BEFORE_OFF = 3
CHECK_TRIES = 10  # repositories the check lists, one after another, to find its sample


class VendorListings:
    """One registry's vendor listings in one build, checked against a sample of HEADs."""

    def __init__(self, session: RegistrySession, ctx: CrawlContext, repositories: list[str]):
        self.session = session
        self.ctx = ctx
        self.registry = session.name
        # The order in which repositories are offered for the sample: a new one each
        # build (the seed is the build's time), the same for the same build time.
        self.order = sorted(repositories, key=self._rank)
        self.off: str | None = None  # why this registry uses HEADs in this build
        self._listed = 0  # listings read in this build
        self._failed = 0  # API errors before the first listing was read
        self._api: SingleFlight[None, VendorAPI | None] = SingleFlight(keep=True)
        self._listings: SingleFlight[str, dict[str, ListedTag] | None] = SingleFlight(keep=True)
        self._checked: SingleFlight[None, bool] = SingleFlight(keep=True)

    async def tags(self, repository: str) -> dict[str, ListedTag] | None:
        """The repository's tags with digests, or None: list them with ``tags/list``."""
        if self.session.config.api == "none" or await self._api.run(None, self._open) is None:
            return None
        # The check lists repositories one at a time, so an API that fails (or is not
        # there) is found out after a few requests, before every repository asks it.
        if not await self._checked.run(None, self._check):
            return None
        return await self._listing(repository)

    async def _listing(self, repository: str) -> dict[str, ListedTag] | None:
        """The repository's listing, read once in this build (the sample check and the
        repository's crawl share it)."""
        return await self._listings.run(repository, lambda: self._list(repository))

    async def _open(self) -> VendorAPI | None:
        try:
            api, why = await VendorAPI.open(self.session)
        except RegistryError as exc:  # the ping failed: the crawl says so elsewhere
            log.debug("%s: no vendor API: %s", self.registry, exc)
            return None
        if api is None:
            log.debug("%s: tags from tags/list and a HEAD per tag (%s)", self.registry, why)
        else:
            log.info("%s: tags with digests from the %s API (%s)", self.registry, api.label, why)
        return api

    async def _list(self, repository: str) -> dict[str, ListedTag] | None:
        api = await self._api.run(None, self._open)
        if api is None or self.off is not None:
            return None
        try:
            found = await api.tags(repository)
        except Doubt as exc:
            self._say(logging.INFO, f"{repository}: {exc}; listing with tags/list and HEADs")
        except AuthError as exc:
            self._off(f"the {api.label} API refused our access ({exc.detail})")
        except RegistryError as exc:
            self._say(logging.INFO, f"{repository}: {exc.detail}; listing with tags/list and HEADs")
            self._failed += not self._listed
            if self._failed >= FAILURES_BEFORE_OFF:
                self._off(
                    f"the {api.label} API failed for {self._failed} repositories, none listed"
                )
        else:
            self._listed += 1
            return found
        return None

    async def _check(self) -> bool:
        """HEAD ``SAMPLE`` listed tags, taken from the repositories in this build's order,
        and compare; False (the registry falls back) on any disagreement, or when none of
        the first ``CHECK_TRIES`` repositories has a listed tag to check."""
        checked = 0
        for repository in self.order[:CHECK_TRIES]:
            if self.off is not None:
                return False
            listing = await self._listing(repository)
            if not listing:
                continue
            ranked = sorted(listing, key=lambda tag: self._rank(repository, tag))
            sample = ranked[: SAMPLE - checked]
            heads = await asyncio.gather(
                *(self.session.head_manifest(repository, tag) for tag in sample),
                return_exceptions=True,
            )
            for tag, head in zip(sample, heads, strict=True):
                if problem := _disagreement(repository, tag, listing[tag].digest, head):
                    self._off(problem)
                    return False
            checked += len(sample)
            if checked >= SAMPLE:
                break
        return checked > 0

    def _off(self, why: str) -> None:
        if self.off is None:
            self.off = why
            self._say(logging.WARNING, f"{why}; a HEAD per tag for this registry in this build")

    def _say(self, level: int, message: str) -> None:
        log.log(level, "%s: %s", self.registry, self.ctx.masker.message(message))

    def _rank(self, *names: str) -> str:
        return hashlib.sha256("\0".join((self.ctx.now, self.registry, *names)).encode()).hexdigest()


def _disagreement(
    repository: str, tag: str, listed: str, head: ManifestHead | BaseException
) -> str:
    """Why a HEAD does not confirm the listed digest; "" when it does."""
    if isinstance(head, RegistryError):
        return f"checking {repository}:{tag} failed ({head.detail})"
    if isinstance(head, BaseException):
        raise head
    if head.digest is None:
        return f"a HEAD of {repository}:{tag} gave no digest to compare"
    if head.digest != listed:
        return (
            f"the API lists {repository}:{tag} at {listed[:19]}, the registry at {head.digest[:19]}"
        )
    return ""
