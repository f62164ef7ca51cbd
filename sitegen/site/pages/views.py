"""What a page's template shows in another form than its data has it: counts in words,
rows arranged by column, text split into its parts. The template's ``view``.

``data`` is written as ``index.json`` and keeps its shape (``shapes``); a template
would otherwise have to regroup or reword it, which is logic a theme copies with the
template. So the builders give each page, beside its data, these ready values (not
written anywhere but the HTML). They are made from the page's data, sharing its
objects: a view adds no facts.
"""

from __future__ import annotations

from collections.abc import Mapping
from numbers import Number
from typing import Any, TypedDict

from sitegen.site.pages.shapes import (
    ChangeRow,
    ImageDocument,
    ManifestFacts,
    PlatformCell,
    PlatformEntry,
    RegistryData,
    RegistrySummary,
    RepositoryData,
    RepositoryEntry,
    TagListFields,
    TagRow,
)
from sitegen.site.pages.supplychain_shapes import (
    ProvenanceEntry,
    ReferrerEntry,
    SbomEntry,
    SignatureEntry,
    VulnerabilityReportEntry,
)
from sitegen.site.pages.vulnerabilities import ReportView, report_view

# The kinds of manifest that are built for platforms (a matrix has columns for them).
PLATFORM_KINDS = ("image", "index")


class NoView(TypedDict):
    """The view of a page whose template needs nothing beyond its data."""


class HomeView(TypedDict):
    counts: dict[str, str]  # registry name -> "1 repository · 12 tags"


class RegistryView(TypedDict):
    counts: str  # "3 repositories · 1 tag"
    listed: str  # "repositories discovered through GitLab (group base; project tools/cli)"
    # data.repository_list by namespace, then name: the table's order without script.
    repositories: list[RepositoryEntry]


class ImageGroup(TypedDict):
    """Tags that are one image (one digest): a row of the "group by image" table."""

    row: TagRow  # its newest version tag's row: digest, platforms, size, created
    tags: list[TagRow]  # every tag of the image, newest version first


class RepositoryView(TypedDict):
    problems_summary: str  # "2 problems while crawling"
    # "3 shown of 5 tags, newest version first; 2 more tags are signatures or attestations"
    tag_counts: str
    recommended_reason: str  # "the newest stable version"
    recommended_stored: int | None  # all its platforms together; None when one is unknown
    images: list[ImageGroup]  # the first page_size images, newest version first
    images_caption: str  # "12 images, newest version first" / "Images 1-100 of 250"


class ChangesView(TypedDict):
    caption: str  # "12 changes, newest first"


class MatrixCell(TypedDict):
    platform: str  # the column
    cell: PlatformCell | None  # the tag's cell there, or None when not built for it


class MatrixRow(TypedDict):
    tag: TagRow
    cells: list[MatrixCell]  # one per column of data.platform_columns


class MatrixView(TypedDict):
    rows: list[MatrixRow]
    empty: str  # why there is no matrix to show ("" when there is one)


class ImageView(TypedDict):
    env: list[tuple[str, str]]  # (name, value) of each NAME=value of the config's env
    # The artifact config's top-level text and number values as text; None when it is
    # not a JSON object (then no table).
    artifact_config: dict[str, str] | None
    # An image (by its media types) whose config blob could not be read: its runtime
    # facts are unknown, which the page says instead of leaving them out silently.
    config_unavailable: bool
    # The manifest annotations to show as a table: none when they are exactly what is
    # already shown on the page (the index's annotations, or the labels); then a note says so.
    annotations: dict[str, str]
    annotations_note: str


