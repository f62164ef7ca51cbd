"""Hostile JSON stored in a real distribution registry, then built.

distribution 2.8 checks a pushed manifest with Go's encoding/json: it stores nesting up
to Go's limit of 10,000 levels, lone surrogates, and numbers Go never converts (an
extension field's ``1e400`` or 4,000 digits); it refuses NaN and sizes past int64.
A config blob is any bytes at all. Everything the registry accepts is pushed here (the
test checks it was accepted) and the CLI builds the site from it.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from lab.hostilejson import DEEP, GO_DEPTH, SURROGATES, nested_arrays
from lab.images import Built, image, index
from lab.oci import OCI_INDEX, OCI_MANIFEST, Blob, sha256_digest
from lab.registry import RunningRegistry, running_registry
from tests.helpers import read_page, run_cli, write_config

PLACEHOLDER = '"@hostile@"'
BASE = image(files=({"/app": b"app"},), labels={"org.example": "base"})


def _manifest(config: bytes | None = None, **extra: str) -> Built:
    """The base image's manifest, with ``config`` as its config blob and raw JSON fields."""
    document: dict[str, Any] = json.loads(BASE.manifest)
    config_blob = BASE.blobs[0] if config is None else Blob(BASE.blobs[0].media_type, config)
    document["config"] = config_blob.descriptor()
    document.update(dict.fromkeys(extra, "@hostile@"))
    text = json.dumps(document)
    for raw in extra.values():
        text = text.replace(PLACEHOLDER, raw, 1)
    body = text.encode()
    return Built(OCI_MANIFEST, body, sha256_digest(body), (config_blob, *BASE.blobs[1:]), ())


def _config(**fields: str) -> bytes:
    """The base image's config with raw JSON in place of some of its fields."""
    assert BASE.config is not None
    document: dict[str, Any] = json.loads(BASE.config.data)
    for path in fields:
        *parents, last = path.split(".")
        node = document
        for part in parents:
            node = node[int(part)] if isinstance(node, list) else node.setdefault(part, {})
        node[int(last) if isinstance(node, list) else last] = f"@{path}@"
    text = json.dumps(document)
    for path, raw in fields.items():
        text = text.replace(json.dumps(f"@{path}@"), raw)
    return text.encode()


def _index() -> Built:
    arm_config = _config(architecture='"arm64"', **{"config.Labels": nested_arrays(DEEP)})
    arm = _manifest(arm_config)
    document: dict[str, Any] = json.loads(index([BASE, arm]).manifest)
    document["manifests"][1]["platform"] = {"architecture": "arm64", "os": "linux"}
    document["annotations"] = {"org.opencontainers.image.description": "@hostile@"}
    body = json.dumps(document).replace(PLACEHOLDER, SURROGATES).encode()
    return Built(OCI_INDEX, body, sha256_digest(body), (), (BASE, arm))


# repository -> its one image, tagged v1. What the pages say of each is in REFUSED (its
# manifest) and CONFIG_PROBLEMS (its config); the others are shown, repaired.
HOSTILE: dict[str, Built] = {
    "manifest/nesting": _manifest(**{"org.example.extension": nested_arrays(GO_DEPTH - 10)}),
    "manifest/surrogates": _manifest(
        annotations='{"org.opencontainers.image.description": '
        + SURROGATES
        + ', "org.example.\\udc00key": "value"}'
    ),
    "manifest/1e400": _manifest(**{"org.example.extension": "1e400"}),
    "manifest/digits": _manifest(**{"org.example.extension": "9" * 4000}),
    "config/nesting": _manifest(_config(**{"config.Labels": nested_arrays(DEEP)})),
    "config/surrogates": _manifest(
        _config(
            **{
                "config.Env": f'["PATH=/bin", {SURROGATES}]',
                "config.Labels": f'{{"org.example": {SURROGATES}}}',
                "history.0.created_by": SURROGATES,
            }
        )
    ),
    "config/nan": _manifest(_config(**{"config.Healthcheck": '{"Interval": NaN}'})),
    "config/digits": _manifest(_config(**{"config.StopTimeout": "9" * 4000})),
    "config/dates": _manifest(
        _config(
            created='"0001-01-01T00:00:00+01:00"',
            **{"history.0.created": '"9999-12-31T23:59:59-01:00"'},
        )
    ),
    "config/nulls": _manifest(
        _config(
            created="null",
            author="null",
            os="null",
            architecture="null",
            config='{"Env": null, "Labels": null, "Cmd": [null], "ExposedPorts": null}',
            history='[null, {"created_by": null, "empty_layer": null}]',
            rootfs="null",
        )
    ),
}
REFUSED = {
    "manifest/nesting": "the body is not usable JSON: nested more than 64 levels deep",
    "manifest/1e400": "the body is not usable JSON: the number 1e400 is out of range",
    "manifest/digits": "the body is not usable JSON: the number 99999999999999999999... (4000 digits) is out of range",
}
CONFIG_PROBLEMS = {
    "config/nesting": "not usable JSON: nested more than 64 levels deep",
    "config/nan": "not usable JSON: NaN is not a JSON number",
    "config/digits": "not usable JSON: the number 99999999999999999999... (4000 digits) is out of range",
}


