"""Secrets never reach the published site or the log: scans of ALL output for known values."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest

from lab.fakeregistry import FakeRegistry, from_samples
from lab.images import HistoryStep, image
from lab.registry import ADMIN_PASSWORD, ADMIN_USER, RunningRegistry
from sitegen.build import build
from sitegen.config import load_config
from sitegen.oci import manifests, mediatypes
from sitegen.oci.masking import Masker
from sitegen.oci.references import digest_of
from tests.helpers import run_cli, site_text, write_config

SAMPLE_SECRET = "hunter2-sample"  # DB_PASSWORD in lab.samples' apps/web
API_KEY = "ak-7f3e9c2d1b"
URL_PASSWORD = "p0stgr3s-pw"
OAUTH_SECRET = "oauth-s3cret-value"


def secret_image() -> FakeRegistry:
    fake = from_samples()
    leaky = image(
        created="2024-07-01T00:00:00Z",
        env=[
            f"API_KEY={API_KEY}",
            f"DATABASE_URL=postgres://app:{URL_PASSWORD}@db.internal:5432/app",
            f"OAUTH_CLIENT_SECRET={OAUTH_SECRET}",
            "GREETING=hello",
        ],
        labels={"org.example.debug": f"started with key {API_KEY}"},
        history=[
            HistoryStep(created_by=f"/bin/sh -c #(nop)  ENV API_KEY={API_KEY}", empty_layer=True),
            HistoryStep(created_by=f"RUN curl -H 'X-Key: {API_KEY}' https://example.com/install"),
        ],
        files=({"/app": b"app"},),
    )
    fake.add("team/leaky", leaky, ["1.0"])
    return fake


def build_with(tmp_path: Path, fake: FakeRegistry, site_extra: str = "") -> Path:
    config = write_config(
        tmp_path,
        f"site:\n  title: t\n{site_extra}registries:\n  - name: fake\n"
        "    url: https://registry.test\n",
    )
    build(
        load_config(config, environ={}), tmp_path / "site", cache_dir=None, transport=fake.transport
    )
    return tmp_path / "site"


def test_secret_env_values_are_masked_in_every_output(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    site = build_with(tmp_path, secret_image())
    everything = site_text(site) + caplog.text
    for secret in (SAMPLE_SECRET, API_KEY, URL_PASSWORD, OAUTH_SECRET):
        assert secret not in everything, secret
    # ...while the page still says which variables exist and that they were masked.
    page = (site / "fake/team/leaky/_tags/1.0/index.html").read_text()
    assert "values of API_KEY, OAUTH_CLIENT_SECRET are masked" in page
    assert "postgres://app:••••••@db.internal:5432/app" in page
    assert "<code>hello</code>" in page
    assert "started with key ••••••" in page
    assert "ENV API_KEY=••••••" in page


def test_show_secret_env_publishes_them(tmp_path: Path) -> None:
    site = build_with(tmp_path, secret_image(), "  show_secret_env: true\n")
    text = site_text(site)
    assert API_KEY in text and SAMPLE_SECRET in text
    assert URL_PASSWORD not in text  # a shape: masked whatever the variable is called


def test_secret_shapes_opt_out(tmp_path: Path) -> None:
    site = build_with(tmp_path, secret_image(), "  show_secret_env: true\n  secret_shapes: []\n")
    assert URL_PASSWORD in site_text(site)


def test_secret_patterns_are_configurable(tmp_path: Path) -> None:
    site = build_with(tmp_path, secret_image(), "  secret_env_patterns: ['^GREETING$']\n")
    page = (site / "fake/team/leaky/_tags/1.0/index.html").read_text()
    assert "values of GREETING are masked" in page
    assert API_KEY in page  # the default patterns were replaced


def test_secret_patterns_with_inline_flags_work_in_a_list(tmp_path: Path) -> None:
    # Each pattern keeps its own flags: (?i) in the second one does not reach the first,
    # and is no error for standing in the middle of the combined pattern.
    site = build_with(
        tmp_path, secret_image(), "  secret_env_patterns: ['^GREETING$', '(?i)^oauth_']\n"
    )
    page = (site / "fake/team/leaky/_tags/1.0/index.html").read_text()
    assert "values of OAUTH_CLIENT_SECRET, GREETING are masked" in page
    assert OAUTH_SECRET not in site_text(site)


@pytest.mark.timeout(60)
def test_url_password_in_a_megabyte_value_is_masked_in_bounded_time(tmp_path: Path) -> None:
    # Two mebibytes of letters and digits: a scheme-like run that a backtracking search
    # for "scheme://user:password@" would start over at every one of its characters.
    run = "a1" * (1 << 20)
    fake = from_samples()
    built = image(
        created="2024-07-01T00:00:00Z",
        labels={"org.example.blob": f"{run} postgres://app:{URL_PASSWORD}@db/app"},
        env=[f"BLOB={run}", f"DATABASE_URL=postgres://app:{URL_PASSWORD}@db.internal/app"],
        files=({"/app": b"app"},),
    )
    fake.add("team/blob", built, ["1.0"])
    site = build_with(tmp_path, fake)
    assert URL_PASSWORD not in site_text(site)
    page = (site / "fake/team/blob/_tags/1.0/index.html").read_text()
    assert f"{run} postgres://app:••••••@db/app" in page
    assert "postgres://app:••••••@db.internal/app" in page


def test_env_names_that_are_not_text_are_masked_without_error() -> None:
    # A config may escape half of a surrogate pair ("\\ud800"): json.loads makes that a
    # str that UTF-8 cannot encode. The loader reads it as U+FFFD; matching and
    # re-serialising must not fail on it.
    data = json.dumps(
        {"config": {"Env": ["\ud800_PASSWORD=surrogate-secret", "\ud800_OTHER=shown"]}}
    ).encode()
    document = {
        "schemaVersion": 2,
        "mediaType": mediatypes.OCI_MANIFEST,
        "config": {
            "mediaType": mediatypes.OCI_CONFIG,
            "digest": digest_of(data),
            "size": len(data),
        },
        "layers": [],
    }
    raw = json.dumps(document).encode()
    config = manifests.image(
        document,
        digest=digest_of(raw),
        media_type=mediatypes.OCI_MANIFEST,
        raw=raw,
        config_data=data,
        masker=Masker(),
    )[0].config
    assert config is not None
    assert config.masked == ("\ufffd_PASSWORD",)
    assert config.env == ("\ufffd_PASSWORD=••••••", "\ufffd_OTHER=shown")
    assert b"surrogate-secret" not in config.raw
    assert json.loads(config.raw)["config"]["Env"][1] == "\ufffd_OTHER=shown"


def test_credentials_and_tokens_never_leak(tmp_path: Path, token_registry: RunningRegistry) -> None:
    write_config(
        tmp_path,
        f"registries:\n  - name: tok\n    url: {token_registry.url}\n"
        "    auth: {username: '${U}', password: '${P}'}\n"
        "    repositories: [apps/web, public/hello]\n",
    )
    good = run_cli(["build", "-vv"], tmp_path, {"U": ADMIN_USER, "P": ADMIN_PASSWORD})
    assert good.exit_code == 0, good.output
    wrong = run_cli(
        ["build", "-vv", "-o", "site2"], tmp_path, {"U": ADMIN_USER, "P": "wrong-" + ADMIN_PASSWORD}
    )
    assert "the token service refused user 'admin'" in wrong.stderr
    check = run_cli(["check", "-v"], tmp_path, {"U": ADMIN_USER, "P": ADMIN_PASSWORD})
    output = good.output + wrong.output + check.output
    text = site_text(tmp_path / "site") + site_text(tmp_path / "site2") + output
    assert ADMIN_PASSWORD not in text
    assert "eyJ" not in text  # no JWT (every token the server issued starts so)
    assert "Authorization" not in output and "Bearer ey" not in output


def test_config_repr_and_errors_hide_passwords(tmp_path: Path) -> None:
    config = write_config(
        tmp_path,
        "registries:\n  - name: a\n    url: https://r.test\n"
        "    auth: {username: u, password: '${P}'}\n",
    )
    loaded = load_config(config, environ={"P": "pw-visible-nowhere"})
    assert "pw-visible-nowhere" not in repr(loaded)
    assert "pw-visible-nowhere" not in str(loaded.registries[0].auth)
