"""Pages of what is not a plain image: an emptied repository, and the sizes of a
multi-platform image one of whose platforms could not be read. Built from a model, so
the cases a registry rarely shows on demand are exact."""

from __future__ import annotations

import re

from sitegen.config import SiteConfig
from sitegen.model import (
    Catalog,
    Change,
    Descriptor,
    Image,
    Index,
    IndexEntry,
    Platform,
    Registry,
    Repository,
    Tag,
)
from sitegen.site.pages.catalog import build_pages
from sitegen.site.pages.page import Page
from sitegen.site.render import Renderer

OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_INDEX = "application/vnd.oci.image.index.v1+json"


def digest(n: int) -> str:
    return f"sha256:{n:064x}"


def page(catalog: Catalog, path: str) -> Page:
    return next(p for p in build_pages(catalog) if p.path == path)


def text_of(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def test_emptied_repository_says_so_with_no_pull_command() -> None:
    repo = Repository(name="old/empty")  # listed, tags: null
    catalog = Catalog(
        title="t",
        registries=(Registry("lab", "http://127.0.0.1:1", "reg.example", (repo,)),),
        changes=(
            Change("2024-06-02T03:00:00Z", "lab", "old/empty", "tag-removed", "gone", digest(1)),
            Change("2024-05-01T03:00:00Z", "lab", "old/empty", "tag-added", "gone", "", digest(1)),
        ),
    )
    shown = page(catalog, "lab/old/empty/")
    assert shown.data["emptied"] is True
    assert shown.data["tags_gone_at"] == "2024-06-02T03:00:00Z"
    html = Renderer(SiteConfig()).html(shown)
    assert "All tags deleted." in text_of(html)
    assert "Last seen with tags: before 2024-06-02" in text_of(html)
    assert "docker pull" not in html and "data-pull-ref" not in html


def test_repository_with_filtered_tags_is_not_emptied() -> None:
    repo = Repository(name="team/app", total_tags=3)  # tags exist, the config hides them
    catalog = Catalog(
        title="t", registries=(Registry("lab", "http://127.0.0.1:1", "reg.example", (repo,)),)
    )
    shown = page(catalog, "lab/team/app/")
    assert shown.data["emptied"] is False
    assert "All tags deleted" not in Renderer(SiteConfig()).html(shown)


def _image(n: int, arch: str, layer_size: int) -> Image:
    return Image(
        digest=digest(n),
        media_type=OCI_MANIFEST,
        manifest_size=400,
        config_descriptor=Descriptor(
            "application/vnd.oci.image.config.v1+json", digest(n + 100), 100
        ),
        layers=(
            Descriptor("application/vnd.oci.image.layer.v1.tar+gzip", digest(n + 200), layer_size),
        ),
        platform=Platform("linux", arch),
    )


def _multi_platform(default_platform: str = "linux/amd64") -> Catalog:
    arm = _image(2, "arm64", 2900)
    amd = _image(3, "amd64", 1900)
    index = Index(
        digest=digest(1),
        media_type=OCI_INDEX,
        manifest_size=900,
        entries=(
            IndexEntry(Descriptor(OCI_MANIFEST, arm.digest, 400, platform=arm.platform), arm),
            IndexEntry(Descriptor(OCI_MANIFEST, amd.digest, 400, platform=amd.platform), amd),
            # A platform whose manifest could not be read: its descriptor's 777 bytes are
            # the manifest's size, not the platform's.
            IndexEntry(
                Descriptor(OCI_MANIFEST, digest(4), 777, platform=Platform("linux", "s390x")),
                None,
                "manifest unknown",
            ),
        ),
    )
    repo = Repository(
        name="base/os",
        tags=(Tag("1.0", index.digest),),
        manifests={index.digest: index},
        total_tags=1,
    )
    return Catalog(
        title="t",
        registries=(Registry("lab", "http://127.0.0.1:1", "reg.example", (repo,)),),
        default_platform=default_platform,
    )


def test_multi_platform_size_is_one_pull_and_the_sum_only_total_stored() -> None:
    shown = page(_multi_platform(), "lab/base/os/_tags/1.0/")
    data = shown.data
    assert data["size"] == 2000  # linux/amd64: config 100 + layer 1900
    assert data["total_stored"] == 2000 + 3000
    assert data["default_platform"] == "linux/amd64"
    unreadable = [p for p in data["platform_list"] if p["platform"] == "linux/s390x"]
    assert unreadable[0]["size"] is None  # not 777 B, not 0 B
    html = text_of(Renderer(SiteConfig()).html(shown))
    assert "Download 2.0 kB (one platform: linux/amd64)" in html
    assert "Total stored at least 5.0 kB" in html
    assert "777 B" not in html
    # Its row in the platform table: no size but "unknown".
    assert re.search(r"linux/s390x \(manifest unknown\) sha256:0{12} unknown", html)


def test_tag_rows_show_the_default_platform_size() -> None:
    rows = page(_multi_platform("linux/arm64"), "lab/base/os/").data["tags"]
    assert rows[0]["size"] == 3000
    cells = {c["platform"]: c["size"] for c in rows[0]["platforms"]}
    assert cells == {"linux/arm64": 3000, "linux/amd64": 2000, "linux/s390x": None}
    # A default platform the tag lacks: the first readable platform is what one pull gets.
    assert page(_multi_platform("windows/amd64"), "lab/base/os/").data["tags"][0]["size"] == 3000


def test_a_tag_no_platform_of_which_was_read_claims_no_size() -> None:
    catalog = _multi_platform()
    (registry,) = catalog.registries
    (repo,) = registry.repositories
    index = next(iter(repo.manifests.values()))
    assert isinstance(index, Index)
    unread = tuple(IndexEntry(e.descriptor, None, "manifest unknown") for e in index.entries)
    blind = Index(index.digest, index.media_type, index.manifest_size, entries=unread)
    repo = Repository(repo.name, repo.tags, {blind.digest: blind}, total_tags=1)
    catalog = Catalog("t", (Registry("lab", "", "reg.example", (repo,)),))
    shown = page(catalog, "lab/base/os/")
    assert shown.data["tags"][0]["size"] is None
    row = re.search(r'<td class="num">(.*?)</td>', Renderer(SiteConfig()).html(shown))
    assert row is not None and text_of(row.group(1)).strip() == "unknown"
