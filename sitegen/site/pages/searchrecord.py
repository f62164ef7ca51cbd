"""What the search index learns of a page: its record, built with the page's data (not
written as JSON, so not among ``shapes``)."""

from __future__ import annotations

from typing import Literal, NotRequired, TypedDict

from sitegen.site.pages.shapes import ManifestKind


class SearchRecord(TypedDict):
    """A page's record in the search index (``search.py``): not written as JSON.

    ``names`` find the page by name and rank above ``keywords`` (digests, label and
    annotation values). The other fields are set on tag pages, whose tags of one image
    share a record: ``rank`` orders an image's versions among its repository's,
    ``manifest_kind`` and ``artifact_type`` decide its kind, ``platforms`` its facets.
    """

    title: str
    registry: str
    repository: str
    kind: Literal["repository", "tag"]
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
