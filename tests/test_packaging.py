"""A non-editable install (the wheel) carries the default theme and builds a site."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from lab.registry import RunningRegistry

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "-w",
            str(out),
            str(ROOT),
        ],
        check=True,
        stdin=subprocess.DEVNULL,
        capture_output=True,
    )
    (found,) = out.glob("sitegen_registry_catalog-*.whl")
    return found


def test_wheel_is_named_for_its_own_distribution(wheel: Path) -> None:
    # "sitegen" on PyPI is an unrelated project: neither this distribution nor any of
    # its requirements (extras included) may go by that name.
    archive = zipfile.ZipFile(wheel)
    metadata = archive.read(next(n for n in archive.namelist() if n.endswith("/METADATA")))
    fields = [line.partition(": ") for line in metadata.decode().splitlines()]
    assert ("Name", ": ", "sitegen-registry-catalog") in fields
    required = [
        re.split(r"[\s\[;<>=!~]", value, maxsplit=1)[0]
        for key, _, value in fields
        if key == "Requires-Dist"
    ]
    assert "google-re2" in required
    assert "sitegen" not in [name.lower().replace("_", "-") for name in required]


def test_wheel_contains_theme_and_entry_point(wheel: Path) -> None:
    names = zipfile.ZipFile(wheel).namelist()
    for template in ("base.html", "home.html", "repository.html", "tag.html", "digest.html"):
        assert f"sitegen/theme/templates/{template}" in names
    assert "sitegen/theme/static/site.css" in names
    entry_points = next(n for n in names if n.endswith("entry_points.txt"))
    assert "sitegen = sitegen.cli:main" in zipfile.ZipFile(wheel).read(entry_points).decode()
    assert not any(n.startswith(("lab/", "tests/")) for n in names)


def test_installed_wheel_builds_a_site(
    wheel: Path, tmp_path: Path, plain_registry: RunningRegistry
) -> None:
    target = tmp_path / "installed"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "-q",
            "--no-deps",
            "--target",
            str(target),
            str(wheel),
        ],
        check=True,
        stdin=subprocess.DEVNULL,
        capture_output=True,
    )
    work = tmp_path / "work"
    work.mkdir()
    (work / "registries.yaml").write_text(
        f"registries:\n  - name: lab\n    url: {plain_registry.url}\n"
        "    repositories: [public/hello]\n"
    )
    # Only the installed copy of sitegen is importable: not the source checkout.
    env = {**os.environ, "PYTHONPATH": str(target), "PYTHONSAFEPATH": "1"}
    completed = subprocess.run(
        [
            sys.executable,
            "-P",
            "-c",
            "import sitegen, sys; from sitegen.cli import main; "
            "assert 'installed' in sitegen.__file__, sitegen.__file__; sys.argv[0]='sitegen'; main()",
            "build",
        ],
        cwd=work,
        env=env,
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr
    site = work / "site"
    assert (site / "static" / "site.css").is_file()
    page = (site / "lab" / "public" / "hello" / "index.html").read_text()
    assert "public/hello" in page and 'href="../../../static/site.css"' in page
    data = json.loads((site / "lab" / "public" / "hello" / "index.json").read_text())
    assert sorted(t["name"] for t in data["tags"]) == ["1", "latest"]
