"""The shapes of the package index: the Packages pages, a package's page, and the JSON
of ``api/packages/`` (its index, its shards, its image lists). docs/json.md documents
them field by field."""

from __future__ import annotations

from typing import Literal, TypedDict

from sitegen.site.pages.shapes import Document

# -- pages -----------------------------------------------------------------------------


class PackageImage(TypedDict):
    registry: str
    repository: str
    digest: str
    platform: str
    tags: list[str]
    path: str
    tag_path: str


class PackageSummary(TypedDict):
    name: str
    path: str
    ecosystems: list[str]
    versions: int
    images: int


class PackagesData(Document):
    kind: Literal["packages"]
    title: str
    page: int
    pages: int
    previous: str
    next: str
    package_count: int
    image_count: int
    index_file: str
    packages: list[PackageSummary]


class PackageVersion(TypedDict):
    ecosystem: str
    version: str
    image_count: int
    images: list[PackageImage]


class PackageData(Document):
    kind: Literal["package"]
    title: str
    name: str
    path: str
    shard_file: str
    ecosystems: list[str]
    image_count: int
    images_shown: int
    versions: list[PackageVersion]


# -- api/packages/ ---------------------------------------------------------------------


class PackagesIndexDocument(Document):
    kind: Literal["package-index"]
    package_count: int
    image_count: int
    shards: dict[str, list[str]]
    image_files: list[str]
    images_per_file: int


class ShardVersion(TypedDict):
    ecosystem: str
    version: str
    images: list[int]


class ShardPackage(TypedDict):
    name: str
    path: str
    versions: list[ShardVersion]


class PackagesShardDocument(Document):
    shard: str
    packages: list[ShardPackage]


class PackageImagesDocument(Document):
    first: int
    images: list[PackageImage]
