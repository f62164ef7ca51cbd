"""Signatures, SBOMs and attestations, from every place registries keep them.

docs/protocol.md items 21 and 19. Four sources, merged per subject digest:

- the referrers API (``GET /v2/<name>/referrers/<digest>``), when the registry has it;
- the referrers tag schema: an index under tag ``sha256-<hex>`` listing the referrers
  of ``sha256:<hex>`` (registries without the API, e.g. distribution 2.8);
- cosign's ``sha256-<hex>.sig`` / ``.att`` / ``.sbom`` tags, found in the tag list we
  already have (``crawl.supplychain`` resolves each to its digest with a HEAD);
- BuildKit attestation manifests inside an index (handled by ``manifests.py``).

None of these tags is a version of the image, so none is listed as a tag.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from sitegen.oci import jsonload, kinds
from sitegen.oci.manifests import string_map, text
from sitegen.oci.references import is_digest
from sitegen.supplychain_model import Referrer

_TAG_RE = re.compile(r"(sha256)-([a-f0-9]{64})(?:\.(sig|att|sbom))?")
_COSIGN_KIND = {"sig": "signature", "att": "attestation", "sbom": "sbom"}


def is_supply_chain_tag(tag: str) -> bool:
    """``sha256-<hex>`` with or without ``.sig``/``.att``/``.sbom``."""
    return _TAG_RE.fullmatch(tag) is not None


def is_referrers_tag(tag: str) -> bool:
    """The bare ``sha256-<hex>`` tag of the referrers tag schema."""
    match = _TAG_RE.fullmatch(tag)
    return match is not None and match.group(3) is None


def subject_of_referrers_tag(tag: str) -> str:
    """``sha256-<hex>[.sig]`` -> ``sha256:<hex>``."""
    match = _TAG_RE.fullmatch(tag)
    if match is None:
        raise ValueError(f"not a supply-chain tag: {tag!r}")
    return f"{match.group(1)}:{match.group(2)}"


def kind_of(artifact_type: str, media_type: str = "") -> str:
    """``signature``, ``sbom``, ``provenance``, ``vulnerability-report``, ``vex``,
    ``attestation`` or ``artifact``."""
    return kinds.supply_chain_kind(artifact_type, media_type) or "artifact"


def from_cosign_tags(tags: Iterable[str]) -> dict[str, list[Referrer]]:
    """cosign's tags, attached to the digest their name spells."""
    found: dict[str, list[Referrer]] = {}
    for tag in tags:
        match = _TAG_RE.fullmatch(tag)
        if match is None or match.group(3) is None:
            continue
        found.setdefault(subject_of_referrers_tag(tag), []).append(
            Referrer(digest="", kind=_COSIGN_KIND[match.group(3)], source="cosign tag", tag=tag)
        )
    return found


def from_descriptors(descriptors: Iterable[Any], source: str) -> list[Referrer]:
    """Referrers from the descriptors of a referrers index (API answer or fallback tag)."""
    found = []
    for item in descriptors:
        if not isinstance(item, dict) or not is_digest(text(item.get("digest"))):
            continue
        artifact_type = text(item.get("artifactType"))
        media_type = text(item.get("mediaType"))
        annotations = string_map(item.get("annotations"))
        size = item.get("size")
        found.append(
            Referrer(
                digest=item["digest"],
                kind=kind_of(artifact_type, media_type),
                artifact_type=artifact_type,
                media_type=media_type,
                source=source,
                annotations=annotations,
                size=size if isinstance(size, int) and not isinstance(size, bool) else 0,
            )
        )
    return found


def descriptors_of(raw_index: bytes) -> list[Any]:
    """The ``manifests`` of a referrers index document."""
    try:
        document = jsonload.load(raw_index)
    except jsonload.JSONRefused:
        return []
    manifests = document.get("manifests") if isinstance(document, dict) else None
    return manifests if isinstance(manifests, list) else []


def merged(found: Mapping[str, list[Referrer]]) -> dict[str, tuple[Referrer, ...]]:
    """One sorted, de-duplicated tuple per subject (the API and the tag often agree)."""
    result: dict[str, tuple[Referrer, ...]] = {}
    for subject in sorted(found):
        unique: dict[tuple[str, str, str], Referrer] = {}
        for referrer in found[subject]:
            key = (referrer.digest or referrer.tag, referrer.kind, referrer.artifact_type)
            unique.setdefault(key, referrer)
        if unique:
            result[subject] = tuple(
                sorted(unique.values(), key=lambda r: (r.kind, r.artifact_type, r.digest, r.tag))
            )
    return result
