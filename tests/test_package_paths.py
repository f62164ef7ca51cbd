"""Package names -> directories (``paths.package_slug``): names come from SBOMs, so
anything at all; every one gets its own directory inside ``packages/`` on every file
system, and a plain name is itself."""

from __future__ import annotations

import unicodedata

import pytest

from sitegen.site import paths

ODD = (
    "../../x",
    "..",
    ".",
    "",
    "a/b",
    "a\\b",
    "a?b#c",
    "OpenSSL",
    "openssl~0123",
    "con",
    "nul.tar",
    "LPT1",
    "index.html",
    "index.json",
    "_pages",
    "v1.",
    "ünïcode",
    "e\u0301",
    "\u00e9",
    "a\x00b",
    "tab\tname",
    "y" * 300,
    "😀",
)


@pytest.mark.parametrize("name", ["musl", "openssl", "libstdc++", "py3-six", "zlib1g", "a.b_c"])
def test_a_plain_name_is_its_own_directory(name: str) -> None:
    assert paths.package_path(name) == f"packages/{name}/"


@pytest.mark.parametrize("name", [n for n in ODD if n])
def test_any_other_name_gets_a_safe_directory_inside_packages(name: str) -> None:
    slug = paths.package_slug(name)
    assert "~" in slug and slug.isascii() and slug.isprintable()
    assert not set(slug) & set('/\\?#%:*"<>|') and " " not in slug
    assert not slug.startswith((".", "_")) and not slug.endswith(".")
    assert len(slug.encode()) <= 100
    assert slug.partition(".")[0].lower() not in paths.WINDOWS_DEVICES
    assert slug not in paths.PAGE_FILES
    assert paths.package_path(name) == f"packages/{slug}/"


def test_no_two_names_share_a_directory_even_where_case_does_not_count() -> None:
    names = [n for n in ODD if n] + ["openssl", "Openssl", "OPENSSL", "musl", "MUSL"]
    names += [unicodedata.normalize("NFC", "e\u0301"), f"{'y' * 300}z"]
    slugs = {paths.package_slug(n).lower() for n in set(names)}
    assert len(slugs) == len(set(names))
    # A plain name never looks like an escaped one, and never like the list's pages.
    assert paths.package_slug("openssl") != paths.package_slug("OpenSSL")
    assert paths.packages_path(2) == "packages/_pages/2/"
    assert all(not s.startswith("_") for s in slugs)


def test_a_package_without_a_name_has_no_page() -> None:
    with pytest.raises(ValueError, match="no page"):
        paths.package_path("")


def test_shards_are_stable_hash_prefixes() -> None:
    assert paths.package_shard("openssl") == paths.package_shard("openssl")
    assert len({paths.package_shard(f"package-{n}") for n in range(2000)}) == 256
    assert paths.package_shard_file("3f") == "api/packages/3f.json"
    with pytest.raises(ValueError):
        paths.package_shard_file("../x")


def test_sbom_files_are_named_by_digest_and_format() -> None:
    digest = "sha256:" + "ab" * 32
    assert paths.sbom_file(digest, "SPDX-2.3") == f"sboms/sha256-{'ab' * 32}.spdx.json"
    assert paths.sbom_file(digest, "CycloneDX 1.5") == f"sboms/sha256-{'ab' * 32}.cdx.json"
    with pytest.raises(ValueError):
        paths.sbom_file("../../etc/passwd", "SPDX-2.3")
