"""A registry whose JSON is hostile, beside healthy ones: the build finishes and says why.

One repository's manifest, one's config blob, one's tags list and one's error body carry
each kind of hostile JSON; other repositories and a second registry are healthy. The
CLI builds the site over real sockets: it exits 0 (failures are on their pages, as
README "Commands and exit codes" says), every healthy page is there, and each hostile
repository or tag says in one line what was wrong.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from markupsafe import escape

from lab.hostilejson import DEEP, SURROGATES, nested_arrays, nested_objects
from lab.images import Built, image, sha256_digest
from tests.helpers import read_page, run_cli, write_config
from tests.registry.fakes import serve

OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
PLACEHOLDER = '"@hostile@"'


@dataclass(frozen=True)
class Hostile:
    """One kind of hostile JSON, and what the pages say about it."""

    raw: str  # JSON text put where a value belongs
    refused: str  # the reason a document holding it is refused ("" if it is read)


# kind (the namespace of its repositories) -> the hostile JSON
KINDS: dict[str, Hostile] = {
    "nesting-100000": Hostile(nested_arrays(DEEP), "nested more than 64 levels deep"),
    "objects-nested-100000": Hostile(nested_objects(DEEP), "nested more than 64 levels deep"),
    "nesting-900": Hostile(nested_arrays(900), "nested more than 64 levels deep"),
    "digits-4000": Hostile(
        "9" * 4000, "the number 99999999999999999999... (4000 digits) is out of range"
    ),
    "1e400": Hostile("1e400", "the number 1e400 is out of range"),
    "nan": Hostile("NaN", "NaN is not a JSON number"),
    "minus-infinity": Hostile("-Infinity", "-Infinity is not a JSON number"),
    "lone-surrogates": Hostile(SURROGATES, ""),
    "null": Hostile("null", ""),
    # A date whose moment in UTC falls outside the calendar.
    "date-at-the-edge-of-time": Hostile('"0001-01-01T00:00:00+01:00"', ""),
}


def _with(document: Any, raw: str) -> bytes:
    """``document`` (holding the placeholder string) with ``raw`` JSON in its place."""
    return json.dumps(document).replace(PLACEHOLDER, raw).encode()


def _manifest(built: Built, config: bytes | None, raw: str) -> bytes:
    """The image's manifest with ``raw`` as an annotation value, a layer's size, a key."""
    document = json.loads(built.manifest)
    document["annotations"] = {
        "org.opencontainers.image.description": "@hostile@",
        "org.example.key": "value",
    }
    document["layers"][0]["size"] = "@hostile@"
    if config is not None:
        document["config"] = {
            **document["config"],
            "digest": sha256_digest(config),
            "size": len(config),
        }
    text = _with(document, raw)
    if raw == SURROGATES:  # a key too
        text = text.replace(b'"org.example.key"', b'"org.example.\\udc00key"')
    return text


def _config(built: Built, raw: str) -> bytes:
    """The image's config with ``raw`` as a label, an env entry and a history command."""
    assert built.config is not None
    document = json.loads(built.config.data)
    document["config"]["Labels"] = {"org.example": "@hostile@"}
    document["config"]["Env"] = ["PATH=/bin", "@hostile@"]
    document["history"][0]["created_by"] = "@hostile@"
    document["history"][0]["created"] = "@hostile@"
    document["created"] = "@hostile@"
    return _with(document, raw)


