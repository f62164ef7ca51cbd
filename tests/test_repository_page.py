"""The repository page recommends: which tag its header card shows and why, what the
image's labels answer, pre-releases and ``latest`` in the tag table, tags grouped by
image, and diffs that go forward and name both ends. Built from model catalogs, so each
case is exactly the input it is about; the golden site and the browser tests show the
same pages from the sample registry."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from pathlib import Path

import pytest

from lab.fakeregistry import FakeRegistry
from lab.images import image
from sitegen.build import build, report
from sitegen.config import SiteConfig, load_config
from sitegen.model import Catalog, Change, Descriptor, Image, ImageConfig, Registry, Repository, Tag
from sitegen.site.pages.catalog import build_pages
from sitegen.site.pages.page import Page
from sitegen.site.render import Renderer
from tests.helpers import page_data, write_config

SHA = "34fe1ae66f8c0d5e1c3b5a0e3f9e1b2c3d4e5f60"


def img(n: int, created: str = "2024-01-01T00:00:00Z", labels: Mapping[str, str] = {}) -> Image:
    digest = f"sha256:{n:064x}"
    return Image(
        digest=digest,
        media_type="application/vnd.oci.image.manifest.v1+json",
        manifest_size=100,
        config_descriptor=Descriptor("application/vnd.oci.image.config.v1+json", digest, 10),
        config=ImageConfig(digest=digest, created=created, labels=dict(labels)),
    )


def repository(tags: dict[str, Image], **fields: object) -> Repository:
    return Repository(
        name="team/app",
        tags=tuple(Tag(name, image.digest) for name, image in tags.items()),
        manifests={image.digest: image for image in tags.values()},
        total_tags=len(tags),
        **fields,  # type: ignore[arg-type]
    )


def pages(*repos: Repository, changes: tuple[Change, ...] = ()) -> dict[str, Page]:
    registry = Registry(name="r", url="https://r.test", pull_host="r.example", repositories=repos)
    catalog = Catalog(title="T", registries=(registry,), changes=changes, previous={})
    return {page.path: page for page in build_pages(catalog)}


def repo_page(repo: Repository) -> Page:
    return pages(repo)["r/team/app/"]


def test_the_newest_stable_version_is_recommended_not_a_prerelease_or_variant() -> None:
    new, old, rc, variant = img(1), img(2), img(3), img(4)
    page = repo_page(
        repository(
            {"2.0.0-rc1": rc, "1.10.0": new, "1.9.0": old, "1.10": new, "1.10-alpine": variant}
        )
    )
    card = page.data["recommended"]
    assert (card["name"], card["reason"]) == ("1.10.0", "stable")
    assert card["aliases"] == ["1.10"]
    assert card["pull_tag"] == "r.example/team/app:1.10.0"
    assert card["pull_digest"] == f"r.example/team/app@{new.digest}"
    assert [c["text"] for c in card["commands"]][:2] == [
        "docker pull r.example/team/app:1.10.0",
        f"docker pull r.example/team/app@{new.digest}",
    ]
    rows = {row["name"]: row for row in page.data["tags"]}
    assert rows["2.0.0-rc1"]["prerelease"] and not rows["1.10.0"]["prerelease"]
    html = Renderer(SiteConfig()).html(page)
    assert "Recommended:" in html and "the newest stable version".capitalize() in html
    assert '2.0.0-rc1</a> <span class="badge badge-pre">pre-release</span>' in html


def test_latest_says_which_version_it_is() -> None:
    current, older = img(1), img(2)
    page = repo_page(repository({"1.3.0": current, "1.2.0": older, "latest": current}))
    rows = {row["name"]: row for row in page.data["tags"]}
    assert rows["latest"]["points_to"] == "1.3.0"
    assert rows["1.3.0"]["points_to"] == ""  # a version names itself
    assert '<span class="points-to">= 1.3.0</span>' in Renderer(SiteConfig()).html(page)


def test_a_prerelease_is_recommended_only_when_nothing_else_exists() -> None:
    assert (
        repo_page(repository({"1.0.0-rc2": img(1), "latest": img(2)})).data["recommended"]["name"]
        == "latest"
    )
    card = repo_page(repository({"1.0.0-rc2": img(1), "1.0.0-rc1": img(2)})).data["recommended"]
    assert (card["name"], card["reason"], card["prerelease"]) == ("1.0.0-rc2", "prerelease", True)


def test_the_configured_tag_is_recommended_and_a_missing_one_is_said() -> None:
    tags = {"2.0.0": img(1), "1.9.0": img(2)}
    chosen = repo_page(repository(tags, recommended_tag="1.9.0")).data
    assert (chosen["recommended"]["name"], chosen["recommended"]["reason"]) == (
        "1.9.0",
        "configured",
    )
    assert chosen["recommended_missing"] == ""
    page = repo_page(repository(tags, recommended_tag="3.0.0"))
    assert page.data["recommended_missing"] == "3.0.0"
    assert page.data["recommended"]["name"] == "2.0.0"  # the default instead
    html = Renderer(SiteConfig()).html(page)
    assert "<code>3.0.0</code>, is not among the tags shown" in html


def test_labels_become_links_to_source_and_commit() -> None:
    labels = {
        "org.opencontainers.image.source": "git@github.com:example/app.git",
        "org.opencontainers.image.revision": SHA,
        "org.opencontainers.image.url": "https://example.com/app",
        "org.opencontainers.image.documentation": "https://docs.example.com/app/",
        "org.opencontainers.image.licenses": "Apache-2.0 OR MIT",
        "org.opencontainers.image.vendor": "Example Corp",
        "org.opencontainers.image.description": "An app that answers questions",
    }
    page = repo_page(repository({"1.0.0": img(1, labels=labels)}))
    assert page.data["about"] == {
        "source": "git@github.com:example/app.git",
        "source_url": "https://github.com/example/app",
        "revision": SHA,
        "commit_url": f"https://github.com/example/app/commit/{SHA}",
        "url": "https://example.com/app",
        "documentation": "https://docs.example.com/app/",
        "licenses": "Apache-2.0 OR MIT",
        "vendor": "Example Corp",
    }
    # No configured description: the label's.
    assert page.data["description"] == "An app that answers questions"
    assert page.data["description_source"] == "label"
    html = Renderer(SiteConfig()).html(page)
    assert f'<a href="https://github.com/example/app/commit/{SHA}"' in html
    assert '<dt>License</dt><dd class="wrap-any">Apache-2.0 OR MIT</dd>' in html


def test_hostile_label_values_are_never_links_and_always_escaped() -> None:
    long = "x" * 5000
    labels = {
        "org.opencontainers.image.source": "javascript:alert(1)",
        "org.opencontainers.image.revision": '"><script>alert(1)</script>',
        "org.opencontainers.image.url": "javascript:alert(document.cookie)",
        "org.opencontainers.image.documentation": 'https://x.test/" onmouseover="alert(1)',
        "org.opencontainers.image.licenses": "<img src=x onerror=alert(1)>",
        "org.opencontainers.image.vendor": long,
    }
    page = repo_page(repository({"1.0.0": img(1, labels=labels)}))
    about = page.data["about"]
    assert about["source_url"] == about["commit_url"] == about["url"] == ""
    assert about["documentation"] == ""
    html = Renderer(SiteConfig()).html(page)
    assert 'href="javascript:' not in html and 'onmouseover="alert' not in html
    assert "<script>alert(1)</script>" not in html and "<img src=x" not in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html
    assert "javascript:alert(1)" in html  # shown as text, for what it is
    assert long in html  # shown whole, wrapped by the page


def test_an_unknown_forge_links_the_source_and_shows_the_revision() -> None:
    labels = {
        "org.opencontainers.image.source": "https://git.example.com/team/app/",
        "org.opencontainers.image.revision": SHA,
    }
    about = repo_page(repository({"1.0.0": img(1, labels=labels)})).data["about"]
    assert about["source_url"] == "https://git.example.com/team/app"
    assert about["commit_url"] == "" and about["revision"] == SHA


def test_tags_of_one_image_are_one_row_when_grouped() -> None:
    new, old = img(1), img(2)
    page = repo_page(repository({"3.20.1": new, "3.20": new, "3": new, "3.19.4": old}))
    groups = page.view["images"]  # type: ignore[typeddict-item]
    assert [[t["name"] for t in g["tags"]] for g in groups] == [["3.20.1", "3.20", "3"], ["3.19.4"]]
    assert [g["row"]["digest"] for g in groups] == [new.digest, old.digest]
    assert page.data["digests"] == [
        {"digest": new.digest, "tags": ["3.20.1", "3.20", "3"]},
        {"digest": old.digest, "tags": ["3.19.4"]},
    ]
    html = Renderer(SiteConfig()).html(page)
    assert '<table class="tags images" id="image-table">' in html
    assert "<caption>2 images, newest version first</caption>" in html


def test_version_diffs_go_forward_in_version_and_time() -> None:
    # "3" is the newest image (3.20.1), not a version older than 3.19.4; v1.9.0 is a
    # maintenance release built after v2.0.0-rc1, so no diff goes "back" from it.
    new, old = img(1, "2024-06-18T00:00:00Z"), img(2, "2024-03-02T00:00:00Z")
    alpine = repository({"3.20.1": new, "3": new, "3.19.4": old})
    rc, final, maint = (
        img(3, "2024-04-01T00:00:00Z"),
        img(4, "2024-04-15T00:00:00Z"),
        img(5, "2024-05-10T00:00:00Z"),
    )
    worker = Repository(
        name="team/worker",
        tags=(
            Tag("v2.0.0", final.digest),
            Tag("v2.0.0-rc1", rc.digest),
            Tag("v1.9.0", maint.digest),
        ),
        manifests={i.digest: i for i in (rc, final, maint)},
    )
    built = pages(alpine, worker)
    diffs = {p.data["title"]: p for p in built.values() if p.data["kind"] == "diff"}
    assert sorted(diffs) == ["3.19.4 → 3.20.1", "v2.0.0-rc1 → v2.0.0"]
    step = diffs["3.19.4 → 3.20.1"].data
    assert (step["old"]["digest"], step["new"]["digest"]) == (old.digest, new.digest)
    # Every tag of the newer image offers it; the older image offers nothing backwards.
    for tag in ("3.20.1", "3"):
        assert [c["label"] for c in built[f"r/team/app/_tags/{tag}/"].data["compare"]] == [
            "3.19.4 → 3.20.1"
        ]
    assert built["r/team/app/_tags/3.19.4/"].data["compare"] == []
    assert built["r/team/worker/_tags/v1.9.0/"].data["compare"] == []


def test_a_moved_tag_diff_names_the_versions_at_both_ends() -> None:
    old, new = img(1, "2024-05-20T00:00:00Z"), img(2, "2024-06-20T00:00:00Z")
    repo = repository({"v1.3.0": new, "v1.2.0": old, "latest": new})
    moved = Change(
        "2024-06-21T00:00:00Z", "r", "team/app", "tag-moved", "latest", old.digest, new.digest
    )
    built = pages(repo, changes=(moved,))
    latest = built["r/team/app/_tags/latest/"].data["compare"]
    assert [(c["label"], c["reason"]) for c in latest] == [("latest: v1.2.0 → v1.3.0", "moved")]
    diff = built[latest[0]["path"]]
    assert diff.title == "team/app: latest: v1.2.0 → v1.3.0"
    assert "latest: v1.2.0 → v1.3.0</h1>" in Renderer(SiteConfig()).html(diff)


def test_a_moved_tag_whose_old_image_no_tag_names_says_when() -> None:
    gone = img(1, "2024-05-20T00:00:00Z")
    new = img(2, "2024-06-20T00:00:00Z")
    repo = repository({"latest": new})
    moved = Change(
        "2024-06-21T00:00:00Z", "r", "team/app", "tag-moved", "latest", gone.digest, new.digest
    )
    registry = Registry(name="r", url="https://r.test", pull_host="r.example", repositories=(repo,))
    catalog = Catalog(
        title="T", registries=(registry,), changes=(moved,), previous={gone.digest: gone}
    )
    built = {page.path: page for page in build_pages(catalog)}
    [chip] = built["r/team/app/_tags/latest/"].data["compare"]
    assert chip["label"] == "latest before 2024-06-21 → latest"


def test_a_missing_recommended_tag_is_in_the_build_report_and_log(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    fake = FakeRegistry()
    fake.add("team/app", image(files=({"/a": b"1"},)), ["1.0"])
    config = write_config(
        tmp_path,
        """
        registries:
          - name: lab
            url: https://registry.test
            repositories:
              - {name: team/app, recommended_tag: "2.0"}
        """,
    )
    with caplog.at_level(logging.WARNING, logger="sitegen.build"):
        result = build(
            load_config(config, environ={}),
            tmp_path / "site",
            cache_dir=None,
            transport=fake.transport,
        )
    assert report(result)["registry_status"]["lab"]["recommended_tags_missing"] == {
        "team/app": "2.0"
    }
    assert "lab/team/app: recommended_tag '2.0' is not among the tags shown" in caplog.text
    data = page_data(tmp_path / "site", "lab/team/app/")
    assert data["recommended_missing"] == "2.0" and data["recommended"]["name"] == "1.0"
