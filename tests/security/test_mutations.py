"""Real registry documents, broken at every path, through the whole build.

Each document in ``DOCUMENTS`` is a captured answer of a real registry
(tests/fixtures/real-world). ``lab.hostilejson.variants`` makes one copy per path and
hostile value (null, huge and non-finite numbers, nesting too deep to parse and nesting
that parses, lone surrogates, wrong types, surrogate keys). A fake registry serves each
copy where that kind of document is read - a manifest, a config blob, a tags list, a
catalog, a referrers answer, a token response, an error body - and the crawl, the page
data, the HTML, the ``index.json`` files, ``_tags.js``, the catalog, the feeds and the
sitemap are all made from it and encoded to UTF-8, exactly as a build makes them. Nothing
may raise: a broken document degrades its own tag or repository, with a message.
"""

from __future__ import annotations

import asyncio
import functools
import json
import traceback
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from lab.hostilejson import variants
from lab.images import Built, attestation_manifest, image, sha256_digest
from sitegen.config import SiteConfig, load_config
from sitegen.crawl import crawl
from sitegen.crawl.cache import Cache
from sitegen.crawl.state import State
from sitegen.oci.mediatypes import DOCKER_SCHEMA1_SIGNED, OCI_INDEX, OCI_MANIFEST
from sitegen.registry.client import RegistryClient
from sitegen.registry.transport import RetryPolicy
from sitegen.site.feeds import feeds
from sitegen.site.pages.catalog import catalog_document, page_units
from sitegen.site.pages.history import Timeline
from sitegen.site.pages.repository import tag_data_file
from sitegen.site.render import Renderer
from sitegen.site.sitemap import sitemaps
from tests.helpers import write_config

REAL_WORLD = Path(__file__).parent.parent / "fixtures" / "real-world"
IMAGES = "manifest"
INDEXES = "index"
SCHEMA1 = "schema1"
CONFIGS = "config"
TAG_LISTS = "tags"
CATALOGS = "catalog"
REFERRERS = "referrers"
TOKENS = "token"
ERRORS = "error"

DOCUMENTS: dict[str, str] = {
    "dockerhub/manifest-httpd-2.4.23-2016.json": IMAGES,
    "dockerhub/manifest-mysql-latest-amd64-2024.json": IMAGES,
    "gcr/distroless-java17-manifest-2023.json": IMAGES,
    "distribution/buildkit-attestation-manifest-example.json": IMAGES,
    "distribution/oci-image-manifest-base-annotations.json": IMAGES,
    "distribution/oci-artifact-manifest-with-subject-2025.json": IMAGES,
    "distribution/cosign-signature-manifest-2021.json": IMAGES,
    "ghcr/devcontainer-feature-manifest.json": IMAGES,
    "dockerhub/index-mysql-latest-2024.json": INDEXES,
    "distribution/buildkit-attestation-index-example.json": INDEXES,
    "gcr/distroless-base-nossl-manifest-list-2023.json": INDEXES,
    "dockerhub/manifest-list-phpmyadmin-latest-2024.json": INDEXES,
    "distribution/schema1-signed-mitr-busybox-2016.json": SCHEMA1,
    "dockerhub/config-httpd-2.4.23-2016.json": CONFIGS,
    "distribution/buildkit-attestation-config-example.json": CONFIGS,
    "distribution/tags-list-null-2016.json": TAG_LISTS,
    "ghcr/tags-list.json": TAG_LISTS,
    "acr/tags-page-1.json": TAG_LISTS,
    "ecr/public-tags-list-2025-partial.json": TAG_LISTS,
    "acr/catalog-page-1.json": CATALOGS,
    "supply-chain/notation-referrers-tag-index-2025.json": REFERRERS,
    "supply-chain/sigstore-bundle-referrers-tag-index-2025.json": REFERRERS,
    "dockerhub/token-response-2019.json": TOKENS,
    "dockerhub/token-response-2016.json": TOKENS,
    "distribution/token-response-spec.json": TOKENS,
    "distribution/oauth-token-response-spec.json": TOKENS,
    "acr/oauth2-token-response.json": TOKENS,
    "harbor/token-200-v1.9.2.json": TOKENS,
    "dockerhub/manifest-401-insufficient-scope.json": ERRORS,
    "dockerhub/manifest-404-manifest-unknown.json": ERRORS,
    "dockerhub/manifest-429-toomanyrequests.json": ERRORS,
    "harbor/manifest-404-not-found-v2.10.2.json": ERRORS,
    "quay/catalog-invalid-bearer-format.json": ERRORS,
    "ghcr/basic-auth-denied.json": ERRORS,
    "other/redhat-manifest-404-nonstandard-code.json": ERRORS,
    "ecr/public-tags-list-404-2022.json": ERRORS,
    "distribution/tags-list-404-name-unknown-v3.json": ERRORS,
}
HTTPD_MANIFEST = "dockerhub/manifest-httpd-2.4.23-2016.json"
# Roles that need a registry of their own per variant: the registry remembers a token,
# whether the referrers API exists, and has one catalog.
PER_REGISTRY = frozenset({CATALOGS, REFERRERS, TOKENS})


