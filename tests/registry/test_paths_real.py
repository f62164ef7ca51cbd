"""Names that could collide with each other or with the site's own files, in a real
registry: every one gets its own page, with its own content, and the site tree is
one-to-one on case-insensitive and Windows file systems too (see ``sitegen/paths.py``)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from lab.images import Built, image
from lab.registry import RunningRegistry, running_registry
from tests.helpers import page_data, run_cli, write_config

# repository -> where its page must be (below site/real/)
REPOSITORIES = {
    "app": "app/",
    "app/index.json": "app/index~.json/",  # app writes the file app/index.json
    "app/index.html": "app/index~.html/",
    "index.html": "index~.html/",  # the registry page writes real/index.html
    "index.json": "index~.json/",
    "index": "index/",
    "search": "search/",  # the site's own top-level directories: apart, below real/
    "static": "static/",
    "changes": "changes/",
    "health": "health/",
    "feeds": "feeds/",
    "api": "api/",
    "pagefind": "pagefind/",
    "con": "con~/",  # Windows device names
    "aux/nul": "aux~/nul~/",
    "app/com1.tar": "app/com1~.tar/",
    "nul.d/lpt9": "nul~.d/lpt9~/",
}
LONG = "V" * 128  # the longest tag there is, all capitals: 256 bytes as ~v~v~v...
# tag of repository "app" -> its directory below _tags/
TAGS = {
    "Latest": "~latest",
    "latest": "latest",
    "LATEST": "~l~a~t~e~s~t",
    "v1": "v1",
    "v1.": "v1.~",  # Windows drops a trailing dot
    "v1..": "v1..~",
    "con": "con~",
    "CON": "~c~o~n",
    "nul.tar": "nul~.tar",
    "index.html": "index.html",  # nothing is written in _tags/ itself
    "index.json": "index.json",
    LONG: "~~" + "v" * 128 + "~" + f"{2**128 - 1:x}",
    "v" * 128: "v" * 128,
}
WINDOWS_DEVICES = {"con", "prn", "aux", "nul"} | {
    f"{p}{n}" for p in ("com", "lpt") for n in range(10)
}


def _image(label: str) -> Built:
    return image(files=({"/label": label.encode()},), labels={"org.example.name": label})


@pytest.fixture(scope="module")
def colliding_registry(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningRegistry]:
    with running_registry(tmp_path_factory.mktemp("colliding-registry")) as registry:
        pusher = registry.pusher()
        for repository in REPOSITORIES:
            pusher.push(repository, _image(repository), ["main"])
        for tag in TAGS:
            pusher.push("app", _image(f"app:{tag}"), [tag])
        yield registry


def _windows(path: Path) -> str:
    """As Windows compares names: ignoring case and trailing dots and spaces."""
    return "/".join(part.rstrip(". ").casefold() for part in path.parts)


@pytest.mark.timeout(300)
def test_every_colliding_name_gets_its_own_page(
    colliding_registry: RunningRegistry, tmp_path: Path
) -> None:
    write_config(
        tmp_path,
        f"site:\n  url: https://example.test/catalog/\n"
        f"registries:\n  - name: real\n    url: {colliding_registry.url}\n",
    )
    result = run_cli(
        ["build", "--no-cache", "--strict"],
        tmp_path,
        env={"HOME": str(tmp_path), "DOCKER_CONFIG": str(tmp_path), "REGISTRY_AUTH_FILE": "x"},
    )
    assert result.exit_code == 0, result.output
    site = result.site

    registry = page_data(site, "real/")
    listed = {r["name"]: r["path"] for r in registry["repository_list"]}
    assert listed == {name: f"real/{path}" for name, path in REPOSITORIES.items()}
    for name, path in REPOSITORIES.items():
        data = page_data(site, f"real/{path}")
        assert data["name"] == name
        main = page_data(site, f"real/{path}_tags/main/")
        assert main["image"]["config"]["labels"] == {"org.example.name": name}

    app = page_data(site, "real/app/")
    rows = {row["name"]: row["path"] for row in app["tags"]}
    assert rows == {
        **{tag: f"real/app/_tags/{slug}/" for tag, slug in TAGS.items()},
        "main": "real/app/_tags/main/",
    }
    digests = set()
    for tag, slug in TAGS.items():
        data = page_data(site, f"real/app/_tags/{slug}/")
        assert data["tag"] == tag
        assert data["image"]["config"]["labels"] == {"org.example.name": f"app:{tag}"}
        assert (site / data["digest_path"] / "index.html").is_file()
        digests.add(data["digest"])
    assert len(digests) == len(TAGS)

    # Links follow: the catalog, the repository's tag data and the sitemap use the paths.
    catalog = json.loads((site / "api/catalog.json").read_text())
    (real,) = catalog["registries"]
    assert {r["name"]: r["path"] for r in real["repositories"]} == listed
    assert '"path":"real/app/_tags/v1.~/"' in (site / "real/app/_tags.js").read_text()
    sitemap = (site / "sitemap.xml").read_text()
    assert "https://example.test/catalog/real/app/index~.json/" in sitemap
    assert "https://example.test/catalog/real/app/_tags/con~/" in sitemap

    # The whole tree is one-to-one where case and trailing dots do not count, and has
    # no Windows device name in it.
    tree = [p.relative_to(site) for p in site.rglob("*")]
    assert len({_windows(p) for p in tree}) == len(tree)
    for path in tree:
        for part in path.parts:
            assert part.partition(".")[0].casefold() not in WINDOWS_DEVICES, path
            assert not part.endswith((".", " ")) and len(part.encode()) <= 255, path