class ManifestView(TypedDict):
    """One manifest's view, shared by the pages of its tags and its digest page: what
    ``_partials/manifest_body.html`` is rendered from (see ``Renderer.manifest_body``)."""

    facts: ManifestFacts  # the manifest's part of those pages' data (the same object)
    image: ImageView | None  # of facts["image"]
    # A multi-platform image's default platform, shown inline on its tag pages: that
    # platform's image document (as its own digest page has it) and its view.
    inline: ImageDocument | None
    inline_view: ImageView | None
    # Some platform could not be read, so "total stored" is a lower bound.
    total_partial: bool
    # A multi-platform image's platforms whose base is known (an image's is facts["base"]).
    based: list[PlatformEntry]
    # The manifest's own annotations, shown before the image: an index's (an image's
    # are shown in its image section, with its labels).
    annotations: dict[str, str]
    # Each signature of each signature referrer: what it claims (nothing verified).
    signatures: list[SignatureView]
    # Signature referrers whose documents were not read, or named no signature.
    unread_signatures: list[ReferrerEntry]
    # A multi-platform image's platforms that have provenance, each with the statement
    # its row summarises (the first one read).
    provenance_platforms: list[tuple[PlatformEntry, ProvenanceEntry]]
    # The manifest's SBOMs; the platforms with an SBOM (the first one read), and the
    # SBOMs of the platform shown inline.
    sboms: list[SbomView]
    sbom_platforms: list[tuple[PlatformEntry, SbomView]]
    inline_sboms: list[SbomView]
    # An image's (or multi-platform image's) page has a Vulnerabilities section, which
    # says so when no report is attached; the manifest's reports; each platform with the
    # report its row summarises (the first one read; None: no report attached), when
    # any platform has one; the reports of the platform shown inline.
    vulnerability_section: bool
    vulnerabilities: list[ReportView]
    vulnerability_platforms: list[tuple[PlatformEntry, ReportView | None]]
    inline_vulnerabilities: list[ReportView]


class SbomView(TypedDict):
    """One SBOM as a card shows it."""

    sbom: SbomEntry
    count: str  # "1,234 packages"
    caption: str  # of its package table: "1,234 packages", "The first 2,000 of 5,000 packages"


class SignatureView(TypedDict):
    """One signature's claims as a card shows them."""

    referrer: ReferrerEntry  # the signature manifest it is in
    signature: SignatureEntry
    method: str  # "keyless (certificate)", "key", "notation (certificate)"
    rekor: str  # "yes" or "no"


class ManifestPageView(TypedDict):
    manifest: ManifestView


PageView = (
    NoView | HomeView | RegistryView | RepositoryView | MatrixView | ManifestPageView | ChangesView
)


def counted(count: int, singular: str, plural: str) -> str:
    """``1 tag``, ``2 tags``, ``0 tags``."""
    return f"{count} {singular if count == 1 else plural}"


def registry_counts(summary: RegistrySummary) -> str:
    """``3 repositories · 1 tag``."""
    repositories = counted(summary["repositories"], "repository", "repositories")
    return f"{repositories} · {counted(summary['tags'], 'tag', 'tags')}"


def home_view(registries: list[RegistrySummary]) -> HomeView:
    return {"counts": {r["name"]: registry_counts(r) for r in registries}}


def registry_view(data: RegistryData) -> RegistryView:
    entries = data["repository_list"]
    return {
        "counts": registry_counts(data),
        "listed": _listed(data),
        "repositories": sorted(entries, key=lambda e: (e["namespace"], e["name"])),
    }


# Who lists a registry's repositories (``listed_by``), by the name its readers know.
_LISTERS = {
    "catalog": "the registry catalog",
    "ghcr": "GitHub Packages",
    "gitlab": "GitLab",
    "harbor": "Harbor",
    "hub": "Docker Hub",
}


def _listed(data: RegistryData) -> str:
    """Where the registry's repositories came from, in words; "" when the config names
    them. The owners, groups, projects or namespaces a vendor API was asked for follow."""
    if not data["listed_by"]:
        return ""
    words = f"repositories discovered through {_LISTERS.get(data['listed_by'], data['listed_by'])}"
    names: dict[str, list[str]] = {}
    for source in data["listed_from"]:
        names.setdefault(source["kind"], []).append(source["name"])
    if not names:
        return words
    kinds = [f"{kind}{'s' if len(n) > 1 else ''} {', '.join(n)}" for kind, n in names.items()]
    return f"{words} ({'; '.join(kinds)})"


