"""The base-image matcher as a unit: which candidate wins when several images share the
layers (the tie rule), a strict prefix only, never the image's own repository, and the
claims read from provenance materials and annotations (the real BuildKit statement's
materials among them)."""

from __future__ import annotations

import hashlib
import json
from dataclasses import replace
from pathlib import Path

import pytest

from sitegen.crawl.bases import Candidate, LayerIndex, find_bases
from sitegen.model import Catalog, Descriptor, Image, Registry, Repository, Tag
from sitegen.oci import bases
from sitegen.oci.masking import Masker

SUPPLY_CHAIN = Path(__file__).parent / "fixtures" / "real-world" / "supply-chain"
SLSA_V02 = SUPPLY_CHAIN / "slsa-v02-buildkit-statement-2025.json"
MASKER = Masker()


def digest(text: str) -> str:
    return "sha256:" + hashlib.sha256(text.encode()).hexdigest()


def layers(*names: str) -> tuple[str, ...]:
    return tuple(digest(f"layer {n}") for n in names)


def candidate(repository: str, tag: str, registry: str = "lab", moved: bool = False) -> Candidate:
    name = f"{registry}/{repository}:{tag}:{moved}"
    return Candidate(registry, repository, tag, digest(name), digest(name), moved)


def test_the_longest_strict_prefix_wins() -> None:
    index = LayerIndex()
    index.add(layers("a"), candidate("base/os", "1"))
    index.add(layers("a", "b"), candidate("base/runtime", "1"))
    index.add(layers("a", "b", "c"), candidate("base/same", "1"))
    index.seal()
    found = index.longest_prefix(layers("a", "b", "c"), "lab", "app/web")
    assert found is not None and found.repository == "base/runtime"  # not the equal chain
    assert index.longest_prefix(layers("a"), "lab", "app/web") is None  # strict only
    assert index.longest_prefix(layers("x", "a"), "lab", "app/web") is None


def test_the_image_s_own_repository_is_not_its_base() -> None:
    index = LayerIndex()
    index.add(layers("a"), candidate("base/os", "1"))
    index.add(layers("a", "b"), candidate("app/web", "1.0"))
    index.seal()
    found = index.longest_prefix(layers("a", "b", "c"), "lab", "app/web")
    assert found is not None and found.repository == "base/os"
    other = index.longest_prefix(layers("a", "b", "c"), "other", "app/web")
    assert other is not None and other.repository == "app/web"  # another registry's


@pytest.mark.parametrize(
    ("tags", "winner"),
    [
        (["latest", "3.20.3", "3.20", "3"], "3.20.3"),  # the highest stable version
        (["latest", "3.21.0-rc1", "3.20"], "3.20"),  # stable before a pre-release
        (["latest", "edge"], "edge"),  # no version: by name
        (["edge", "latest"], "edge"),  # whatever the order they came in
    ],
)
def test_ties_prefer_a_stable_version(tags: list[str], winner: str) -> None:
    index = LayerIndex()
    for tag in tags:
        index.add(layers("a"), candidate("base/alpine", tag))
    index.seal()
    found = index.longest_prefix(layers("a", "b"), "lab", "app/web")
    assert found is not None and found.tag == winner


def test_ties_prefer_now_over_before_then_names() -> None:
    index = LayerIndex()
    index.add(layers("a"), candidate("base/os", "1", moved=True))
    index.add(layers("a"), candidate("base/zz", "1"))
    index.add(layers("a"), candidate("base/aa", "1", registry="mirror"))
    index.seal()
    found = index.longest_prefix(layers("a", "b"), "lab", "app/web")
    assert found is not None and (found.registry, found.repository) == ("lab", "base/zz")
    index = LayerIndex()
    index.add(layers("a"), candidate("base/zz", "1", registry="b"))
    index.add(layers("a"), candidate("base/zz", "1", registry="a"))
    index.seal()
    found = index.longest_prefix(layers("a", "b"), "lab", "app/web")
    assert found is not None and found.registry == "a"


def test_materials_leave_build_tooling_out() -> None:
    statement = json.loads(SLSA_V02.read_text())
    materials = [
        (m["uri"], "sha256:" + m["digest"]["sha256"]) for m in statement["predicate"]["materials"]
    ]
    claims = bases.from_materials(materials, MASKER)
    assert [(c.host, c.repository, c.tag, c.platform) for c in claims] == [
        ("docker.io", "library/golang", "1.24.1", "linux/amd64"),
        ("docker.io", "library/node", "22.14.0", "linux/amd64"),
    ]
    assert claims[0].digest == materials[1][1]
    assert claims[0].text == "docker.io/library/golang:1.24.1"


