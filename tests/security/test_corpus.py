"""Every hostile input at once: ONE build of several registries, as a nightly job runs.

The registries, side by side in one ``registries.yaml``:

- ``lab``: a real distribution registry holding images that leak secrets in every field
  (written by Python's and by Go's JSON encoder), repository names and tags that
  collide with the site's own files or with each other on case-insensitive and Windows
  file systems, tags that make the config's tag filter backtrack exponentially in a
  backtracking engine, and config blobs holding hostile JSON;
- ``hostile``: a registry whose manifests, config blobs, tag lists and error bodies
  carry every kind of hostile JSON (deep nesting, lone surrogates, huge and non-finite
  numbers, nulls), and error bodies that echo tokens;
- ``signed``: a signed schema1 manifest with junk outside what its digest covers;
- ``slow``: a registry answering once a minute, with a time budget of 2 s;
- ``refused``: a registry that refuses the configured password;
- ``dead``: nothing listening.

The build must exit 0 (some registries were built; the failures are on their pages),
give every registry its page with the right status, give every valid name its page,
and publish no secret - not in the site (Pagefind's gzip'd fragments unpacked), not in
the report, not in the ``-vv`` log.
"""

from __future__ import annotations

import asyncio
import json
import socket
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from lab.oci import OCI_CONFIG, OCI_MANIFEST, Blob, Built, sha256_digest
from lab.registry import RunningRegistry, running_registry
from tests.helpers import run_cli, write_config
from tests.registry.fakes import serve
from tests.registry.test_paths_real import REPOSITORIES as COLLIDING
from tests.registry.test_paths_real import TAGS as COLLIDING_TAGS
from tests.registry.test_paths_real import _image as labelled
from tests.registry.test_signed_schema1 import JUNK, SIGNED, with_junk
from tests.registry.test_signed_schema1 import registry as signed_registry
from tests.security.test_backtracking import SLOW_TAG, VERSION_PATTERN
from tests.security.test_hostile_json import KINDS
from tests.security.test_hostile_json import Registry as HostileRegistry
from tests.security.test_hostile_json import _config as hostile_config
from tests.security.test_secret_spellings import (
    ENCODERS,
    FRAGMENTS,
    every_output,
    leaky_image,
    leaky_index,
    spellings,
)

REFUSED_PASSWORD = "refused-pw-7Hq2Lx9"
ECHOED_TOKEN = "glpat-" + "Zt4Kq8Wm2Nx6Vb1Rc5Hy"
SECRETS = {
    **FRAGMENTS,
    REFUSED_PASSWORD: (REFUSED_PASSWORD,),
    ECHOED_TOKEN: ("Zt4Kq8Wm2Nx6Vb1Rc5Hy",),
}


def fill_lab(registry: RunningRegistry) -> None:
    """The real registry's hostile content (see the module docstring)."""
    with registry.pusher() as pusher:
        for name, encode in ENCODERS.items():
            leaky = leaky_image(encode, name)
            pusher.push(f"leaky/{name}", leaky, ["1.0"])
            pusher.push(f"leaky/{name}", leaky_index(encode, leaky), ["multi"])
        for repository in COLLIDING:
            pusher.push(repository, labelled(repository), ["main"])
        for tag in COLLIDING_TAGS:
            pusher.push("app", labelled(f"app:{tag}"), [tag])
        versions = labelled("versions")
        for tag in ("1.2.3", "2.0", SLOW_TAG, "latest"):
            pusher.push("versions/app", versions, [tag])
        # Config blobs are any bytes to a registry: hostile JSON in each kind of place.
        good = labelled("hostile config")
        for kind in ("nesting-100000", "lone-surrogates", "digits-4000", "nan", "null"):
            config = hostile_config(good, KINDS[kind].raw)
            document = json.loads(good.manifest)
            document["config"] = {**document["config"], "digest": sha256_digest(config)}
            document["config"]["size"] = len(config)
            manifest = json.dumps(document).encode()
            blobs = (Blob(OCI_CONFIG, config), *good.blobs[1:])
            built = Built(OCI_MANIFEST, manifest, sha256_digest(manifest), blobs, ())
            pusher.push(f"configs/{kind}", built, ["v1"])


class Slow:
    """A registry that answers once a minute."""

    async def __call__(self, request: httpx.Request) -> httpx.Response:
        await asyncio.sleep(60)
        return httpx.Response(200, json={})


def refusing(request: httpx.Request) -> httpx.Response:
    """A Basic-auth registry that accepts no password at all."""
    return httpx.Response(
        401,
        headers={"WWW-Authenticate": 'Basic realm="refused"'},
        json={"errors": [{"code": "UNAUTHORIZED", "message": f"bad credentials ({ECHOED_TOKEN})"}]},
    )


