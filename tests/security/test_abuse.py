"""Registries that misbehave on purpose: hostile names, endless or huge bodies, silence,
redirect loops, floods of tags. The build must finish, bounded, and write nothing
outside its output directory."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from lab.images import Built, image
from sitegen.build import build
from sitegen.config import load_config
from sitegen.errors import OutputError
from tests.helpers import write_config

MANIFEST_TYPE = "application/vnd.oci.image.manifest.v1+json"
Handler = Callable[[httpx.Request], Any]


class Fake:
    """A scripted registry: one repository per name, every valid tag -> one image."""

    def __init__(self, catalog: list[Any], tags: dict[str, list[Any]], built: Built) -> None:
        self.catalog = catalog
        self.tags = tags
        self.built = built
        self.blobs = {b.digest: b.data for b in built.blobs}
        self.overrides: dict[str, Handler] = {}  # path suffix -> handler
        self.paths: list[str] = []

    async def __call__(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path
        self.paths.append(path)
        for suffix, handler in self.overrides.items():
            if path.endswith(suffix) and request.method != "HEAD":
                result = handler(request)
                return await result if asyncio.iscoroutine(result) else result
        if path == "/v2/":
            return httpx.Response(200, json={})
        if path == "/v2/_catalog":
            return httpx.Response(200, json={"repositories": self.catalog})
        if path.endswith("/tags/list"):
            name = path[len("/v2/") : -len("/tags/list")]
            return httpx.Response(200, json={"name": name, "tags": self.tags.get(name, [])})
        if "/manifests/" in path:
            headers = {"Content-Type": MANIFEST_TYPE, "Docker-Content-Digest": self.built.digest}
            body = b"" if request.method == "HEAD" else self.built.manifest
            return httpx.Response(200, content=body, headers=headers)
        if "/blobs/" in path:
            digest = path.rpartition("/")[2]
            return httpx.Response(200, content=self.blobs[digest])
        return httpx.Response(404, json={"errors": [{"code": "NOT_FOUND"}]})


def run(tmp_path: Path, fake: Fake, extra: str = "", top: str = "") -> Any:
    config = write_config(
        tmp_path,
        f"{top}registries:\n  - name: fake\n    url: https://registry.test\n"
        f"    timeout: 1\n    retries: 0\n{extra}",
    )
    return build(
        load_config(config, environ={}),
        tmp_path / "out" / "site",
        cache_dir=None,
        transport=httpx.MockTransport(fake),
    )


@pytest.fixture
def built() -> Built:
    return image(files=({"/x": b"x"},))


def outside_files(tmp_path: Path) -> list[str]:
    """Files written anywhere in tmp_path except the site, its lock and the config."""
    return sorted(
        str(p.relative_to(tmp_path))
        for p in tmp_path.rglob("*")
        if p.is_file()
        and "site" not in p.relative_to(tmp_path).parts
        and p.name not in ("registries.yaml", ".sitegen-lock-site")
    )


@pytest.mark.timeout(60)
def test_hostile_names_are_skipped_and_never_become_paths(
    tmp_path: Path, built: Built, caplog: pytest.LogCaptureFixture
) -> None:
    long = "a" * 300
    fake = Fake(
        catalog=[
            "good/app",
            "../x",
            "a/../../b",
            "UPPER/case",
            long,
            "x\x00y",
            "ok//double",
            "",
            None,
            5,
            "/abs",
            "good/other",
        ],
        tags={
            "good/app": [
                "latest",
                "Latest",
                "v1",
                "../etc",
                "a/b",
                "x\x00",
                "t" * 300,
                "",
                None,
                42,
                "sha256:" + "0" * 64,
                ".hidden",
                "-dash",
                "<b>",
            ],
            "good/other": ["1"],
        },
        built=built,
    )
    caplog.set_level(logging.WARNING)
    result = run(tmp_path, fake)
    site = tmp_path / "out" / "site"
    repos = [r.name for r in result.catalog.registries[0].repositories]
    assert repos == ["good/app", "good/other"]
    tags = sorted(t.name for t in result.catalog.registries[0].repositories[0].tags)
    assert tags == ["Latest", "latest", "v1"]
    # Invalid names are reported; null, empty and non-string entries are just dropped.
    assert "fake: list repositories: skipped 7 entries that are not valid names" in caplog.text
    assert "fake/good/app: list tags: skipped 8 entries that are not valid names" in caplog.text
    # Case-only differences get distinct directories (case-insensitive checkouts).
    assert (site / "fake/good/app/_tags/latest/index.html").is_file()
    assert (site / "fake/good/app/_tags/~latest/index.html").is_file()
    names = {p.name.lower() for p in (site / "fake/good/app/_tags").iterdir()}
    assert len(names) == 3
    # Nothing was requested for, or written from, an invalid name.
    assert not [p for p in fake.paths if ".." in p or "\x00" in p or "etc" in p]
    assert outside_files(tmp_path) == []
    for path in site.rglob("*"):
        assert ".." not in path.relative_to(site).parts
        assert "\x00" not in str(path)


async def _endless() -> AsyncIterator[bytes]:
    chunk = b"{" * 65536
    while True:  # bounded by the reader's cap, which is what this test proves
        yield chunk
        await asyncio.sleep(0)


@pytest.mark.timeout(60)
def test_endless_manifest_body_is_cut_at_the_cap(tmp_path: Path, built: Built) -> None:
    fake = Fake(["big/app"], {"big/app": ["1", "2"]}, built)
    fake.overrides[f"/manifests/{built.digest}"] = lambda _: httpx.Response(
        200, headers={"Content-Type": MANIFEST_TYPE}, content=_endless()
    )
    result = run(tmp_path, fake)
    repo = result.catalog.registries[0].repositories[0]
    assert repo.tags == ()
    assert any("larger than the 4194304-byte limit" in str(p) for p in repo.problems)
    # A tag that could not be read is a failure: --strict and the build report see it.
    assert any("larger than" in f for f in result.failures)


@pytest.mark.timeout(60)
def test_hundred_megabyte_manifest_is_refused_before_reading(tmp_path: Path, built: Built) -> None:
    fake = Fake(["big/app"], {"big/app": ["1"]}, built)
    sent = []

    async def huge() -> AsyncIterator[bytes]:
        for _ in range(1600):  # 100 MB in 64 KiB chunks, if anybody read it all
            sent.append(1)
            yield b" " * 65536

    fake.overrides[f"/manifests/{built.digest}"] = lambda _: httpx.Response(
        200,
        headers={"Content-Type": MANIFEST_TYPE, "Content-Length": str(100 << 20)},
        content=huge(),
    )
    result = run(tmp_path, fake)
    assert any(
        "larger than" in str(p) for p in result.catalog.registries[0].repositories[0].problems
    )
    assert len(sent) <= 1


@pytest.mark.timeout(60)
def test_a_registry_that_never_answers_times_out(tmp_path: Path, built: Built) -> None:
    fake = Fake(["slow/app", "fine/app"], {"slow/app": ["1"], "fine/app": ["1"]}, built)

    async def silence(_: httpx.Request) -> httpx.Response:
        await asyncio.sleep(3600)
        raise AssertionError("unreachable")

    fake.overrides["/slow/app/tags/list"] = silence
    result = run(tmp_path, fake)
    slow, fine = sorted(result.catalog.registries[0].repositories, key=lambda r: r.name)[::-1]
    assert "timed out" in slow.error
    assert [t.name for t in fine.tags] == ["1"]


@pytest.mark.timeout(60)
def test_huge_config_blob_is_refused(tmp_path: Path, built: Built) -> None:
    fake = Fake(["big/app"], {"big/app": ["1"]}, built)
    config_digest = json.loads(built.manifest)["config"]["digest"]
    fake.overrides[f"/blobs/{config_digest}"] = lambda _: httpx.Response(
        200, headers={"Content-Length": str(100 << 20)}, content=b""
    )
    result = run(tmp_path, fake)
    repo = result.catalog.registries[0].repositories[0]
    assert [t.name for t in repo.tags] == ["1"]  # the tag is shown, without its config
    assert any("config" in str(p) and "larger than" in str(p) for p in repo.problems)
    assert len(result.failures) == 1


@pytest.mark.timeout(60)
def test_redirect_loop_stops(tmp_path: Path, built: Built) -> None:
    fake = Fake(["loop/app"], {"loop/app": ["1"]}, built)
    config_digest = json.loads(built.manifest)["config"]["digest"]
    fake.overrides[f"/blobs/{config_digest}"] = lambda request: httpx.Response(
        307, headers={"Location": str(request.url)}
    )
    result = run(tmp_path, fake)
    problems = result.catalog.registries[0].repositories[0].problems
    assert any("more than 10 redirects" in str(p) for p in problems)
    assert fake.paths.count(f"/v2/loop/app/blobs/{config_digest}") == 11


@pytest.mark.timeout(60)
def test_tag_flood_is_capped(
    tmp_path: Path, built: Built, caplog: pytest.LogCaptureFixture
) -> None:
    fake = Fake(["many/app"], {"many/app": [f"v{n}" for n in range(5000)]}, built)
    caplog.set_level(logging.WARNING)
    result = run(tmp_path, fake, top="limits:\n  tags_per_repository: 50\n")
    assert len(result.catalog.registries[0].repositories[0].tags) == 50
    assert "list tags stopped at its limit after 50 entries" in caplog.text


def test_site_page_limit_fails_the_build_and_keeps_the_old_site(
    tmp_path: Path, built: Built
) -> None:
    fake = Fake(["many/app"], {"many/app": [f"v{n}" for n in range(40)]}, built)
    run(tmp_path, fake)
    site = tmp_path / "out" / "site"
    before = sorted(p.relative_to(site) for p in site.rglob("*"))
    with pytest.raises(OutputError, match="more than 20 pages"):
        run(tmp_path, fake, top="limits:\n  site_pages: 20\n")
    assert sorted(p.relative_to(site) for p in site.rglob("*")) == before
