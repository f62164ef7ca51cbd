"""The declared shape of the pages about change and health: recent changes, diffs,
crawl health (``history.py`` builds them; ``shapes`` explains the conventions)."""

from __future__ import annotations

from typing import Literal, TypedDict

from sitegen.site.pages.shapes import ChangeRow, Document


class ChangesData(Document):
    kind: Literal["changes"]
    path: str
    feed: str
    changes: list[ChangeRow]


class SizeChange(TypedDict):
    old: int
    new: int
    delta: int


class TextChange(TypedDict):
    old: str
    new: str


class MappingDiff(TypedDict):
    added: dict[str, str]
    removed: dict[str, str]
    changed: dict[str, TextChange]
    unchanged: int


class ValueDiff(TypedDict):
    old: list[str] | None
    new: list[str] | None
    changed: bool


class LayerSize(TypedDict):
    digest: str
    size: int


class LayerDiff(TypedDict):
    shared: list[LayerSize]
    added: list[LayerSize]
    removed: list[LayerSize]


class StepDiff(TypedDict):
    op: Literal["same", "added", "removed"]
    step: str


class ImageDiff(TypedDict):
    old_digest: str
    new_digest: str
    identical: bool
    size: SizeChange
    env: MappingDiff
    labels: MappingDiff
    entrypoint: ValueDiff
    cmd: ValueDiff
    layers: LayerDiff
    history: list[StepDiff]


class PlatformDiff(ImageDiff):
    platform: str


class ManifestDiff(TypedDict):
    size: SizeChange
    created: TextChange
    platforms_added: list[str]
    platforms_removed: list[str]
    platforms: list[PlatformDiff]


class DiffSide(TypedDict):
    digest: str
    label: str
    path: str


class DiffData(Document, ManifestDiff):
    kind: Literal["diff"]
    registry: str
    repository: str
    repository_path: str
    path: str
    reason: str
    tag: str  # the moved tag ("" for a step between versions)
    title: str  # "latest: v1.2.0 → v1.3.0", "v1.2.0 → v1.3.0"
    old: DiffSide
    new: DiffSide


class FailedRepository(TypedDict):
    name: str
    path: str
    error: str
    stale_since: str


class TroubledRepository(TypedDict):
    name: str
    path: str
    problems: list[str]


class RegistryHealth(TypedDict):
    name: str
    url: str
    pull_host: str
    path: str
    status: str
    error: str
    repositories: int
    failed_repositories: list[FailedRepository]
    stale_since: str
    problems: int
    repositories_with_problems: list[TroubledRepository]
    rate_limit_remaining: int | None
    rate_limit: int | None


class HealthData(Document):
    kind: Literal["health"]
    path: str
    registries: list[RegistryHealth]


class StampRegistry(TypedDict):
    name: str
    status: str
    last_success: str
    seconds: float


class StampDocument(TypedDict):
    schema: int
    built: str
    stale_after: int
    registries: list[StampRegistry]