def _document(name: str) -> Any:
    return json.loads((REAL_WORLD / name).read_bytes())


@dataclass
class World:
    """Fake registries on ``<name>.test`` serving healthy images and hostile documents."""

    healthy: Built = field(default_factory=lambda: image(files=({"/x": b"x"},)))
    token_hosts: set[str] = field(default_factory=set)
    catalogs: dict[str, list[str] | bytes] = field(default_factory=dict)  # host -> names
    answers: dict[tuple[str, str], tuple[int, bytes, dict[str, str]]] = field(
        default_factory=dict
    )  # (host, path) -> (status, body, headers): tags lists, tokens, errors, referrers
    manifests: dict[str, tuple[str, bytes, bool]] = field(default_factory=dict)
    tagged: dict[tuple[str, str, str], str] = field(default_factory=dict)  # -> digest
    blobs: dict[str, bytes] = field(default_factory=dict)
    catalog: list[str] = field(default_factory=list)  # of m.test
    tag_lists: dict[str, list[str]] = field(default_factory=dict)  # of m.test

    def __post_init__(self) -> None:
        self.add_built(self.healthy)

    def add_built(self, built: Built) -> None:
        for item in built.walk():
            self.manifests[item.digest] = (item.media_type, item.manifest, True)
            for blob in item.blobs:
                self.blobs[blob.digest] = blob.data

    def add_manifest(self, media_type: str, body: bytes, *, send_digest: bool = True) -> str:
        digest = sha256_digest(body)
        self.manifests[digest] = (media_type, body, send_digest)
        return digest

    def handle(self, request: httpx.Request) -> httpx.Response:
        host, path = request.url.host, request.url.path
        answer = self.answers.get((host, path))
        if answer is not None:
            status, body, headers = answer
            return httpx.Response(status, content=body, headers=headers)
        if path == "/v2/":
            if host in self.token_hosts and "authorization" not in request.headers:
                challenge = f'Bearer realm="https://{host}/token",service="{host}"'
                return httpx.Response(401, json={}, headers={"WWW-Authenticate": challenge})
            return httpx.Response(200, json={})
        if path == "/v2/_catalog":
            names = self.catalogs.get(host, [])
            if isinstance(names, bytes):
                return httpx.Response(200, content=names)
            return httpx.Response(200, json={"repositories": names})
        if path.endswith("/tags/list"):
            name = path[len("/v2/") : -len("/tags/list")]
            return httpx.Response(200, json={"tags": self.tag_lists.get(name, ["t"])})
        if "/manifests/" in path:
            name, _, reference = path[len("/v2/") :].partition("/manifests/")
            digest = self.tagged.get((host, name, reference), reference)
            if (host, name, reference) not in self.tagged and reference == "t":
                digest = self.healthy.digest
            found = self.manifests.get(digest)
            if found is None:
                return httpx.Response(404, json={"errors": [{"code": "MANIFEST_UNKNOWN"}]})
            media_type, body, send_digest = found
            headers = {"Content-Type": media_type}
            if send_digest:
                headers["Docker-Content-Digest"] = digest
            return httpx.Response(
                200, content=b"" if request.method == "HEAD" else body, headers=headers
            )
        if "/blobs/" in path:
            data = self.blobs.get(path.rpartition("/")[2])
            if data is None:
                return httpx.Response(404, json={"errors": [{"code": "BLOB_UNKNOWN"}]})
            return httpx.Response(200, content=data)
        return httpx.Response(404, json={"errors": [{"code": "NOT_FOUND"}]})


