"""Images built on the sample ``base/alpine``, one for each way sitegen finds a base:

=================  ===================================================================
``apps/api``       multi-platform (amd64, arm64/v8), its index annotated with
                   ``org.opencontainers.image.base.name`` ``.../base/alpine:3.20`` and
                   the base's index digest
``apps/batch``     amd64, with a cosign attestation whose SLSA v0.2 provenance (the real
                   BuildKit statement) names ``base/alpine:3`` among its materials, next to
                   the SBOM scanner and a build stage's image
``apps/cron``      amd64, nothing names its base: found by the layers it shares
=================  ===================================================================

``lab.samples.release_update`` moves ``base/alpine`` ``3.20``, ``3`` and ``latest`` to a
new release: ``apps/api`` and ``apps/batch`` then have a stale base and the Rebuild page
lists them; ``apps/cron`` matches ``3.20.1`` by its layers, which did not move.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping

from lab.attestations import SLSA_V02, cosign_attestation, dsse_envelope, statement
from lab.images import Built, fallback_tag, image, index
from lab.push import Pusher
from lab.registry import RunningRegistry
from lab.samples import ALPINE_PLATFORMS, SampleRepo, alpine_rootfs, sample_repos

PULL_HOST = "registry.example.com"  # the demo's and the site tests' pull_host
ALPINE_VERSION = "3.20.1"
CREATED = "2024-06-19T08:00:00Z"


def _on_alpine(name: str, architecture: str, variant: str | None) -> Built:
    platform = architecture + (f"/{variant}" if variant else "")
    return image(
        architecture=architecture,
        variant=variant,
        created=CREATED,
        cmd=[f"/usr/bin/{name}"],
        labels={"org.opencontainers.image.title": name},
        files=[
            alpine_rootfs(ALPINE_VERSION, platform),
            {f"/usr/bin/{name}": f"{name} for {platform}\n".encode()},
        ],
    )


def _provenance_naming(alpine: Built, platform: str) -> Mapping[str, object]:
    """BuildKit's real SLSA v0.2 statement, its materials pointed at ``base/alpine:3``."""
    found = copy.deepcopy(statement(SLSA_V02))
    materials = found["predicate"]["materials"]
    materials[2] = {
        "uri": f"pkg:docker/{PULL_HOST}/base/alpine@3?digest={alpine.digest}"
        f"&platform={platform.replace('/', '%2F')}",
        "digest": {"sha256": alpine.digest.partition(":")[2]},
    }
    return dict(found)


def base_sample_repos() -> list[SampleRepo]:
    """The repositories built on ``base/alpine`` (same bytes on every call)."""
    alpine = next(r for r in sample_repos() if r.name == "base/alpine").tags[ALPINE_VERSION]
    api = index(
        [_on_alpine("api", a, v) for a, v in ALPINE_PLATFORMS[:2]],
        annotations={
            "org.opencontainers.image.base.name": f"{PULL_HOST}/base/alpine:3.20",
            "org.opencontainers.image.base.digest": alpine.digest,
        },
    )
    batch = _on_alpine("batch", "amd64", None)
    attestation = cosign_attestation(
        batch, [dsse_envelope(_provenance_naming(alpine, "linux/amd64"))]
    )
    return [
        SampleRepo(
            "apps/api", {"1.4.0": api, "latest": api}, "An API built on `base/alpine:3.20`."
        ),
        SampleRepo(
            "apps/batch",
            {"2.0.1": batch, f"{fallback_tag(batch.digest)}.att": attestation},
            "Batch jobs; their provenance names `base/alpine:3`.",
        ),
        SampleRepo(
            "apps/cron",
            {"0.9.0": _on_alpine("cron", "amd64", None)},
            "Scheduled jobs; nothing names their base, their layers show it.",
        ),
    ]


def push_base_samples(target: RunningRegistry | Pusher) -> list[SampleRepo]:
    """Push the repositories built on ``base/alpine`` (after ``push_samples``)."""
    repos = base_sample_repos()
    pusher = target.pusher() if isinstance(target, RunningRegistry) else target
    try:
        for repo in repos:
            for built, tags in repo.manifests():
                pusher.push(repo.name, built, tags)
    finally:
        if pusher is not target:
            pusher.close()
    return repos
