"""docs/protocol.md items 17 and 20: a signed schema1 manifest is shown and cached as the bytes its
digest covers (the JWS payload), never with its ``signatures`` block.

The block is not covered by the digest, so a registry (or anything on the way) can put
anything there without changing the digest. Whatever it holds must not reach a page,
nor the cache that other registries read for the same digest.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from lab.fakeregistry import FakeRegistry
from sitegen.build import build
from sitegen.config import load_config
from sitegen.oci import mediatypes
from tests.helpers import site_text, write_config
from tests.registry.fakes import fixture_bytes

SIGNED = fixture_bytes("distribution/schema1-signed-mitr-busybox-2016.json")
# The payload: what the protected header's formatLength (5478) and formatTail ("\n}") cut.
PAYLOAD = SIGNED[: SIGNED.index(b',\n   "signatures"')] + b"\n}"
DIGEST = "sha256:" + hashlib.sha256(PAYLOAD).hexdigest()
JUNK = "junk-outside-the-digest"


def with_junk(body: bytes) -> bytes:
    """The same manifest, same digest, with junk where the digest does not look: inside
    the signatures block, and a duplicate top-level key after it (JSON parsers keep the
    last one, so reading the whole body would show the registry's ``architecture``)."""
    junky = body.replace(b'"alg": "ES256"', f'"alg": "ES256", "note": "<b>{JUNK}</b>"'.encode())
    end = junky.rindex(b"}")
    junky = junky[:end] + f',\n   "architecture": "{JUNK}"\n'.encode() + junky[end:]
    assert junky[:5478] == SIGNED[:5478]
    return junky


def registry(body: bytes) -> FakeRegistry:
    fake = FakeRegistry()
    fake.repositories["mitr/busybox"] = {"latest": DIGEST}
    fake.manifests[DIGEST] = (mediatypes.DOCKER_SCHEMA1_SIGNED, body)
    return fake


def build_with(tmp_path: Path, name: str, fake: FakeRegistry, cache: Path) -> Path:
    config = write_config(
        tmp_path, f"registries:\n  - name: {name}\n    url: https://{name}.test\n"
    )
    site = tmp_path / f"site-{name}"
    result = build(load_config(config, environ={}), site, cache_dir=cache, transport=fake.transport)
    assert result.failures == ()
    return site


def tag_page(site: Path, name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(
        (site / name / "mitr" / "busybox" / "_tags" / "latest" / "index.json").read_text()
    )
    return data


def test_only_what_the_digest_covers_is_shown_and_cached(tmp_path: Path) -> None:
    assert hashlib.sha256(with_junk(SIGNED)).hexdigest() != DIGEST.partition(":")[2]
    cache = tmp_path / "cache"
    dirty = registry(with_junk(SIGNED))
    site = build_with(tmp_path, "dirty", dirty, cache)

    assert JUNK not in site_text(site)
    tag = tag_page(site, "dirty")
    assert tag["digest"] == DIGEST
    assert tag["manifest"] == json.loads(PAYLOAD)  # the payload, without signatures
    assert tag["media_type"] == mediatypes.DOCKER_SCHEMA1  # the type of those bytes
    assert [p["platform"] for p in tag["platforms"]] == ["linux/amd64"]
    # The cache holds the payload, byte for byte: it hashes to its name.
    entries = [p for p in (cache / "blobs").rglob("*") if p.is_file()]
    assert [p.read_bytes() for p in entries] == [PAYLOAD]
    assert JUNK not in site_text(cache)

    # An honest registry serving the same digest reads it from the shared cache.
    clean = registry(SIGNED)
    clean_site = build_with(tmp_path, "clean", clean, cache)
    assert ("GET", "/v2/mitr/busybox/manifests/" + DIGEST) not in clean.requests
    assert JUNK not in site_text(clean_site)
    assert tag_page(clean_site, "clean")["manifest"] == tag["manifest"]


def test_a_cold_and_a_warm_build_show_the_same_manifest(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    cold = tag_page(build_with(tmp_path, "reg", registry(SIGNED), cache), "reg")
    warm = tag_page(build_with(tmp_path, "reg", registry(SIGNED), cache), "reg")
    assert warm == cold


def test_a_cache_entry_holding_more_than_the_payload_is_dropped(tmp_path: Path) -> None:
    # What a cache written by an earlier sitegen holds: the whole signed body, junk and
    # all, under the payload's digest. Its bytes do not hash to its name.
    cache = tmp_path / "cache"
    entry = cache / "blobs" / "sha256" / DIGEST[7:9] / DIGEST[7:]
    entry.parent.mkdir(parents=True)
    entry.write_bytes(with_junk(SIGNED))
    clean = registry(SIGNED)
    site = build_with(tmp_path, "clean", clean, cache)
    assert JUNK not in site_text(site)
    assert ("GET", "/v2/mitr/busybox/manifests/" + DIGEST) in clean.requests
    assert entry.read_bytes() == PAYLOAD
