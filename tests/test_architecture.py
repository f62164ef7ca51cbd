"""The package stays readable and docs/architecture.md stays true to it: no module
past ``MAX_LINES``, and the page has a line for every module of sitegen/ and no other."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "sitegen"
ARCHITECTURE = ROOT / "docs" / "architecture.md"

MAX_LINES = 450
# Modules longer than MAX_LINES when the limit came, at their length then: each may
# shrink but not grow, and its entry goes once it is within the limit.
TOO_LONG: dict[str, int] = {}  # modules allowed past the limit for now, at their length


def modules() -> list[str]:
    """Every module of the package as the page names it: ``sitegen/oci/masking.py``,
    and a package's ``__init__.py`` by its directory, ``sitegen/oci/`` (but
    ``sitegen/__init__.py`` as it is)."""
    names = []
    for path in sorted(PACKAGE.rglob("*.py")):
        name = path.relative_to(ROOT).as_posix()
        if path.name == "__init__.py" and path.parent != PACKAGE:
            name = name.removesuffix("__init__.py")
        names.append(name)
    return names


def lengths() -> dict[str, int]:
    return {
        path.relative_to(ROOT).as_posix(): len(path.read_text().splitlines())
        for path in sorted(PACKAGE.rglob("*.py"))
    }


def test_no_module_is_longer_than_450_lines() -> None:
    long = {name: n for name, n in lengths().items() if n > MAX_LINES}
    grown = {name: n for name, n in long.items() if n > TOO_LONG.get(name, MAX_LINES)}
    assert grown == {}, f"split these modules: no more than {MAX_LINES} lines each"
    shrunk = sorted(TOO_LONG.keys() - long.keys())
    assert shrunk == [], "within the limit now: take them out of TOO_LONG"


def test_the_architecture_page_has_a_line_for_every_module() -> None:
    # a row of the modules table: | `sitegen/oci/masking.py` | Masks secrets ... |
    rows = re.findall(r"^\| `(sitegen/[^`]*)` \|", ARCHITECTURE.read_text(), re.M)
    missing = [name for name in modules() if name not in rows]
    assert missing == [], "docs/architecture.md: add a line for each"
    stale = sorted(set(rows) - set(modules()))
    assert stale == [], "docs/architecture.md has lines for modules that are not there"
    assert len(rows) == len(set(rows)), "docs/architecture.md: one line per module"


def test_the_linters_see_every_module() -> None:
    """A lint exclusion meant for the built site once matched ``sitegen/site/`` too."""
    ruff = Path(sys.executable).parent / "ruff"  # a dev dependency, as the tests are
    shown = subprocess.run(
        [str(ruff), "check", "--show-files", "."],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    checked = {Path(line.strip()).resolve() for line in shown.splitlines() if line.strip()}
    ours = [p for top in ("sitegen", "bench", "lab", "tests") for p in (ROOT / top).rglob("*.py")]
    missed = sorted(p.relative_to(ROOT).as_posix() for p in ours if p.resolve() not in checked)
    assert missed == []
