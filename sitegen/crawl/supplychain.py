"""The documents supply-chain artifacts are made of, read for one repository.

A signature, SBOM or attestation is a manifest (found through a cosign
``sha256-<hex>.sig``/``.att``/``.sbom`` tag, the referrers API or the referrers tag) and
sometimes a few small blobs (a notation envelope, an in-toto statement, an SBOM).
``SupplyChainReader`` fetches each of them once per digest, through the run's one
client, from the content-addressed cache when it has them, and never one larger than
``limits.supply_chain_bytes`` (an SBOM layer: ``limits.sbom_bytes``, syft writes tens of
megabytes): a bigger one is skipped, and the referrer says so in its ``note``. An SBOM's
document, masked, goes into the cache under its own digest, for the site to offer as a
download without a request. What the documents mean is read in ``sitegen.oci`` (``oci.signatures``,
``oci.provenance``, ``oci.sbom``, ``oci.vulnerabilities``, ``oci.vex``), which masks and
cuts every string it takes out.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from sitegen.crawl.context import CrawlContext, reason
from sitegen.errors import ProtocolError, RegistryError, TooLarge
from sitegen.model import Attestation
from sitegen.oci import jsonload, kinds, mediatypes, provenance, sbom, signatures, vulnerabilities
from sitegen.registry.client import RegistrySession
from sitegen.registry.flight import SingleFlight
from sitegen.supplychain_model import (
    Provenance,
    Referrer,
    Sbom,
    Signature,
    Vex,
    VulnerabilityReport,
)

log = logging.getLogger("sitegen.crawl")

LIMIT_KEY = "limits.supply_chain_bytes"
SBOM_LIMIT_KEY = "limits.sbom_bytes"
BUNDLE_CONTENT = "dev.sigstore.bundle.content"  # "message-signature" or "dsse-envelope"
BUNDLE_PREDICATE = "dev.sigstore.bundle.predicateType"


class Skipped(Exception):
    """A document not read, and why, in words for the page."""


@dataclass(frozen=True, slots=True)
class Document:
    """A supply-chain manifest, verified against its digest, parsed but not masked:
    parsers in ``sitegen.oci`` mask what they take out of it."""

    digest: str
    media_type: str
    size: int
    document: Mapping[str, Any]


# The vulnerability reports and the VEX documents of a manifest.
Scans = tuple[tuple[VulnerabilityReport, ...], tuple[Vex, ...]]

# Called for a document that could not be fetched: (cause, the error, the digest).
Report = Callable[[str, RegistryError, str], None]


class SupplyChainReader:
    """Reads one repository's supply-chain documents, each digest once."""

    def __init__(
        self,
        session: RegistrySession | None,
        registry: str,
        repository: str,
        ctx: CrawlContext,
        report: Report,
    ) -> None:
        """``session`` None: nowhere to ask (a registry that failed); the cache alone."""
        self.session = session
        self.registry = registry
        self.name = repository
        self.ctx = ctx
        self.cap = ctx.supply_chain_cap
        self.sbom_cap = ctx.sbom_cap
        self.report = report
        # Tag -> digest from a vendor listing: a cosign tag named there needs no HEAD.
        self.listed: Mapping[str, str] = {}
        self._manifests: SingleFlight[str, Document] = SingleFlight(keep=True)
        self._blobs: SingleFlight[tuple[str, int], bytes] = SingleFlight(keep=True)

    # -- documents ----------------------------------------------------------------------

    async def manifest(self, digest: str, size: int | None = None) -> Document:
        """The manifest ``digest`` (``size`` from its descriptor or HEAD, when known).
        ``Skipped`` over the cap; ``RegistryError`` when it cannot be fetched."""
        self._check(size)
        return await self._manifests.run(digest, lambda: self._manifest(digest))

    async def blob(self, digest: str, size: int | None = None, *, sbom: bool = False) -> bytes:
        """A blob of a supply-chain manifest (its descriptor's ``size``), capped alike;
        an SBOM layer (``sbom``) by ``limits.sbom_bytes``."""
        cap, key = (self.sbom_cap, SBOM_LIMIT_KEY) if sbom else (self.cap, LIMIT_KEY)
        self._check(size, cap, key)
        return await self._blobs.run((digest, cap), lambda: self._blob(digest, cap, key))

    def _check(self, size: int | None, cap: int | None = None, key: str = LIMIT_KEY) -> None:
        cap = self.cap if cap is None else cap
        if size is not None and size > cap:
            raise Skipped(f"not read: {size:,} bytes, over the {cap:,}-byte {key}")

    async def _manifest(self, digest: str) -> Document:
        data = self.ctx.cache.get(digest)
        if data is None:
            session = self._online()

            async def fetch() -> bytes:
                try:
                    raw = await session.manifest(self.name, digest, max_bytes=self.cap)
                except TooLarge:
                    raise Skipped(f"not read: over the {self.cap:,}-byte {LIMIT_KEY}") from None
                self.ctx.cache.put(digest, raw.data, verified=True)
                return raw.data

            data = await self.ctx.shared(digest, fetch, session.name)
        self._check(len(data))  # a cache filled with a higher cap
        try:
            document = jsonload.load_object(data)
        except jsonload.JSONRefused as exc:
            raise ProtocolError(
                f"manifest {digest[:19]}: {exc}", registry=self.registry, repository=self.name
            ) from None
        media_type, _ = mediatypes.resolve_media_type(None, document)
        return Document(digest=digest, media_type=media_type, size=len(data), document=document)

    async def _blob(self, digest: str, cap: int, key: str) -> bytes:
        data = self.ctx.cache.get(digest)
        if data is None:
            session = self._online()

            async def fetch() -> bytes:
                try:
                    found = await session.blob(self.name, digest, max_bytes=cap)
                except TooLarge:
                    raise Skipped(f"not read: over the {cap:,}-byte {key}") from None
                self.ctx.cache.put(digest, found, verified=True)
                return found

            # Shared by digest and cap: a layer read as provenance (the smaller cap) and
            # as an SBOM is fetched again only if the first fetch was refused.
            data = await self.ctx.shared(f"{digest} {cap}", fetch, session.name)
        self._check(len(data), cap, key)  # a cache filled with a higher cap
        return data

    def _online(self) -> RegistrySession:
        if self.session is None:
            raise Skipped("not read: not in the cache, and the registry could not be asked")
        return self.session

    # -- referrers ----------------------------------------------------------------------

    async def read(self, referrer: Referrer) -> Referrer:
        """``referrer`` with what its documents say: a cosign tag resolved to its digest
        (a HEAD), its types from its manifest, a signature's claims; or a ``note``."""
        digest, size = referrer.digest, referrer.size or None
        try:
            if not digest:
                digest, size = await self._resolve(referrer.tag)
            found = await self.manifest(digest, size)
            # Who signed (a signature, or the signer of an attestation), and what an
            # attestation says; a manifest holds what its layers hold, whatever its tag
            # or descriptor called it. Layers of neither kind are not fetched.
            envelopes = await self._envelopes(found.document)
            claims = signatures.read(found.document, envelopes, self.ctx.masker)
            built = await self.provenance(found.document)
            inside = await self.sboms(found.document)
            scans = await self.vulnerabilities(found.document, sniff=True)
        except Skipped as exc:
            return dataclasses.replace(referrer, digest=digest, note=str(exc))
        except RegistryError as exc:
            cause = f"{referrer.kind} could not be read: {reason(exc)}"
            self.report(cause, exc, digest)
            return dataclasses.replace(referrer, digest=digest, note=self.ctx.masker.message(cause))
        document = found.document
        artifact_type = _text(document.get("artifactType")) or _config_type(document)
        mask = self.ctx.masker.text
        kind = referrer.kind
        layer_types = _layer_types(document)
        if kind == "artifact" or signatures.is_notation(document):
            kind = kinds.supply_chain_kind(artifact_type, *layer_types) or kind
        if any(signatures.is_bundle(t) for t in layer_types):
            kind = _bundle_kind(document, claims)
        if kind == "artifact" and any(r.format for r in scans[0]):
            kind = "vulnerability-report"  # a plain JSON layer that holds a report
        elif kind == "artifact" and any(v.format for v in scans[1]):
            kind = "vex"
        return dataclasses.replace(
            referrer,
            digest=found.digest,
            kind=kind,
            artifact_type=mask(artifact_type)[: signatures.MAX_TEXT],
            media_type=found.media_type,
            size=found.size,
            signatures=claims,
            provenance=built,
            sboms=inside,
            vulnerabilities=scans[0],
            vex=scans[1],
        )

    async def attestation(self, attestation: Attestation) -> Attestation:
        """A BuildKit attestation manifest of an index with the provenance its in-toto
        layers hold (its manifest was read by the loader: from the cache here)."""
        digest = attestation.descriptor.digest
        try:
            found = await self.manifest(digest, attestation.descriptor.size or None)
            built = await self.provenance(found.document)
            inside = await self.sboms(found.document)
            reports, vex = await self.vulnerabilities(found.document, sniff=False)
        except Skipped as exc:
            return dataclasses.replace(attestation, note=str(exc))
        except RegistryError as exc:
            cause = f"attestation could not be read: {reason(exc)}"
            self.report(cause, exc, digest)
            return dataclasses.replace(attestation, note=self.ctx.masker.message(cause))
        return dataclasses.replace(
            attestation, provenance=built, sboms=inside, vulnerabilities=reports, vex=vex
        )

    async def provenance(self, document: Mapping[str, Any]) -> tuple[Provenance, ...]:
        """The SLSA provenance in a manifest's in-toto, DSSE or sigstore bundle layers;
        a layer that is not read (over the cap, unreadable) gives a ``note``."""
        layers = provenance.statement_layers(document)

        async def one(media_type: str, digest: str, size: int) -> Provenance | None:
            data = await self._layer(digest, size, "provenance")
            if isinstance(data, str):
                return Provenance("", document=digest, note=data)
            return provenance.read(data, media_type, digest, self.ctx.masker)

        found = await asyncio.gather(*(one(m, d, s) for m, d, s, _ in layers))
        return tuple(p for p in found if p is not None)

    async def sboms(self, document: Mapping[str, Any]) -> tuple[Sbom, ...]:
        """The SPDX and CycloneDX documents in a manifest's layers (plain, or in-toto
        statements, DSSE envelopes and sigstore bundles); a layer that is not read gives
        a ``note``. A layer that also holds provenance is fetched once."""
        layers = sbom.sbom_layers(document)

        async def one(media_type: str, digest: str, size: int) -> Sbom | None:
            if unread := sbom.unread_format(media_type):
                return Sbom("", document=digest, note=unread)
            data = await self._layer(digest, size, "SBOM", sbom=True)
            if isinstance(data, str):
                return Sbom("", document=digest, note=data)
            masker, keep = self.ctx.masker, self.ctx.cache.put
            return sbom.read(data, media_type, digest, masker, keep, self.sbom_cap)

        found = await asyncio.gather(*(one(m, d, s) for m, d, s in layers))
        return tuple(s for s in found if s is not None)

    async def vulnerabilities(self, document: Mapping[str, Any], *, sniff: bool) -> Scans:
        """The vulnerability reports and VEX documents in a manifest's layers (Trivy,
        Grype, OpenVEX, cosign vuln and OpenVEX statements); with ``sniff`` (a referrer's
        layers) plain JSON layers are read too, and kept only when they hold one. A layer
        that is not read gives a report with a ``note``; a layer that also holds an SBOM
        or provenance is fetched once."""
        layers = vulnerabilities.report_layers(document, sniff=sniff)

        async def one(media_type: str, digest: str, size: int) -> vulnerabilities.Read:
            data = await self._layer(digest, size, "vulnerability report")
            if isinstance(data, str):
                return VulnerabilityReport("", document=digest, note=data)
            return vulnerabilities.read(data, media_type, digest, self.ctx.masker)

        found = await asyncio.gather(*(one(m, d, s) for m, d, s in layers))
        reports = tuple(r for r in found if isinstance(r, VulnerabilityReport))
        return reports, tuple(v for v in found if isinstance(v, Vex))

    async def _layer(self, digest: str, size: int, what: str, *, sbom: bool = False) -> bytes | str:
        """A layer's bytes, or the note that says why they were not read: over the cap
        (an SBOM layer's, with ``sbom``), or the registry's error (reported as ``what``
        could not be read)."""
        try:
            return await self.blob(digest, size, sbom=sbom)
        except Skipped as exc:
            return str(exc)
        except RegistryError as exc:
            cause = f"{what} could not be read: {reason(exc)}"
            self.report(cause, exc, digest)
            return self.ctx.masker.message(cause)

    async def _resolve(self, tag: str) -> tuple[str, int | None]:
        if tag in self.listed:
            return self.listed[tag], None
        session = self._online()
        head = await session.head_manifest(self.name, tag)
        if head.digest is not None:
            return head.digest, head.size
        # No usable Docker-Content-Digest (docs/protocol.md item 17): GET and hash.
        try:
            raw = await session.manifest(self.name, tag, max_bytes=self.cap)
        except TooLarge:
            raise Skipped(f"not read: over the {self.cap:,}-byte {LIMIT_KEY}") from None
        self.ctx.cache.put(raw.digest, raw.data, verified=True)
        return raw.digest, len(raw.data)

    async def _envelopes(self, document: Mapping[str, Any]) -> dict[str, bytes | str]:
        layers = signatures.envelope_layers(document)

        async def one(digest: str, size: int) -> bytes | str:
            try:
                return await self.blob(digest, size)
            except Skipped as exc:
                return str(exc)

        found = await asyncio.gather(*(one(digest, size) for _, digest, size in layers))
        return {digest: data for (_, digest, _), data in zip(layers, found, strict=True)}


