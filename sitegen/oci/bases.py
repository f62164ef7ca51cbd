"""What an image says it is built on, with no I/O: base-image claims from SLSA
provenance materials and from the OCI base-image annotations.

- Provenance materials (``Provenance.materials``, already masked and cut) name images
  as ``pkg:docker/<namespace>/<name>@<tag>?digest=...&platform=...`` (BuildKit writes
  the registry host into the namespace for images not on Docker Hub),
  ``pkg:oci/<name>@<digest>?repository_url=...&tag=...`` (purl-spec) or
  ``docker-image://<reference>``. Build tooling is not a base: the images BuildKit runs
  to build (``TOOLING``: the Dockerfile frontend, its SBOM scanner, BuildKit itself).
- The annotations ``org.opencontainers.image.base.name`` (a reference with a tag) and
  ``org.opencontainers.image.base.digest`` (image-spec ``annotations.md``), on the
  manifest or on its index.

A claim that does not parse as a reference with a valid name, tag or digest is no
claim: registry data never becomes a link or a catalog look-up unless it is well formed.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from urllib.parse import parse_qsl, unquote

from sitegen.oci.masking import Masker
from sitegen.oci.references import (
    DOCKER_HUB_PULL_HOST,
    HOST_RE,
    is_digest,
    is_docker_hub,
    is_name,
    is_tag,
    normalize_name,
)

BASE_NAME = "org.opencontainers.image.base.name"
BASE_DIGEST = "org.opencontainers.image.base.digest"
MAX_TEXT = 256  # characters of a base reference shown
MAX_REFERENCE = 1024  # longer is no reference (a host, a 255-character name, a tag, a digest)

# Docker Hub repositories of the images BuildKit runs to build, which provenance lists
# among its materials: the Dockerfile frontend (``# syntax=``), the SBOM scanner of
# ``--sbom``, BuildKit itself. Never a base image.
TOOLING = frozenset(
    {
        "docker/dockerfile",
        "docker/dockerfile-upstream",
        "docker/dockerfile-copy",
        "docker/buildkit-syft-scanner",
        "moby/buildkit",
    }
)


@dataclass(frozen=True, slots=True, order=True)
class BaseClaim:
    """One image a document names as a base: where it is and what it was then."""

    host: str  # "docker.io" when the reference names none
    repository: str  # Docker Hub's one-segment names under ``library/``
    tag: str = ""
    digest: str = ""
    platform: str = ""  # a purl's ``platform`` qualifier ("linux/amd64"), "" when not said
    text: str = ""  # what the page shows (``reference``, or the text as written), masked, cut

    @property
    def valid(self) -> bool:
        """False for an annotation that names a base in a form that is no reference."""
        return bool(self.repository)

    @property
    def reference(self) -> str:
        """``host/repository:tag``, with ``@digest`` when there is no tag."""
        name = f"{self.host}/{self.repository}"
        return (
            f"{name}:{self.tag}" if self.tag else f"{name}@{self.digest}" if self.digest else name
        )


def parse_reference(text: str) -> BaseClaim | None:
    """``[host/]name[:tag][@digest]`` -> a claim, or None when any part is malformed."""
    if len(text) > MAX_REFERENCE:
        return None
    rest, _, digest = text.strip().partition("@")
    if digest and not is_digest(digest):
        return None
    first, slash, remainder = rest.partition("/")
    if slash and ("." in first or ":" in first or first == "localhost"):
        if HOST_RE.fullmatch(first) is None:
            return None
        host, rest = first.lower(), remainder
    else:
        host = DOCKER_HUB_PULL_HOST
    name, colon, tag = rest.rpartition(":") if ":" in rest else (rest, "", "")
    if (colon and not is_tag(tag)) or not is_name(name):
        return None
    if is_docker_hub(host):
        host = DOCKER_HUB_PULL_HOST
    return BaseClaim(host, normalize_name(host, name), tag, digest)


def from_annotations(
    own: Mapping[str, str], index: Mapping[str, str], masker: Masker
) -> BaseClaim | None:
    """The base the image-spec annotations name: the manifest's own, else its index's
    (which speak for all its platforms). The digest alone names no repository: no claim.
    A name that is no reference is an invalid claim (``valid`` is False), so the page
    can say so."""
    annotations = own if BASE_NAME in own else index
    name = annotations.get(BASE_NAME)
    if not isinstance(name, str) or not name.strip():
        return None
    found = parse_reference(name)
    if found is None:
        return _shown(BaseClaim("", ""), name, masker)
    digest = annotations.get(BASE_DIGEST, "")
    if not found.digest and isinstance(digest, str) and is_digest(digest.strip()):
        found = BaseClaim(found.host, found.repository, found.tag, digest.strip())
    return _shown(found, name, masker)


def from_materials(materials: Iterable[tuple[str, str]], masker: Masker) -> list[BaseClaim]:
    """The images among provenance materials that may be a base (``TOOLING`` left out),
    each once, sorted. ``digest`` is the material's own digest when the URI has none."""
    found: set[BaseClaim] = set()
    for uri, digest in materials:
        claim = image_material(uri)
        if claim is None or (claim.host == DOCKER_HUB_PULL_HOST and claim.repository in TOOLING):
            continue
        if not claim.digest and is_digest(digest):
            claim = BaseClaim(claim.host, claim.repository, claim.tag, digest, claim.platform)
        found.add(_shown(claim, uri, masker))
    return sorted(found)


def image_material(uri: str) -> BaseClaim | None:
    """An image material's claim: ``pkg:docker/...``, ``pkg:oci/...`` or
    ``docker-image://...``; None for anything else (git sources, HTTP files, broken)."""
    if uri.startswith("docker-image://"):
        return parse_reference(uri.removeprefix("docker-image://"))
    kind, _, rest = uri.partition("/")
    if kind not in ("pkg:docker", "pkg:oci"):
        return None
    path, _, query = rest.partition("?")
    qualifiers = dict(parse_qsl(query.partition("#")[0], keep_blank_values=True))
    path, _, version = path.partition("@")
    path, version = unquote(path), unquote(version)
    platform = qualifiers.get("platform", "")
    if kind == "pkg:oci":
        # purl-spec oci: the version is the digest, the name is the last segment of
        # ``repository_url`` (which holds the registry), the tag is a qualifier.
        place = qualifiers.get("repository_url") or path
        tag = qualifiers.get("tag", "")
        found = parse_reference(place + (f":{tag}" if tag else ""))
        if found is None or (version and not is_digest(version)):
            return None
        return BaseClaim(found.host, found.repository, found.tag, version, platform)
    digest = qualifiers.get("digest", "")
    if is_digest(version):  # ``pkg:docker/alpine@sha256:...``: named by digest alone
        digest, version = digest or version, ""
    if digest and not is_digest(digest):
        return None
    found = parse_reference(path + (f":{version}" if version and is_tag(version) else ""))
    if found is None or (version and not is_tag(version)):
        return None
    return BaseClaim(found.host, found.repository, found.tag, digest, platform)


def _shown(claim: BaseClaim, text: str, masker: Masker) -> BaseClaim:
    """The claim with what a page shows of it: its reference (``host/name:tag``) when
    it is valid, else the text as written; masked, then cut."""
    shown = masker.text(claim.reference if claim.valid else text)
    if len(shown) > MAX_TEXT:
        shown = shown[: MAX_TEXT - 1] + "…"
    return BaseClaim(claim.host, claim.repository, claim.tag, claim.digest, claim.platform, shown)