class Registry:
    """A registry serving healthy images, and hostile JSON on the repositories named so."""

    def __init__(self, kinds: dict[str, Hostile]) -> None:
        self.good = image(files=({"/app": b"app"},), labels={"org.example.kind": "good"})
        self.other = image(files=({"/app": b"other"},), created="2024-02-01T00:00:00Z")
        self.routes: dict[str, Callable[[httpx.Request], httpx.Response]] = {}
        self.manifests: dict[str, tuple[str, bytes]] = {}
        self.blobs: dict[str, bytes] = {}
        self.tags: dict[str, dict[str, str]] = {"good/app": {}, "good/other": {}}
        for built, repository, tags in (
            (self.good, "good/app", ("v1", "latest")),
            (self.other, "good/other", ("1.0",)),
        ):
            self._store(built)
            self.tags[repository].update(dict.fromkeys(tags, built.digest))
        for kind, hostile in kinds.items():
            self._hostile(kind, hostile.raw)

    def _hostile(self, kind: str, raw: str) -> None:
        """Repositories ``<kind>/manifest``, ``/config``, ``/tags`` and ``/error``."""
        self.tags[f"{kind}/manifest"] = {"v1": self._raw(_manifest(self.good, None, raw))}
        config = _config(self.good, raw)
        self.blobs[sha256_digest(config)] = config
        self.tags[f"{kind}/config"] = {"v1": self._raw(_manifest(self.good, config, "7"))}
        self.tags[f"{kind}/tags"] = {"v1": self.good.digest}
        tags_list = _with({"name": f"{kind}/tags", "tags": ["v1", "@hostile@"]}, raw)
        self.routes[f"/v2/{kind}/tags/tags/list"] = lambda _: httpx.Response(200, content=tags_list)
        self.tags[f"{kind}/error"] = {}
        error = _with({"errors": [{"code": "NAME_UNKNOWN", "message": "@hostile@"}]}, raw)
        self.routes[f"/v2/{kind}/error/tags/list"] = lambda _: httpx.Response(404, content=error)

    def _store(self, built: Built) -> None:
        for item in built.walk():
            self.manifests[item.digest] = (item.media_type, item.manifest)
            for blob in item.blobs:
                self.blobs[blob.digest] = blob.data

    def _raw(self, body: bytes) -> str:
        digest = sha256_digest(body)
        self.manifests[digest] = (OCI_MANIFEST, body)
        return digest

    def __call__(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path
        if path in self.routes:
            return self.routes[path](request)
        if path == "/v2/":
            return httpx.Response(200, json={})
        if path == "/v2/_catalog":
            return httpx.Response(200, json={"repositories": sorted(self.tags)})
        if path.endswith("/tags/list"):
            name = path[len("/v2/") : -len("/tags/list")]
            return httpx.Response(200, json={"name": name, "tags": sorted(self.tags[name])})
        if "/manifests/" in path:
            name, _, reference = path[len("/v2/") :].partition("/manifests/")
            digest = self.tags.get(name, {}).get(reference, reference)
            media_type, body = self.manifests[digest]
            headers = {"Content-Type": media_type, "Docker-Content-Digest": digest}
            return httpx.Response(
                200, content=b"" if request.method == "HEAD" else body, headers=headers
            )
        if "/blobs/" in path:
            return httpx.Response(200, content=self.blobs[path.rpartition("/")[2]])
        return httpx.Response(404, json={"errors": [{"code": "NOT_FOUND"}]})


def _as_text(raw: str) -> str:
    """A JSON string as a page shows it: lone surrogates replaced with U+FFFD."""
    value: str = json.loads(raw)
    return value.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "replace")


def _one_line(message: str) -> str:
    assert "\n" not in message and len(message) < 400, message
    return message


@dataclass(frozen=True)
class BuiltSite:
    """The site the CLI built, and what it reported."""

    site: Path
    report: dict[str, Any]


@pytest.fixture(scope="module")
def built_site(tmp_path_factory: pytest.TempPathFactory) -> BuiltSite:
    """One build: a registry with every kind of hostile JSON, and a healthy registry."""
    tmp_path = tmp_path_factory.mktemp("hostile-json")
    with serve(Registry(KINDS)) as hostile_url, serve(Registry({})) as healthy_url:
        write_config(
            tmp_path,
            f"""
            registries:
              - name: hostile
                url: {hostile_url}
                retries: 0
              - name: healthy
                url: {healthy_url}
            """,
        )
        result = run_cli(
            ["build", "--no-cache", "--report", "report.json"],
            tmp_path,
            env={"HOME": str(tmp_path), "DOCKER_CONFIG": str(tmp_path), "REGISTRY_AUTH_FILE": "x"},
        )
    assert result.exit_code == 0, result.output
    return BuiltSite(result.site, json.loads((tmp_path / "report.json").read_text()))


