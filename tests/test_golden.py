"""The golden site: the sample catalog served by an in-memory fake registry, built with a
fixed clock, must match tests/golden/site file for file.

After an intended change to pages, regenerate it with ``pytest --regen-golden
tests/test_golden.py`` and review the diff like any other change.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from lab.fakeregistry import from_samples
from sitegen.build import build
from sitegen.config import load_config
from tests.helpers import files, write_config

GOLDEN = Path(__file__).parent / "golden" / "site"
# The theme's static files are copied verbatim, and the search index is Pagefind's own
# binary format: neither is page output, so neither is frozen here.
SKIPPED = ("static", "pagefind")


def test_golden_site(
    tmp_path: Path, request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1717200000")
    fake = from_samples()
    config = write_config(
        tmp_path,
        """
        site:
          title: Golden catalog
          url: https://example.github.io/catalog/
          description: The sample images, as a fixed fake registry serves them.
        registries:
          - name: golden
            url: https://registry.test
            pull_host: registry.example.com
        """,
    )
    result = build(
        load_config(config, environ={}), tmp_path / "site", cache_dir=None, transport=fake.transport
    )
    assert result.failures == ()
    built = files(tmp_path / "site", skip=SKIPPED)
    if request.config.getoption("--regen-golden"):
        shutil.rmtree(GOLDEN, ignore_errors=True)
        for name, content in built.items():
            (GOLDEN / name).parent.mkdir(parents=True, exist_ok=True)
            (GOLDEN / name).write_bytes(content)
        pytest.skip(f"rewrote {len(built)} files in {GOLDEN}")
    expected = files(GOLDEN, skip=SKIPPED)
    assert sorted(built) == sorted(expected), "pages were added or removed"
    changed = [name for name in expected if built[name] != expected[name]]
    assert changed == [], f"{len(changed)} files differ from the golden site, e.g. {changed[:5]}"


def test_theme_dir_overrides_templates_and_static_files_by_name(tmp_path: Path) -> None:
    theme = tmp_path / "theme"
    (theme / "static").mkdir(parents=True)
    (theme / "home.html").write_text(
        '{% extends "base.html" %}{% block content %}<h1>Our images</h1>'
        "<p>{{ data.registries|length }} registries</p>{% endblock %}"
    )
    (theme / "static" / "site.css").write_text("body { color: rebeccapurple; }\n")
    config = write_config(
        tmp_path,
        "site:\n  theme_dir: theme\nregistries:\n  - name: golden\n    url: https://registry.test\n",
    )
    build(
        load_config(config, environ={}),
        tmp_path / "site",
        cache_dir=None,
        transport=from_samples().transport,
    )
    site = tmp_path / "site"
    home = (site / "index.html").read_text()
    assert "<h1>Our images</h1><p>1 registries</p>" in home
    assert "rebeccapurple" in (site / "static" / "site.css").read_text()
    assert (site / "static" / "site.js").is_file()  # files not overridden stay
    assert "platform matrix" in (site / "golden/apps/web/index.html").read_text()
