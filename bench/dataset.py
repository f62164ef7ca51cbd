"""The benchmark's registry content: deterministic, shaped like a busy real registry.

A registry of ``repositories`` repositories, each with ``tags_per_repository`` tags.
Tags come in releases of ``aliases`` tags that point to the same manifest (``2.3.0``,
``v2.3.0``, ``2.3``, ``2.3.0-20240301``, ``sha-1a2b3c4``; the newest release has
``latest`` instead of its ``sha-`` tag), so a repository of 50 tags holds 10 releases.
Every ``multiarch_every``-th release is an OCI index of four platforms (with the
default 5, 20% of the tags are multi-platform). Repositories come in families of
``family`` (``team-N/app-M`` and ``mirror-N/app-M``, the promotion pattern): members of
a family hold the same manifests, which keeps the number of distinct images moderate
while every repository still has its own tags.

Images differ in their config (labels, dates, env), share one base layer per platform
and one application layer per family: realistic configs, and cheap to push.

``moved_tags`` picks the 1% of tags that a "rebuild" moves to new images, and
``moved_image`` builds the image each of them moves to.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache

from lab.images import Built, HistoryStep, image, index

PLATFORMS = (("amd64", None), ("arm64", "v8"), ("arm", "v7"), ("ppc64le", None))
PATH_ENV = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"


@dataclass(frozen=True)
class Spec:
    """How big the registry is and how its tags are shaped."""

    repositories: int = 200
    tags_per_repository: int = 50
    aliases: int = 5  # tags per release (all on one manifest)
    multiarch_every: int = 5  # every N-th release is a 4-platform index
    family: int = 2  # repositories sharing the same manifests
    moved_percent: float = 1.0  # tags a "rebuild" moves to new images

    @property
    def releases(self) -> int:
        """Releases (distinct tagged manifests) per repository."""
        return -(-self.tags_per_repository // self.aliases)

    @property
    def tags(self) -> int:
        """Tags in the whole registry."""
        return self.repositories * self.tags_per_repository

    def describe(self) -> dict[str, object]:
        """The shape in numbers, for the results file."""
        families = -(-self.repositories // self.family)
        indexes = sum(1 for r in range(self.releases) if self.is_multiarch(r))
        images = self.releases - indexes
        return {
            "repositories": self.repositories,
            "tags": self.tags,
            "tags_per_repository": self.tags_per_repository,
            "aliases_per_manifest": self.aliases,
            "multiarch_tag_share": round(
                sum(
                    len(self.release_tags(0, r))
                    for r in range(self.releases)
                    if self.is_multiarch(r)
                )
                / self.tags_per_repository,
                3,
            ),
            "platforms_per_index": len(PLATFORMS),
            "repositories_per_family": self.family,
            "distinct_manifests": families * (images + indexes * (1 + len(PLATFORMS))),
            "distinct_configs": families * (images + indexes * len(PLATFORMS)),
            "moved_tags": len(moved_tags(self)),
        }

    def is_multiarch(self, release: int) -> bool:
        """Whether ``release`` is a multi-platform index."""
        return release % self.multiarch_every == self.multiarch_every - 1

    def repository(self, number: int) -> str:
        """The name of repository ``number``: family members differ in namespace."""
        family, member = divmod(number, self.family)
        namespace = "team" if member == 0 else f"mirror{member}"
        return f"{namespace}-{family % 10}/app-{family:04d}"

    def release_tags(self, repo: int, release: int) -> list[str]:
        """The tags of one release; the newest release carries ``latest``."""
        major, minor = divmod(release, 4)
        version = f"{major + 1}.{minor}.0"
        day = f"2024{1 + release % 12:02d}{1 + release % 28:02d}"
        names = [
            version,
            f"v{version}",
            f"{major + 1}.{minor}",
            f"{version}-{day}",
            "latest"
            if release == self.releases - 1
            else f"sha-{_revision(repo // self.family, release)[:7]}",
        ]
        first = release * self.aliases
        wanted = max(0, min(self.aliases, self.tags_per_repository - first))
        return names[:wanted]


def _revision(*parts: object) -> str:
    """A stable fake git commit id."""
    text = "/".join(str(p) for p in parts)
    return hashlib.sha1(text.encode(), usedforsecurity=False).hexdigest()


@cache
def _base_layer(architecture: str, variant: str | None) -> dict[str, bytes]:
    platform = architecture + (f"/{variant}" if variant else "")
    return {
        "/etc/os-release": b'NAME="Bench Linux"\nVERSION_ID=12\n',
        "/bin/sh": f"shell for {platform}\n".encode(),
    }


def _image(
    family: int,
    release: int,
    architecture: str,
    variant: str | None,
    created: str,
    build: str = "",
) -> Built:
    app = f"app-{family:04d}"
    version = f"{release // 4 + 1}.{release % 4}.0"
    labels = {
        "org.opencontainers.image.created": created,
        "org.opencontainers.image.description": f"The {app} service",
        "org.opencontainers.image.licenses": "Apache-2.0",
        "org.opencontainers.image.revision": _revision(family, release),
        "org.opencontainers.image.source": f"https://git.example.com/team/{app}",
        "org.opencontainers.image.title": app,
        "org.opencontainers.image.version": version,
    }
    return image(
        architecture=architecture,
        variant=variant,
        created=created,
        labels=labels,
        env=[PATH_ENV, f"APP_VERSION={version}", "LANG=C.UTF-8"]
        + ([f"BUILD_REF={build}"] if build else []),
        entrypoint=[f"/usr/local/bin/{app}"],
        cmd=["--serve"],
        workdir="/srv",
        user="10001",
        ports=["8080/tcp"],
        history=[
            HistoryStep("/bin/sh -c #(nop) ADD file:base in / "),
            HistoryStep("/bin/sh -c #(nop) ENV LANG=C.UTF-8", empty_layer=True),
            HistoryStep(f"COPY {app} /usr/local/bin/ # buildkit"),
            HistoryStep('/bin/sh -c #(nop) CMD ["--serve"]', empty_layer=True),
        ],
        files=[
            _base_layer(architecture, variant),
            {f"/usr/local/bin/{app}": f"{app} binary\n".encode()},
        ],
    )


@cache
def release_manifest(spec: Spec, family: int, release: int) -> Built:
    """The manifest every tag of ``release`` points to in each repository of ``family``."""
    created = f"2024-{1 + release % 12:02d}-{1 + release % 28:02d}T{family % 24:02d}:00:00Z"
    if spec.is_multiarch(release):
        children = [_image(family, release, arch, variant, created) for arch, variant in PLATFORMS]
        return index(children)
    return _image(family, release, "amd64", None, created)


def contents(spec: Spec) -> Iterator[tuple[str, Built, list[str]]]:
    """(repository, manifest, tags) for every release of every repository."""
    for repo in range(spec.repositories):
        family = repo // spec.family
        for release in range(spec.releases):
            tags = spec.release_tags(repo, release)
            if tags:
                yield spec.repository(repo), release_manifest(spec, family, release), tags


def moved_tags(spec: Spec) -> list[tuple[str, str]]:
    """(repository, tag) pairs a rebuild moves: ``moved_percent`` of all tags, spread out.

    The minor-version alias of the newest release moves (``2.1`` -> a patch build),
    in evenly spaced repositories; past one per repository, older minors move too.
    """
    count = max(1, round(spec.tags * spec.moved_percent / 100))
    picked: list[tuple[str, str]] = []
    step = max(1, spec.repositories // count)
    release = spec.releases - 1
    while len(picked) < count and release >= 0:
        for repo in range(0, spec.repositories, step):
            if len(picked) == count:
                break
            tags = spec.release_tags(repo, release)
            if len(tags) > 2:
                picked.append((spec.repository(repo), tags[2]))
        release -= 1
    return picked


def moved_image(repository: str, tag: str) -> Built:
    """The new image a moved tag points to: a patch build, unique per repository."""
    family = int(repository.rsplit("-", 1)[1])
    return _image(family, 0, "amd64", None, "2025-01-15T12:00:00Z", build=f"{repository}:{tag}")
