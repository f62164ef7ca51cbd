"""``python -m lab.screenshots``, which makes docs/screenshots, works on a built site:
every view it names exists and is captured (a missing page would be a 404 picture)."""

from __future__ import annotations

from pathlib import Path

import pytest

from lab import screenshots

pytestmark = pytest.mark.browser

PNG = b"\x89PNG\r\n\x1a\n"


def test_every_documented_view_is_captured(built_site: Path, tmp_path: Path) -> None:
    for shot in screenshots.shots("lab"):
        assert (built_site / shot.path / "index.html").is_file(), shot
    written = screenshots.take(built_site, tmp_path, registry="lab")
    assert {p.stem for p in written} >= {s.name for s in screenshots.shots("lab")}
    assert all(p.read_bytes().startswith(PNG) and p.stat().st_size > 10_000 for p in written)
