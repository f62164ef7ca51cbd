"""The crawl's result is handed over, never formatted: when ``asyncio.run`` restores
Ctrl-C's handler, Python 3.11 formats the handler, and with it the main task and its
result, into an error message it drops. A whole catalog's ``repr`` is about a second
of CPU at 10,000 tags, at the end of every crawl."""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path

import pytest

from lab.fakeregistry import from_samples
from sitegen.build import build
from sitegen.config import load_config
from sitegen.crawl import Outcome, run
from sitegen.model import Catalog
from tests.helpers import write_config


def test_a_build_never_formats_its_catalog(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert threading.current_thread() is threading.main_thread()  # where asyncio.run does it
    formatted: list[str] = []

    def counted(self: object) -> str:
        formatted.append(type(self).__name__)
        return "..."

    monkeypatch.setattr(Catalog, "__repr__", counted)
    monkeypatch.setattr(Outcome, "__repr__", counted)
    config = write_config(tmp_path, "registries:\n  - name: one\n    url: https://one.test\n")
    result = build(
        load_config(config, environ={}),
        tmp_path / "site",
        cache_dir=tmp_path / "cache",
        transport=from_samples().transport,
    )
    assert result.failures == () and result.catalog.tag_count > 0
    assert formatted == []


def test_run_returns_what_the_work_returns_and_raises_what_it_raises() -> None:
    async def answer() -> tuple[str, int]:
        await asyncio.sleep(0)
        return ("catalog", 42)

    async def failing() -> None:
        raise LookupError("no such registry")

    assert run(answer()) == ("catalog", 42)
    with pytest.raises(LookupError, match="no such registry"):
        run(failing())