class Echoing(HostileRegistry):
    """The hostile registry, whose 404s also echo a token back."""

    def __call__(self, request: httpx.Request) -> httpx.Response:
        if request.url.path.startswith("/v2/missing/"):
            body = {"errors": [{"code": "NAME_UNKNOWN", "message": f"no repo for {ECHOED_TOKEN}"}]}
            return httpx.Response(404, json=body)
        return super().__call__(request)


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningRegistry]:
    with running_registry(tmp_path_factory.mktemp("corpus-registry")) as registry:
        fill_lab(registry)
        yield registry


def test_one_build_of_every_hostile_input(tmp_path: Path, lab: RunningRegistry) -> None:
    hostile = Echoing(KINDS)
    hostile.tags["missing/app"] = {}
    with (
        serve(hostile) as hostile_url,
        serve(signed_registry(with_junk(SIGNED)).handle) as signed_url,
        serve(Slow()) as slow_url,
        serve(refusing) as refused_url,
    ):
        write_config(
            tmp_path,
            f"""
            site:
              title: Every hostile input
            registries:
              - name: lab
                url: {lab.url}
                repositories:
                  - leaky/python
                  - leaky/go
                  - leaky/slash
                  - name: versions/app
                    tags: {{include: '{VERSION_PATTERN}'}}
                  - configs/nesting-100000
                  - configs/lone-surrogates
                  - configs/digits-4000
                  - configs/nan
                  - configs/null
                  {"".join(f"{chr(10)}                  - {json.dumps(r)}" for r in COLLIDING)}
              - name: hostile
                url: {hostile_url}
                retries: 0
              - name: signed
                url: {signed_url}
              - name: slow
                url: {slow_url}
                time_budget: 2
              - name: refused
                url: {refused_url}
                auth: {{username: ci, password: '${{REFUSED}}'}}
              - name: dead
                url: http://127.0.0.1:{closed_port()}
                retries: 0
            """,
        )
        started = time.monotonic()
        result = run_cli(
            ["build", "-vv", "--report", "report.json"], tmp_path, {"REFUSED": REFUSED_PASSWORD}
        )
        elapsed = time.monotonic() - started

    assert result.exit_code == 0, result.output[-3000:]
    assert elapsed < 180, elapsed
    site = tmp_path / "site"
    report: dict[str, Any] = json.loads((tmp_path / "report.json").read_text())
    statuses = {name: r["status"] for name, r in report["registry_status"].items()}
    assert statuses == {
        "lab": "partial",  # the hostile config blobs
        "hostile": "partial",
        "signed": "ok",
        "slow": "failed",
        "refused": "failed",
        "dead": "failed",
    }
    assert report["status"] == "partial"
    # (The loopback servers' own threads may print a traceback when the build hangs up.)
    assert "sitegen/" not in "".join(
        line for line in result.output.splitlines(keepends=True) if line.startswith("  File ")
    )

    # Every registry has its page; the health page says how each went.
    health = json.loads((site / "health/index.json").read_text())
    assert {r["name"]: r["status"] for r in health["registries"]} == statuses
    for name in statuses:
        assert (site / name / "index.html").is_file(), name

    # Every valid name got its own page, with its own content.
    for repository, where in COLLIDING.items():
        data = json.loads((site / "lab" / where / "index.json").read_text())
        assert data["name"] == repository
    for tag, directory in COLLIDING_TAGS.items():
        data = json.loads((site / f"lab/app/_tags/{directory}/index.json").read_text())
        assert data["tag"] == tag
    versions = json.loads((site / "lab/versions/app/index.json").read_text())
    assert sorted(t["name"] for t in versions["tags"]) == ["1.2.3", "2.0"]
    # Hostile documents degrade their own tag or repository, in one line.
    for kind in ("nesting-100000", "digits-4000", "nan"):
        data = json.loads((site / f"lab/configs/{kind}/index.json").read_text())
        assert data["problems"] and all("\n" not in p for p in data["problems"]), data
    assert JUNK not in json.dumps(
        json.loads((site / "signed/mitr/busybox/_tags/latest/index.json").read_text())
    )

    # No secret anywhere, in any spelling.
    outputs = [*every_output(tmp_path), ("log", result.output)]
    leaks = [
        (file, secret[:12], spelling[:24])
        for secret, fragments in SECRETS.items()
        for spelling in spellings(secret) | set(fragments)
        for file, text in outputs
        if spelling in text
    ]
    assert not leaks, leaks