def _served_index(document: Any, world: World) -> Any:
    """A real index whose children are images the fake serves (same platforms)."""
    if not isinstance(document, dict) or not isinstance(document.get("manifests"), list):
        return document
    children: dict[str, Built] = {}
    entries = []
    for original in document["manifests"]:
        entry = dict(original)
        platform = entry.get("platform") or {}
        reference = (entry.get("annotations") or {}).get("vnd.docker.reference.digest")
        if reference in children:
            built = attestation_manifest(children[reference])
            entry["annotations"] = {
                **entry["annotations"],
                "vnd.docker.reference.digest": children[reference].digest,
            }
        else:
            built = image(
                os=platform.get("os", "linux"),
                architecture=platform.get("architecture", "amd64"),
                variant=platform.get("variant"),
                files=({"/p": json.dumps(platform).encode()},),
            )
        children[original["digest"]] = built
        world.add_built(built)
        entry.update(digest=built.digest, size=built.size)
        entries.append(entry)
    return {**document, "manifests": entries}


def _media_type(document: Any, role: str) -> str:
    declared = document.get("mediaType") if isinstance(document, dict) else None
    if isinstance(declared, str) and declared:
        return declared
    return {INDEXES: OCI_INDEX, SCHEMA1: DOCKER_SCHEMA1_SIGNED}.get(role, OCI_MANIFEST)


@dataclass
class Setup:
    """One document's variants, placed in a world, with the config to crawl them."""

    world: World
    config: str
    labels: dict[str, str] = field(default_factory=dict)  # registry/repository[:tag] -> label
    cached: dict[str, bytes] = field(default_factory=dict)  # digest -> what the cache holds


# Variants read per tag (manifests, configs) are the tags of shared repositories, so
# that each costs a tag's pages and requests rather than a whole repository's.
TAGS_PER_REPOSITORY = 100


def _setup(name: str, role: str) -> Setup:
    world = World()
    document = _document(name)
    if role == INDEXES:
        document = _served_index(document, world)
    setup = Setup(world, "")
    registries = ["  - name: m\n    url: https://m.test\n    timeout: 5\n    retries: 0\n"]
    healthy_hex = world.healthy.digest.partition(":")[2]
    for number, variant in enumerate(variants(document)):
        if role in PER_REGISTRY:
            slug = f"r{number}"
            host = f"{slug}.test"
            setup.labels[slug] = variant.label
            listing = "    repositories: [app]\n" if role != CATALOGS else ""
            registries.append(
                f"  - name: {slug}\n    url: https://{host}\n    timeout: 5\n    retries: 0\n"
                + listing
            )
            if role == CATALOGS:
                world.catalogs[host] = variant.body
            elif role == TOKENS:
                world.token_hosts.add(host)
                world.answers[(host, "/token")] = (200, variant.body, {})
            else:
                referrers = f"/v2/app/referrers/{world.healthy.digest}"
                world.answers[(host, referrers)] = (200, variant.body, {"Content-Type": OCI_INDEX})
                world.answers[(host, "/v2/app/tags/list")] = (
                    200,
                    json.dumps({"tags": ["t", f"sha256-{healthy_hex}"]}).encode(),
                    {},
                )
                digest = world.add_manifest(OCI_INDEX, variant.body)
                world.tagged[(host, "app", f"sha256-{healthy_hex}")] = digest
            continue
        if role in (TAG_LISTS, ERRORS):
            repository = f"v/{number}"
            setup.labels[f"m/{repository}"] = variant.label
            status = 200 if role == TAG_LISTS else 404
            world.answers[("m.test", f"/v2/{repository}/tags/list")] = (status, variant.body, {})
            world.catalog.append(repository)
            continue
        repository, tag = f"v/{number // TAGS_PER_REPOSITORY}", f"t{number}"
        setup.labels[f"m/{repository}:{tag}"] = variant.label
        if repository not in world.catalog:
            world.catalog.append(repository)
        tags = world.tag_lists.setdefault(repository, [])
        tags.append(tag)
        if role == CONFIGS:
            manifest = _document(HTTPD_MANIFEST)
            config_digest = sha256_digest(variant.body)
            manifest["config"] = {
                **manifest["config"],
                "digest": config_digest,
                "size": len(variant.body),
            }
            world.blobs[config_digest] = variant.body
            digest = world.add_manifest(manifest["mediaType"], json.dumps(manifest).encode())
        else:
            # A signed schema1 digest covers the JWS payload: with no digest header
            # the client works it out itself.
            digest = world.add_manifest(
                _media_type(document, role), variant.body, send_digest=role != SCHEMA1
            )
        world.tagged[("m.test", repository, tag)] = digest
        setup.labels[f"m/{repository}@{digest}"] = variant.label
        if number % 2:
            # Every other one as a warm rebuild finds it: in the cache, written by a
            # version that read more than this one (only a HEAD goes to the registry).
            setup.cached[digest] = world.manifests[digest][1]
            if role == CONFIGS:
                setup.cached[config_digest] = variant.body
    world.catalogs["m.test"] = world.catalog
    setup.config = (
        "site:\n  title: Mutations\n  url: https://example.test/\nregistries:\n"
        + "".join(registries)
    )
    return setup


