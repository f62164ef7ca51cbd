"""What the client hands back: ping results, HEAD results, verified manifests."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sitegen.registry.challenge import Challenge


@dataclass(frozen=True, slots=True)
class PingInfo:
    """What ``GET /v2/`` told us about a registry."""

    url: str
    status: int
    challenge: Challenge | None  # None: anonymous access works


@dataclass(frozen=True, slots=True)
class ManifestHead:
    """A manifest's identity as a HEAD request reports it."""

    digest: str | None  # None when the registry sent no usable Docker-Content-Digest
    media_type: str
    size: int | None


@dataclass(frozen=True, slots=True)
class RawManifest:
    """A manifest whose bytes were verified against its digest."""

    digest: str
    media_type: str
    data: bytes
    document: Mapping[str, Any]
