"""A registry that cannot be reached is shown from its last good crawl, supply chain
included: the signatures, provenance and SBOMs that crawl read are read again from the
cache (the state remembers where each referrer was), without a request; a document the
cache lost becomes a note, not a failure."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from lab.attestations import buildkit_attestations
from lab.images import cosign_signature, fallback_tag, image, index, referrers_index
from lab.registry import running_registry
from lab.signatures import KEYLESS, bundle_manifest, layer_annotations, sigstore_bundle
from sitegen.build import build
from sitegen.config import load_config
from sitegen.crawl.cache import Cache
from sitegen.crawl.state import State
from sitegen.site import paths
from tests.helpers import read_page, write_config

REPO = "offline/app"
SOURCE = "https://github.com/example/app"


def _app(n: int, architecture: str = "amd64") -> Any:
    return image(
        created=f"2024-0{n}-01T00:00:00Z",
        architecture=architecture,
        files=({"/app": f"{n} {architecture}".encode()},),
    )


def _summary(site: Path) -> dict[str, Any]:
    """What a reader sees of the supply chain: the badges and each tag's referrers."""
    _, listing = read_page(site, paths.repository_path("local", REPO))
    rows = {r["name"]: (r["signed"], r["provenance"], r["sbom"]) for r in listing["tags"]}
    pages = {}
    for tag in rows:
        _, data = read_page(site, paths.tag_path("local", REPO, tag))
        pages[tag] = sorted(
            (r["kind"], r["digest"], len(r["signatures"]), r["note"]) for r in data["referrers"]
        )
    return {"rows": rows, "referrers": pages}


def test_a_failed_registry_keeps_its_supply_chain_from_the_cache(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    with running_registry(tmp_path / "registry") as registry:
        multi = index(
            [_app(1), _app(1, "arm64")],
            attestations=buildkit_attestations(source=SOURCE, revision="ab" * 20, args={}),
        )
        single = _app(2)
        signature = cosign_signature(multi, annotations=layer_annotations(KEYLESS))
        bundle = bundle_manifest(
            single, sigstore_bundle(), {"dev.sigstore.bundle.content": "dsse-envelope"}
        )
        with registry.pusher() as pusher:
            pusher.push(REPO, multi, ["1.0"])
            pusher.push(REPO, single, ["2.0"])
            pusher.push(REPO, signature, [f"{fallback_tag(multi.digest)}.sig"])
            pusher.push(REPO, referrers_index([bundle]), [fallback_tag(single.digest)])
        config = write_config(
            tmp_path,
            f"registries:\n  - name: local\n    url: {registry.url}\n    timeout: 2\n"
            f"    retries: 0\n    repositories: [{REPO}]\n",
        )
        build(load_config(config, environ={}), tmp_path / "site", cache_dir=cache)
        good = _summary(tmp_path / "site")
    assert good["rows"] == {"1.0": (True, True, True), "2.0": (False, False, False)}
    assert [k for k, *_ in good["referrers"]["2.0"]] == ["attestation"]
    assert State.load(cache).repositories[("local", REPO)].referrers

    # The registry is gone: the same site, from the cache alone.
    result = build(load_config(config, environ={}), tmp_path / "site", cache_dir=cache)
    (repository,) = result.catalog.registries[0].repositories
    assert repository.stale_since and repository.error
    assert _summary(tmp_path / "site") == good
    _, tag = read_page(tmp_path / "site", paths.tag_path("local", REPO, "1.0"))
    assert tag["platform_list"][0]["provenance"] and tag["platform_list"][0]["sboms"]
    assert tag["referrers"][0]["signatures"][0]["identity"].startswith("https://github.com/")
    # And once more, still offline: the state still remembers them.
    build(load_config(config, environ={}), tmp_path / "site", cache_dir=cache)
    assert _summary(tmp_path / "site") == good

    # A document the cache lost is a note on its row; the rest still shows.
    Cache(cache).path(bundle.digest).unlink()
    build(load_config(config, environ={}), tmp_path / "site", cache_dir=cache)
    after = _summary(tmp_path / "site")
    assert after["rows"] == good["rows"] and after["referrers"]["1.0"] == good["referrers"]["1.0"]
    (row,) = after["referrers"]["2.0"]
    assert row[1] == bundle.digest and "not in the cache" in row[3]