@pytest.mark.parametrize(
    ("uri", "expected"),
    [
        (
            "pkg:docker/ghcr.io/acme/base@1.2?digest=" + digest("x"),
            ("ghcr.io", "acme/base", "1.2", digest("x")),
        ),
        (
            "pkg:docker/localhost%3A5000/base/os@1",
            ("localhost:5000", "base/os", "1", ""),
        ),
        (
            f"pkg:docker/alpine@{digest('a').replace(':', '%3A')}",
            ("docker.io", "library/alpine", "", digest("a")),
        ),
        (
            f"pkg:oci/debian@{digest('d').replace(':', '%3A')}?repository_url=quay.io/acme/debian&tag=12",
            ("quay.io", "acme/debian", "12", digest("d")),
        ),
        (
            f"docker-image://docker.io/library/alpine:3.20@{digest('a')}",
            ("docker.io", "library/alpine", "3.20", digest("a")),
        ),
    ],
)
def test_image_materials_in_each_spelling(uri: str, expected: tuple[str, ...]) -> None:
    claim = bases.image_material(uri)
    assert claim is not None and (claim.host, claim.repository, claim.tag, claim.digest) == expected


@pytest.mark.parametrize(
    "uri",
    [
        "git+https://github.com/acme/app@refs/heads/main",
        "https://example.com/file.tar.gz",
        "pkg:docker/<script>@1",
        "pkg:docker/base@1?digest=sha256:short",
        "docker-image://UPPER/Case:1",
        "pkg:docker/" + "a" * 5000,
        "pkg:docker/moby/buildkit@v0.12",  # parsed, but tooling: left out below
    ],
)
def test_other_materials_are_no_base(uri: str) -> None:
    assert bases.from_materials([(uri, "")], MASKER) == []


def test_annotations_of_the_manifest_before_its_index() -> None:
    own = {bases.BASE_NAME: "ghcr.io/acme/base:2", bases.BASE_DIGEST: digest("own")}
    index = {bases.BASE_NAME: "ghcr.io/acme/other:1"}
    claim = bases.from_annotations(own, index, MASKER)
    assert claim is not None and (claim.repository, claim.digest) == ("acme/base", digest("own"))
    claim = bases.from_annotations({}, index, MASKER)
    assert claim is not None and claim.repository == "acme/other"
    assert bases.from_annotations({bases.BASE_DIGEST: digest("x")}, {}, MASKER) is None
    broken = bases.from_annotations({bases.BASE_NAME: "not a <reference>"}, {}, MASKER)
    assert broken is not None and not broken.valid and broken.text == "not a <reference>"


def _image(name: str, chain: tuple[str, ...]) -> Image:
    return Image(
        digest=digest(name),
        media_type="application/vnd.oci.image.manifest.v1+json",
        manifest_size=1,
        config_descriptor=Descriptor(
            "application/vnd.oci.image.config.v1+json", digest(name + "c"), 1
        ),
        layers=tuple(
            Descriptor("application/vnd.oci.image.layer.v1.tar+gzip", d, 1) for d in chain
        ),
    )


def test_find_bases_over_a_catalog() -> None:
    base, app, equal = (
        _image("base", layers("a")),
        _image("app", layers("a", "b")),
        _image("eq", layers("a")),
    )
    repositories = tuple(
        Repository(name, tags=(Tag("1", image.digest),), manifests={image.digest: image})
        for name, image in (("base/os", base), ("app/web", app), ("mirror/os", equal))
    )
    catalog = Catalog("t", (Registry("lab", "", "registry.example", repositories),))
    found = find_bases(catalog, MASKER)
    web = found[("lab", "app/web", app.digest)]
    assert (web.method, web.status, web.repository) == ("layers", "current", "base/os")
    assert web.reference == "registry.example/base/os:1"
    assert ("lab", "base/os", base.digest) not in found  # an equal chain is no base


def test_a_base_shown_from_an_earlier_build_says_so() -> None:
    base = _image("base", layers("a"))
    named = {bases.BASE_NAME: "registry.example/base/os:1", bases.BASE_DIGEST: digest("old")}
    app = replace(_image("app", layers("a", "b")), annotations=named)
    repositories = (
        Repository(
            "base/os",
            tags=(Tag("1", base.digest),),
            manifests={base.digest: base},
            stale_since="2024-06-01T00:00:00Z",
        ),
        Repository("app/web", tags=(Tag("1", app.digest),), manifests={app.digest: app}),
    )
    catalog = Catalog("t", (Registry("lab", "", "registry.example", repositories),))
    web = find_bases(catalog, MASKER)[("lab", "app/web", app.digest)]
    assert (web.method, web.status, web.current) == ("annotation", "stale", base.digest)
    assert web.note == "compared with the base as crawled at 2024-06-01T00:00:00Z"