_REASONS = {
    "configured": "chosen by the catalog's maintainers",
    "stable": "the newest stable version",
    "other": "no version tags: the tag most likely meant for use",
    "prerelease": "only pre-releases are published: the newest of them",
}


def repository_view(data: RepositoryData, limit: int) -> RepositoryView:
    """``limit``: how many images the grouped table shows (one page of the tag table)."""
    problems, recommended = data["problems"], data["recommended"]
    groups: dict[str, ImageGroup] = {}
    for row in data["tags"]:  # newest version first, so the first row of a digest leads it
        groups.setdefault(row["digest"], {"row": row, "tags": []})["tags"].append(row)
    images = list(groups.values())
    caption = f"{counted(len(images), 'image', 'images')}, newest version first"
    if len(images) > limit:
        caption = f"Images 1–{limit} of {len(images)}, newest version first"  # noqa: RUF001 - a range's en dash
    return {
        "problems_summary": f"{counted(len(problems), 'problem', 'problems')} while crawling",
        "tag_counts": tag_counts(data),
        "recommended_reason": _REASONS[recommended["reason"]] if recommended else "",
        "recommended_stored": _stored(recommended["platforms"]) if recommended else None,
        "images": images[:limit],
        "images_caption": caption,
    }


def _stored(cells: list[PlatformCell]) -> int | None:
    sizes = [cell["size"] for cell in cells]
    return None if None in sizes else sum(size for size in sizes if size is not None)


def tag_counts(data: TagListFields) -> str:
    """How many tags are shown, of how many the registry lists, and how many of those
    are signatures or attestations (not images to pull)."""
    images = data["total_tags"] - data["supply_chain_tags"]
    shown = data["shown_tags"]
    text = f"{shown} shown" + (f" of {counted(images, 'tag', 'tags')}" if images > shown else "")
    text += ", newest version first"
    supply = data["supply_chain_tags"]
    if supply == 1:
        text += "; 1 more tag is a signature or attestation, shown with the image it signs"
    elif supply:
        text += (
            f"; {supply} more tags are signatures and attestations, shown with the images they sign"
        )
    return text


def changes_view(changes: list[ChangeRow]) -> ChangesView:
    return {"caption": f"{counted(len(changes), 'change', 'changes')}, newest first"}


def matrix_view(data: TagListFields) -> MatrixView:
    rows, columns = data["tags"], data["platform_columns"]
    matrix: list[MatrixRow] = []
    for row in rows:
        # A platform listed twice (two entries without one) shows its last cell.
        cells = {cell["platform"]: cell for cell in row["platforms"]}
        matrix.append(
            {"tag": row, "cells": [{"platform": c, "cell": cells.get(c)} for c in columns]}
        )
    return {"rows": matrix, "empty": "" if columns else matrix_empty(data)}


def matrix_empty(data: TagListFields) -> str:
    """Why a repository's tags cannot be laid out by platform."""
    images = data["total_tags"] - data["supply_chain_tags"]
    if not data["shown_tags"]:
        if images:
            return (
                f"None of the {counted(images, 'tag', 'tags')} the registry lists is shown "
                "(left out by the configuration, or unreadable): no platforms to lay out."
            )
        return "This repository has no tags, so there are no platforms to lay out."
    artifacts = sum(row["manifest_kind"] not in PLATFORM_KINDS for row in data["tags"])
    if artifacts == len(data["tags"]):
        return (
            "These tags are artifacts (such as Helm charts or SBOMs), not container "
            "images: they are not built for platforms."
        )
    return (
        "No platform is known for these tags: they are artifacts, or their manifests "
        "could not be read (see the repository page)."
    )