@functools.cache
def _renderer(site: SiteConfig) -> Renderer:
    """One renderer for every document (its templates compile once: half a second)."""
    return Renderer(site)


def _strict_json(text: str) -> None:
    def refuse(constant: str) -> None:
        raise ValueError(f"{constant} in index.json")

    json.loads(text, parse_constant=refuse)


def _build(name: str, role: str, tmp_path: Path) -> Iterator[str]:
    """Failures (with the variant that caused each) of building one document's variants."""
    setup = _setup(name, role)
    config = load_config(write_config(tmp_path, setup.config), environ={})

    cache = Cache(None)
    for digest, data in setup.cached.items():
        cache.put(digest, data)

    async def gather() -> Any:
        async with RegistryClient(
            config.registries,
            transport=httpx.MockTransport(setup.world.handle),
            retry=RetryPolicy(attempts=1),
            limits=config.limits,
        ) as client:
            return await crawl(config, client, cache, state=State(), now="2024-06-01T00:00:00Z")

    try:
        outcome = asyncio.run(gather())
    except Exception:
        yield f"{name}: the crawl raised:\n{traceback.format_exc(limit=-6)}"
        return
    catalog = outcome.catalog
    renderer = _renderer(config.site)
    timeline = Timeline(catalog)
    page_paths: list[str] = []
    for unit in page_units(catalog, timeline):
        try:
            for page in unit.pages():
                page_paths.append(page.path)
                page.path.encode("utf-8")
                renderer.html(page).encode("utf-8")
                text = renderer.json(page)
                text.encode("utf-8")
                _strict_json(text)
                data_file = tag_data_file(page)
                if data_file is not None:
                    data_file[1].encode("utf-8")
        except Exception as exc:
            where = _which(page.data, setup)
            yield f"{name}: {where}: {type(exc).__name__}: {exc}"[:500]
    try:
        json.dumps(catalog_document(catalog), ensure_ascii=False).encode("utf-8")
        for _, xml in feeds(catalog, timeline, renderer):
            xml.encode("utf-8")
        for text in sitemaps(renderer, "https://example.test/", page_paths).values():
            text.encode("utf-8")
    except Exception as exc:
        yield f"{name}: site-wide files: {type(exc).__name__}: {exc}"[:500]


def _which(data: dict[str, Any], setup: Setup) -> str:
    """The variant a failing page shows, as well as the page tells."""
    registry = str(data.get("registry", ""))
    repository = str(data.get("repository", data.get("name", "")))
    where = f"{registry}/{repository}"
    for key in (f"{where}:{data.get('tag')}", f"{where}@{data.get('digest')}", where, registry):
        if key in setup.labels:
            return setup.labels[key]
    return f"the {data.get('kind')} page of {where}"


@pytest.mark.timeout(300)
@pytest.mark.parametrize("name", sorted(DOCUMENTS))
def test_every_broken_document_degrades_only_itself(name: str, tmp_path: Path) -> None:
    failures = list(_build(name, DOCUMENTS[name], tmp_path))
    assert failures == [], f"{len(failures)} variants broke the build:\n" + "\n".join(failures[:20])
