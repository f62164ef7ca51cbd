"""Helpers the tests share: running the CLI, writing a config, reading a built site.

Fixtures and hooks live in conftest.py; everything a test imports lives here.
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import json
import os
import textwrap
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from click.testing import CliRunner

from sitegen.cli import main

GZIP_MAGIC = b"\x1f\x8b"


# -- running sitegen ----------------------------------------------------------------------


@dataclass
class Result:
    """What a CLI run produced."""

    exit_code: int
    stdout: str
    stderr: str
    site: Path

    @property
    def output(self) -> str:
        return self.stdout + self.stderr


def run_cli(args: list[str], cwd: Path, env: dict[str, str] | None = None) -> Result:
    """Run ``sitegen ARGS`` in-process from ``cwd`` with extra environment variables."""
    runner = CliRunner()
    old = Path.cwd()
    os.chdir(cwd)
    try:
        result = runner.invoke(main, args, env=env, catch_exceptions=False)
    finally:
        os.chdir(old)
    return Result(result.exit_code, result.stdout, result.stderr, cwd / "site")


def write_config(directory: Path, text: str) -> Path:
    """Write ``registries.yaml`` into ``directory``."""
    path = directory / "registries.yaml"
    path.write_text(textwrap.dedent(text).lstrip("\n"))
    return path


def b64(text: str) -> str:
    """``text`` in base64, as Basic auth and docker config files carry credentials."""
    return base64.b64encode(text.encode()).decode()


# -- reading a built site -----------------------------------------------------------------


def files(root: Path, skip: tuple[str, ...] = ()) -> dict[str, bytes]:
    """Relative path -> content of every file under ``root``, sorted, leaving out the
    top-level directories in ``skip``."""
    return {
        str(p.relative_to(root)): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file() and p.relative_to(root).parts[0] not in skip
    }


def tree(root: Path) -> dict[str, str]:
    """Relative path -> sha256 of every file under ``root`` (short in a failed assert)."""
    return {name: hashlib.sha256(data).hexdigest() for name, data in files(root).items()}


def file_text(path: Path) -> str:
    """A file's text, gunzipped when it is gzip'd (Pagefind's index files are)."""
    data = path.read_bytes()
    if data[:2] == GZIP_MAGIC:
        data = gzip.decompress(data)
    return data.decode("utf-8", "replace")


def site_text(root: Path) -> str:
    """Every file under ``root`` as text, one after another, gzip'd files unpacked: what
    a secret must never be found in."""
    return "\n".join(file_text(p) for p in sorted(root.rglob("*")) if p.is_file())


def page_data(site: Path, page: str) -> Any:
    """The ``index.json`` data of the page at ``page`` (``"reg/repo/"``), which must
    also have its ``index.html``."""
    assert (site / page / "index.html").is_file(), f"missing page {page}index.html"
    return json.loads((site / page / "index.json").read_text(encoding="utf-8"))


def read_page(site: Path, path: str) -> tuple[str, Any]:
    """(HTML, ``index.json`` data) of the page at ``path``."""
    html = (site / path / "index.html").read_text(encoding="utf-8")
    return html, json.loads((site / path / "index.json").read_text(encoding="utf-8"))
