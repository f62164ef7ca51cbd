"""No secret reaches any output in any spelling, whichever encoder wrote the documents.

Images in a real registry are written three ways: Python's ``json`` (``\\u00e9``, ``\\"``,
``\\\\``), Go's ``encoding/json`` as docker and BuildKit write it (``\\u003c``,
``\\u003e``, ``\\u0026``), and an encoder that also escapes ``/`` (``\\/``). Secrets with
the characters those encoders escape sit in every field a registry can hold; the whole
output of a ``-vv`` build (site files with Pagefind's gzip'd fragments unpacked, the
report, the log) is scanned for every escaping of every secret, and for the distinctive
core of each, so that no spelling nobody thought of slips through.
"""

from __future__ import annotations

import html
import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote, quote_plus

from lab.oci import (
    OCI_CONFIG,
    OCI_INDEX,
    OCI_LAYER_GZIP,
    OCI_MANIFEST,
    Blob,
    Built,
    Platform,
    sha256_digest,
    tar_gz,
)
from lab.registry import running_registry
from sitegen.oci.masking import MASK
from tests.helpers import file_text, run_cli, write_config

Encoder = Callable[[Any], bytes]

# Each secret has a distinctive alphanumeric core (the fragments) around the characters
# JSON encoders escape, so any leak of any spelling contains a fragment.
DB_PASSWORD = 'Kx9Wm3Tq<&>"/\\é-Zr8Yv2Lp'
URL_PASSWORD = 'Uq4Hn7Rt8Wz<&>"é'
BUILD_ARG = 'Bq2Vn8Cx5Lm&"</>'
GITHUB = "ghp_" + "Ab3Cd5Ef7Gh9Jk2Lm4Np6Qr8St0Uv1Wx3Yz"
GITLAB = "glpat-x7Y9z2W4v6U8t0S1r3Q5"
AWS = "AKIAQ7XJ2M4N8P3R5T6V"
SLACK = "xoxb-123456789012-Hq8Jm3Pv6Wd1"
JWT = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJjaS1ib3QifQ.c2lnbmF0dXJlLXZhbHVlLXF3ZXJ0eQ"
PEM = (
    "-----BEGIN OPENSSH PRIVATE KEY-----\n"
    "b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW\n"
    "-----END OPENSSH PRIVATE KEY-----"
)
FRAGMENTS = {
    DB_PASSWORD: ("Kx9Wm3Tq", "Zr8Yv2Lp"),
    URL_PASSWORD: ("Uq4Hn7Rt8Wz",),
    BUILD_ARG: ("Bq2Vn8Cx5Lm",),
    GITHUB: ("Ab3Cd5Ef7Gh9Jk2Lm4Np6Qr8St0Uv1Wx3Yz",),
    GITLAB: ("x7Y9z2W4v6U8t0S1r3Q5",),
    AWS: ("Q7XJ2M4N8P3R5T6V",),
    SLACK: ("123456789012-Hq8Jm3Pv6Wd1",),
    JWT: ("c2lnbmF0dXJlLXZhbHVlLXF3ZXJ0eQ",),
    PEM: ("b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQ",),
}
DATABASE_URL = f"postgres://app:{URL_PASSWORD}@db.internal:5432/app"


def python_encoder(obj: Any) -> bytes:
    """Python's default: ASCII only."""
    return json.dumps(obj).encode()


def go_encoder(obj: Any) -> bytes:
    """Go's encoding/json: UTF-8 kept; <, >, & and U+2028/9 escaped (they only occur
    inside strings, so replacing them in the whole text is exact)."""
    text = json.dumps(obj, ensure_ascii=False, separators=(",", ":"))
    for char, escaped in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026")):
        text = text.replace(char, escaped)
    return text.encode()


def slash_encoder(obj: Any) -> bytes:
    """An encoder that escapes ``/`` too (PHP; Docker Hub's API)."""
    return json.dumps(obj, indent=3).replace("/", "\\/").encode()


ENCODERS: dict[str, Encoder] = {
    "python": python_encoder,
    "go": go_encoder,
    "slash": slash_encoder,
}


def spellings(secret: str) -> set[str]:
    """The ways ``secret`` could appear in a page, a JSON file, a feed or a log."""
    found = {secret}
    for dumped in (
        json.dumps(secret),
        json.dumps(secret, ensure_ascii=False),
        go_encoder(secret).decode(),
    ):
        found.add(dumped[1:-1])
        found.add(dumped[1:-1].replace("/", "\\/"))
    found |= {html.escape(s) for s in list(found)}
    found |= {html.escape(s, quote=False) for s in list(found)}
    found.add(quote(secret, safe=""))
    found.add(quote_plus(secret))
    found.add(secret.replace("\n", "\\n"))
    return found