def _bundle_kind(document: Mapping[str, Any], claims: tuple[Signature, ...]) -> str:
    """A sigstore bundle signs the image (a message signature) or an attestation (a DSSE
    statement): its kind is what it signs, not the bundle's media type. cosign also
    writes that on the manifest (``dev.sigstore.bundle.content``, ``.predicateType``)."""
    annotations = document.get("annotations")
    annotations = annotations if isinstance(annotations, dict) else {}
    predicates = [c.predicate_type for c in claims if c.predicate_type]
    predicates.append(_text(annotations.get(BUNDLE_PREDICATE)))
    if any(predicates) or annotations.get(BUNDLE_CONTENT) == "dsse-envelope":
        return kinds.supply_chain_kind(*predicates) or kinds.ATTESTATION
    return kinds.SIGNATURE


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _config_type(document: Mapping[str, Any]) -> str:
    """The config media type when it says what the artifact is (notation, cosign's OCI
    1.1 signatures); not an image config type, which says nothing."""
    config = document.get("config")
    config_type = _text(config.get("mediaType")) if isinstance(config, dict) else ""
    return "" if config_type in mediatypes.IMAGE_CONFIG_TYPES else config_type


def _layer_types(document: Mapping[str, Any]) -> list[str]:
    layers = document.get("layers")
    if not isinstance(layers, list):
        return []
    return [_text(layer.get("mediaType")) for layer in layers if isinstance(layer, dict)]