@pytest.fixture(scope="module")
def hostile_registry(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningRegistry]:
    with running_registry(tmp_path_factory.mktemp("hostile-registry")) as registry:
        pusher = registry.pusher()
        pusher.push("good/app", BASE, ["v1", "latest"])
        # A multi-platform image: the index's annotations carry lone surrogates, and its
        # arm64 image's config is nested 100,000 deep.
        pusher.push("index/hostile", _index(), ["v1"])
        for repository, built in HOSTILE.items():
            pusher.push(repository, built, ["v1"])  # raises if the registry refuses it
        yield registry


def _strict(text: str) -> Any:
    def refuse(constant: str) -> None:
        raise AssertionError(f"{constant} is not JSON")

    return json.loads(text, parse_constant=refuse)


@pytest.mark.timeout(300)
def test_hostile_documents_in_a_real_registry(
    hostile_registry: RunningRegistry, tmp_path: Path
) -> None:
    write_config(tmp_path, f"registries:\n  - name: real\n    url: {hostile_registry.url}\n")
    result = run_cli(
        ["build", "--no-cache"],
        tmp_path,
        env={"HOME": str(tmp_path), "DOCKER_CONFIG": str(tmp_path), "REGISTRY_AUTH_FILE": "x"},
    )
    assert result.exit_code == 0, result.output
    site = result.site

    _, data = read_page(site, "real/good/app/")
    assert data["problems"] == [] and sorted(t["name"] for t in data["tags"]) == ["latest", "v1"]
    _, tag = read_page(site, "real/good/app/_tags/v1/")
    assert tag["image"]["config"]["labels"] == {"org.example": "base"}

    for repository, reason in REFUSED.items():
        html, data = read_page(site, f"real/{repository}/")
        (problem,) = data["problems"]
        assert problem.startswith("manifest could not be read: ")
        assert problem.endswith(f"{reason} (tag v1)")
        assert data["tags"] == [] and reason in html

    for repository in HOSTILE.keys() - REFUSED.keys():
        html, data = read_page(site, f"real/{repository}/_tags/v1/")
        reason = CONFIG_PROBLEMS.get(repository, "")
        assert data["image"]["problem"].endswith(reason)
        assert (data["image"]["config"] is None) == bool(reason)

    html, data = read_page(site, "real/manifest/surrogates/_tags/v1/")
    assert data["image"]["annotations"] == {
        "org.opencontainers.image.description": "\ufffd lone \ufffd and reversed \ufffd\ufffd",
        "org.example.\ufffdkey": "value",
    }
    html, data = read_page(site, "real/config/surrogates/_tags/v1/")
    assert data["image"]["config"]["labels"] == {
        "org.example": "\ufffd lone \ufffd and reversed \ufffd\ufffd"
    }
    html, data = read_page(site, "real/config/dates/_tags/v1/")
    assert "0001-01-01T00:00:00+01:00" in html  # shown as written: no moment in UTC

    html, data = read_page(site, "real/index/hostile/_tags/v1/")
    assert data["annotations"] == {
        "org.opencontainers.image.description": "\ufffd lone \ufffd and reversed \ufffd\ufffd"
    }
    amd64, arm64 = data["platform_list"]
    assert amd64["platform"] == "linux/amd64" and amd64["problem"] == ""
    assert arm64["platform"] == "linux/arm64"
    _, arm = read_page(site, arm64["path"])
    assert arm["image"]["problem"].endswith("not usable JSON: nested more than 64 levels deep")

    # Every page and JSON file is UTF-8, and every JSON file is JSON (no NaN, no Infinity).
    for path in site.rglob("*"):
        if path.suffix in (".html", ".json", ".js", ".xml"):
            text = path.read_text(encoding="utf-8")
            if path.suffix == ".json" and "pagefind" not in path.parts:
                _strict(text)