def leaky_image(encode: Encoder, name: str) -> Built:
    """A single-platform image with a secret in every field the config and manifest have."""
    compressed, uncompressed = tar_gz({"/app": name.encode()})
    layer = Blob(OCI_LAYER_GZIP, compressed)
    config = {
        "architecture": "amd64",
        "os": "linux",
        "created": "2024-05-01T00:00:00Z",
        "author": f"ci <ci@example.com> {GITHUB}",
        "config": {
            "Env": [
                "PATH=/usr/local/bin:/usr/bin",
                f"DB_PASSWORD={DB_PASSWORD}",
                f"GITHUB_TOKEN={GITHUB}",
                f"DATABASE_URL={DATABASE_URL}",
                f"MIRROR=https://ci:{URL_PASSWORD}@mirror.example/simple",
            ],
            "Entrypoint": ["/app", f"--token={GITLAB}"],
            "Cmd": ["--aws-key", AWS],
            "WorkingDir": "/srv",
            "User": "app",
            "Labels": {
                "org.opencontainers.image.description": (
                    f"Connects to {DATABASE_URL}; notifies with {SLACK}"
                ),
                "org.example.db-copy": f"copied {DB_PASSWORD} by mistake",
                "org.example.jwt": JWT,
                "org.example.deploy-key": PEM,
                "org.example.nested": json.dumps({"password": DB_PASSWORD, "url": DATABASE_URL}),
                f"org.example.{GITHUB}": "a token as a key",
            },
        },
        "rootfs": {"type": "layers", "diff_ids": [sha256_digest(uncompressed)]},
        "history": [
            {
                "created": "2024-05-01T00:00:00Z",
                "created_by": f"ENV DB_PASSWORD={DB_PASSWORD}",
                "comment": f"buildkit.dockerfile.v0 {JWT}",
                "empty_layer": True,
            },
            {
                "created": "2024-05-01T00:00:00Z",
                "created_by": (
                    f"RUN |1 NPM_TOKEN={BUILD_ARG} /bin/sh -c curl -H 'Authorization: "
                    f"Bearer {JWT}' {DATABASE_URL} # buildkit"
                ),
            },
        ],
    }
    config_blob = Blob(OCI_CONFIG, encode(config))
    layer_descriptor = layer.descriptor()
    layer_descriptor["annotations"] = {"org.example.source": DATABASE_URL}
    manifest = {
        "schemaVersion": 2,
        "mediaType": OCI_MANIFEST,
        "config": config_blob.descriptor(),
        "layers": [layer_descriptor],
        "annotations": {
            "org.opencontainers.image.source": f"https://ci:{URL_PASSWORD}@git.example/app",
            "org.example.copy": DB_PASSWORD,
            "org.example.aws": AWS,
        },
    }
    raw = encode(manifest)
    return Built(
        media_type=OCI_MANIFEST,
        manifest=raw,
        digest=sha256_digest(raw),
        blobs=(config_blob, layer),
        children=(),
        platform=Platform(os="linux", architecture="amd64"),
    )


def leaky_index(encode: Encoder, child: Built) -> Built:
    """An index whose annotations repeat its platform's secrets."""
    entry = child.descriptor()
    entry["platform"] = {"architecture": "amd64", "os": "linux"}
    entry["annotations"] = {"org.example.pw": DB_PASSWORD}
    manifest = {
        "schemaVersion": 2,
        "mediaType": OCI_INDEX,
        "manifests": [entry],
        "annotations": {
            "org.example.db": f"db password is {DB_PASSWORD}",
            "org.example.webhook": "https://hooks.slack.com/services/T0AB12CD/B0EF34GH/Xy7Zw8Vu9Ts0",
            "org.opencontainers.image.description": f"see {DATABASE_URL}",
        },
    }
    raw = encode(manifest)
    return Built(
        media_type=OCI_INDEX,
        manifest=raw,
        digest=sha256_digest(raw),
        blobs=(),
        children=(child,),
    )


def every_output(root: Path) -> Iterator[tuple[str, str]]:
    """(file, text) of everything the build wrote, gzip'd files unpacked."""
    for path in sorted(root.rglob("*")):
        # The cache is private (SECURITY.md); the config is the input.
        if path.is_file() and ".sitegen-cache" not in path.parts and path.name != "registries.yaml":
            yield str(path.relative_to(root)), file_text(path)


def test_no_secret_in_any_output_in_any_spelling(tmp_path: Path) -> None:
    with running_registry(tmp_path / "registry") as registry, registry.pusher() as pusher:
        for name, encode in ENCODERS.items():
            image = leaky_image(encode, name)
            pusher.push(f"leaky/{name}", image, ["1.0"])
            pusher.push(f"leaky/{name}", leaky_index(encode, image), ["multi"])
        work = tmp_path / "work"
        work.mkdir()
        write_config(
            work,
            f"""
            site:
              title: Catalog
              description: {json.dumps(f"Mirror at https://ops:{URL_PASSWORD}@mirror.example/")}
            registries:
              - name: local
                url: {registry.url}
                repositories:
                  - leaky/python
                  - leaky/go
                  - name: leaky/slash
                    description: {json.dumps(f"Deploy with `{GITLAB}`")}
            """,
        )
        result = run_cli(["build", "-vv", "--report", "report.json"], work)
    assert result.exit_code == 0, result.output

    outputs = [*every_output(work), ("log", result.output)]
    leaks = [
        (file, secret[:12], spelling[:24])
        for secret in FRAGMENTS
        for spelling in (spellings(secret) | set(FRAGMENTS[secret]))
        for file, text in outputs
        if spelling in text
    ]
    assert not leaks, leaks

    # The pages are still useful: they say what was masked and keep what is not secret.
    for name in ENCODERS:
        page = (work / f"site/local/leaky/{name}/_tags/1.0/index.html").read_text()
        assert "values of DB_PASSWORD, GITHUB_TOKEN are masked" in page
        assert f"postgres://app:{MASK}@db.internal:5432/app" in page
        assert f"RUN |1 NPM_TOKEN={MASK} /bin/sh -c curl -H &#39;Authorization: Bearer" in page
        assert "do not hash to their digests" in page
        assert f"AKIA{MASK}" in page and "PATH=/usr/local/bin:/usr/bin" in page
        multi = (work / f"site/local/leaky/{name}/_tags/multi/index.html").read_text()
        assert f"db password is {MASK}" in multi