def test_every_healthy_page_is_built(built_site: BuiltSite) -> None:
    site = built_site.site
    for registry in ("hostile", "healthy"):
        for repository, tags in (("good/app", ("v1", "latest")), ("good/other", ("1.0",))):
            _, data = read_page(site, f"{registry}/{repository}/")
            assert data["error"] == "" and data["problems"] == []
            assert sorted(t["name"] for t in data["tags"]) == sorted(tags)
            for tag in tags:
                _, tag_data = read_page(site, f"{registry}/{repository}/_tags/{tag}/")
                assert tag_data["image"]["problem"] == ""
                assert (site / tag_data["digest_path"] / "index.html").is_file()
    _, healthy = read_page(site, "healthy/")
    assert healthy["error"] == "" and healthy["failed_repositories"] == 0
    _, hostile = read_page(site, "hostile/")
    assert hostile["repositories"] == 2 + 4 * len(KINDS)
    assert built_site.report["status"] == "partial"


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_hostile_json_degrades_its_repository_and_nothing_else(
    built_site: BuiltSite, kind: str
) -> None:
    hostile = KINDS[kind]
    site = built_site.site
    messages = built_site.report["failure_messages"]

    # The manifest: its tag is not shown, and the repository page says why.
    html, data = read_page(site, f"hostile/{kind}/manifest/")
    if hostile.refused:
        assert [t["name"] for t in data["tags"]] == []
        (problem,) = data["problems"]
        # One line per cause, naming the tags it affects.
        assert problem.startswith("manifest could not be read: ")
        assert _one_line(problem).endswith(
            f"the body is not usable JSON: {hostile.refused} (tag v1)"
        )
        assert escape(problem) in html
    else:
        assert [t["name"] for t in data["tags"]] == ["v1"]
        _, tag = read_page(site, f"hostile/{kind}/manifest/_tags/v1/")
        assert tag["image"]["size"] >= 0

    # The config: the tag is shown, with its problem.
    html, data = read_page(site, f"hostile/{kind}/config/_tags/v1/")
    problem = data["image"]["problem"]
    if hostile.refused:
        assert _one_line(problem).endswith(f"not usable JSON: {hostile.refused}")
        assert problem.startswith("config sha256:")
        assert escape(problem) in html
        assert data["image"]["config"] is None
    else:
        assert problem == ""
        assert data["image"]["config"] is not None

    # The tags list: the repository could not be crawled, and says so.
    html, data = read_page(site, f"hostile/{kind}/tags/")
    if hostile.refused:
        reason = f"list tags: the answer is not usable JSON: {hostile.refused} ("
        assert reason in _one_line(data["error"])
        assert escape(data["error"]) in html
    else:
        assert [t["name"] for t in data["tags"]] == ["v1"]

    # The error body: the status still says what happened, and the body what it can.
    html, data = read_page(site, f"hostile/{kind}/error/")
    if len(hostile.raw) > 64 << 10:  # limits.error_bytes: too long to read at all
        said = "list tags: HTTP 404 ("
    elif hostile.refused:
        said = f"list tags: HTTP 404: the error body is not usable JSON: {hostile.refused} ("
    elif hostile.raw == "null":
        said = "list tags: HTTP 404 NAME_UNKNOWN ("
    else:
        said = f"list tags: HTTP 404 NAME_UNKNOWN: {_as_text(hostile.raw)} ("
    assert said in _one_line(data["error"])
    assert escape(data["error"]) in html

    if hostile.refused:
        assert any(hostile.refused in m and f"/{kind}/" in m for m in messages)
    if hostile.raw == SURROGATES:
        assert "\ufffd" in (site / f"hostile/{kind}/manifest/_tags/v1/index.html").read_text()
    if "0001-01-01" in hostile.raw:  # shown as given: it is no moment anything can show
        html, _ = read_page(site, f"hostile/{kind}/config/_tags/v1/")
        assert "0001-01-01T00:00:00+01:00" in html


@pytest.mark.timeout(120)
def test_with_strict_a_hostile_document_fails_the_build(tmp_path: Path) -> None:
    with serve(Registry({"nesting-100000": KINDS["nesting-100000"]})) as url:
        write_config(tmp_path, f"registries:\n  - name: hostile\n    url: {url}\n")
        result = run_cli(
            ["build", "--no-cache", "--strict"],
            tmp_path,
            env={"HOME": str(tmp_path), "DOCKER_CONFIG": str(tmp_path), "REGISTRY_AUTH_FILE": "x"},
        )
    assert result.exit_code == 1
    assert "error: --strict: 4 failures" in result.stderr
    assert (result.site / "hostile/good/app/_tags/v1/index.html").is_file()