def image_view(
    image: ImageDocument, above: Mapping[str, str] | None = None, *, is_image: bool = True
) -> ImageView:
    """``above``: annotations already shown on the page (an index's); ``is_image``: the
    manifest is an image by its media types (so a missing config is worth saying)."""
    env = image["config"]["env"] if image["config"] is not None else []
    config: Any = image["artifact_config"]
    flat: dict[str, str] | None = None
    if isinstance(config, Mapping):
        # Nested values are in the raw documents; a table shows what reads as one line.
        flat = {k: str(v) for k, v in config.items() if isinstance(v, str | Number)}
    annotations = image["annotations"]
    labels = image["config"]["labels"] if image["config"] is not None else {}
    note = ""
    if annotations and annotations == above:
        note = "The same as the index's annotations (under Index annotations)."
    elif annotations and annotations == labels:
        note = "The same as the labels."
    return {
        "env": [(name, value) for name, _, value in (e.partition("=") for e in env)],
        "artifact_config": flat,
        "config_unavailable": is_image and image["config"] is None,
        "annotations": {} if note else annotations,
        "annotations_note": note,
    }


def manifest_view(facts: ManifestFacts, inline: ImageDocument | None = None) -> ManifestView:
    image = facts["image"]
    is_image = facts["manifest_kind"] == "image"
    own = facts["annotations"]
    return {
        "facts": facts,
        # An image's annotations are shown in its image section, beside its labels; an
        # index's before its platforms, and its inline platform's only when they differ.
        "image": image_view(image, is_image=is_image) if image is not None else None,
        "annotations": {} if image is not None else own,
        "inline": inline,
        "inline_view": image_view(inline, own) if inline is not None else None,
        "total_partial": any(p["size"] is None for p in facts["platform_list"]),
        "based": [p for p in facts["platform_list"] if p["base"]],
        "signatures": [
            {
                "referrer": r,
                "signature": signature,
                "method": _METHODS.get(signature["method"], signature["method"]),
                "rekor": "yes" if signature["rekor_bundle"] else "no",
            }
            for r in facts["referrers"]
            for signature in r["signatures"]
        ],
        "unread_signatures": [
            r for r in facts["referrers"] if r["kind"] == "signature" and not r["signatures"]
        ],
        "provenance_platforms": [
            (p, next((b for b in p["provenance"] if b["predicate_type"]), p["provenance"][0]))
            for p in facts["platform_list"]
            if p["provenance"]
        ],
        "sboms": [sbom_view(b) for b in facts["sboms"]],
        "sbom_platforms": [
            (p, sbom_view(next((b for b in p["sboms"] if b["format"]), p["sboms"][0])))
            for p in facts["platform_list"]
            if p["sboms"]
        ],
        "inline_sboms": next(
            (
                [sbom_view(b) for b in p["sboms"]]
                for p in facts["platform_list"]
                if inline is not None and p["platform"] == facts["default_platform"]
            ),
            [],
        ),
        "vulnerability_section": is_image or facts["manifest_kind"] == "index",
        "vulnerabilities": [report_view(r) for r in facts["vulnerabilities"]],
        "vulnerability_platforms": [
            (p, _first_report(p["vulnerabilities"])) for p in facts["platform_list"]
        ]
        if any(p["vulnerabilities"] for p in facts["platform_list"])
        else [],
        "inline_vulnerabilities": next(
            (
                [report_view(r) for r in p["vulnerabilities"]]
                for p in facts["platform_list"]
                if inline is not None and p["platform"] == facts["default_platform"]
            ),
            [],
        ),
    }


def _first_report(reports: list[VulnerabilityReportEntry]) -> ReportView | None:
    """The report a platform's row summarises: the first one read, else the first."""
    first = next((r for r in reports if r["format"]), reports[0] if reports else None)
    return report_view(first) if first is not None else None


def sbom_view(entry: SbomEntry) -> SbomView:
    total, shown = entry["package_count"], len(entry["packages"])
    count = f"{total:,} {'package' if total == 1 else 'packages'}"
    return {
        "sbom": entry,
        "count": count,
        "caption": f"The first {shown:,} of {count}" if shown < total else count,
    }


_METHODS = {
    "keyless": "keyless (a certificate names the signer)",
    "key": "key (no certificate: verify with the signer's public key)",
    "notation": "notation (X.509 certificate chain)",
}
