"""What the search index learns of a page: its record, built with the page's data (not
written as JSON, so not among ``shapes``)."""

from __future__ import annotations

from typing import Literal, NotRequired, TypedDict

from sitegen.model import Manifest, images_of
from sitegen.oci import kinds
from sitegen.site.pages.image import described
from sitegen.site.pages.shapes import ManifestKind, ManifestSummary, TagRow

# The supply-chain badges of a tag row as search tokens, and what the search facet calls
# each; a vulnerability badge is ``vuln-<severity>:<text>`` ("vuln-critical:3 critical").
BADGE_FACETS = {
    "signed": "signed",
    "provenance": "provenance",
    "sbom": "SBOM",
    "stale-base": "stale base",
    "vuln": "vulnerability report",
}


class SearchRecord(TypedDict):
    """A page's record in the search index (``search.py``): not written as JSON.

    ``names`` find the page by name and rank above ``keywords`` (digests, label and
    annotation values). The other fields are set on tag pages, whose tags of one image
    share a record: ``rank`` orders an image's versions among its repository's,
    ``manifest_kind`` and ``artifact_type`` decide its kind, ``platforms``,
    ``badges`` and ``new`` its facets.
    """

    title: str
    registry: str
    repository: str
    kind: Literal["repository", "tag", "package"]
    summary: str
    names: str
    keywords: str
    image: NotRequired[str]
    tag: NotRequired[str]
    tags: NotRequired[list[str]]  # all the image's tags, once they share the record
    rank: NotRequired[int]
    manifest_kind: NotRequired[ManifestKind]
    artifact_type: NotRequired[str]
    platforms: NotRequired[list[str]]
    badges: NotRequired[list[str]]  # ``badge_tokens`` of the image's tag row
    # The tag was first seen within the week before the build (``Tag.new``); a shared
    # record is new when any of the image's tags in it is.
    new: NotRequired[bool]


def badge_tokens(row: TagRow) -> list[str]:
    """The supply-chain badges a tag list shows for ``row``, as search tokens."""
    tokens = [
        token
        for token, shown in (
            ("signed", row["signed"]),
            ("provenance", row["provenance"]),
            ("sbom", row["sbom"]),
            ("stale-base", row["stale_base"]),
        )
        if shown
    ]
    badge = row["vulnerabilities"]
    if badge:
        tokens.append(f"vuln-{badge['severity']}:{badge['text']}")
    return tokens


def badge_facet(token: str) -> str:
    """What the search facet calls a badge token."""
    return BADGE_FACETS[token.split("-", 1)[0] if token.startswith("vuln-") else token]


def search_text(
    manifest: Manifest, summary: ManifestSummary, platforms: list[str]
) -> tuple[str, str]:
    """(summary, keywords) of a manifest's search record: a readable summary, and words
    that find it (digests, platforms, labels). The same for every tag of the manifest.

    ``summary`` is its ``manifest_summary``, ``platforms`` its platform labels.
    """
    parts = [
        kinds.NAMES[summary["manifest_kind"]] + (f" ({', '.join(platforms)})" if platforms else ""),
    ]
    if summary["created"]:
        parts.append(f"created {summary['created'][:10]}")
    if described(manifest):
        parts.append(described(manifest))
    keywords = [manifest.digest, manifest.artifact_type, *platforms]
    for image in images_of(manifest):
        keywords.append(image.digest)
        if image.config:
            keywords.append(image.config.digest)
            keywords.extend(f"{k} {v}" for k, v in image.config.labels.items())
    keywords.extend(f"{k} {v}" for k, v in manifest.annotations.items())
    return " · ".join(parts), " ".join(k for k in keywords if k)
