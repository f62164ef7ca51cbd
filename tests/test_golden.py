"""The golden site: the sample catalog served by an in-memory fake registry, built with a
fixed clock, must match tests/golden/site file for file. A failure lists the files
added and removed and shows a unified diff of the changed ones.

After an intended change to pages, regenerate it with ``pytest --regen-golden
tests/test_golden.py`` and review the diff like any other change.
"""

from __future__ import annotations

import difflib
import shutil
from pathlib import Path

import pytest

from lab.fakeregistry import from_samples
from sitegen.build import build
from sitegen.config import load_config
from sitegen.site import paths
from tests.helpers import files, write_config

GOLDEN = Path(__file__).parent / "golden" / "site"
# The theme's static files are copied verbatim, and the search index is Pagefind's own
# binary format: neither is page output, so neither is frozen here.
SKIPPED = ("static", "pagefind")
# The build's stamp holds how long the crawl took: it differs every time, by design.
UNFROZEN = (paths.STAMP_FILE,)
# A failure shows at most this many lines of diff, and no diff line longer than LINE_WIDTH.
DIFF_LINES = 200
LINE_WIDTH = 200


def golden_diff(expected: dict[str, bytes], built: dict[str, bytes]) -> str:
    """What ``built`` changed against ``expected`` (relative path -> content): the added
    and removed files, then a unified diff of each changed file; "" when they are equal.
    The diff is cut at ``DIFF_LINES`` lines, each at ``LINE_WIDTH`` characters."""
    added = sorted(built.keys() - expected.keys())
    removed = sorted(expected.keys() - built.keys())
    changed = sorted(n for n in expected.keys() & built.keys() if expected[n] != built[n])
    if not (added or removed or changed):
        return ""
    report = [
        f"the site differs from tests/golden/site: {len(changed)} changed, "
        f"{len(added)} added, {len(removed)} removed; if that is intended, run "
        "pytest --regen-golden tests/test_golden.py and review the diff"
    ]
    report += [f"added: {name}" for name in added] + [f"removed: {name}" for name in removed]
    diff: list[str] = []
    unshown: list[str] = []  # changed files whose diff starts past the cut
    for name in changed:
        if len(diff) >= DIFF_LINES:
            unshown.append(name)
        diff.extend(
            difflib.unified_diff(
                expected[name].decode("utf-8", "replace").splitlines(),
                built[name].decode("utf-8", "replace").splitlines(),
                f"tests/golden/site/{name}",
                f"built/{name}",
                n=2,
                lineterm="",
            )
        )
    if len(diff) > DIFF_LINES:
        diff = [*diff[:DIFF_LINES], f"... {len(diff) - DIFF_LINES} more lines of diff"]
    report += [line if len(line) <= LINE_WIDTH else line[:LINE_WIDTH] + "..." for line in diff]
    report += [f"changed, diff not shown: {name}" for name in unshown[:20]]
    if len(unshown) > 20:
        report.append(f"... and {len(unshown) - 20} more changed files")
    return "\n".join(report)


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
    for name in UNFROZEN:
        del built[name]
    if request.config.getoption("--regen-golden"):
        shutil.rmtree(GOLDEN, ignore_errors=True)
        for name, content in built.items():
            (GOLDEN / name).parent.mkdir(parents=True, exist_ok=True)
            (GOLDEN / name).write_bytes(content)
        pytest.skip(f"rewrote {len(built)} files in {GOLDEN}")
    difference = golden_diff(files(GOLDEN, skip=SKIPPED), built)
    if difference:
        pytest.fail(difference, pytrace=False)


def test_a_difference_from_the_golden_site_is_shown_as_a_diff() -> None:
    expected = {"a/index.html": b"<h1>A</h1>\n<p>one</p>\n", "gone.json": b"{}", "same": b"x"}
    built = {"a/index.html": b"<h1>A</h1>\n<p>two</p>\n", "new.xml": b"<feed/>", "same": b"x"}
    assert golden_diff(expected, built).splitlines() == [
        "the site differs from tests/golden/site: 1 changed, 1 added, 1 removed; if that is "
        "intended, run pytest --regen-golden tests/test_golden.py and review the diff",
        "added: new.xml",
        "removed: gone.json",
        "--- tests/golden/site/a/index.html",
        "+++ built/a/index.html",
        "@@ -1,2 +1,2 @@",
        " <h1>A</h1>",
        "-<p>one</p>",
        "+<p>two</p>",
    ]
    assert golden_diff(built, built) == ""


def test_a_big_difference_is_cut_to_a_readable_size() -> None:
    expected = {f"{n}.html": b"old\n" * 100 + b"x" * 1000 for n in range(10)}
    built = {f"{n}.html": b"new\n" * 100 + b"y" * 1000 for n in range(10)}
    lines = golden_diff(expected, built).splitlines()
    # Each file's diff is 205 lines (3 of headers, 101 removed, 101 added): the first
    # file's is cut, the other nine are named.
    assert len(lines) == 1 + DIFF_LINES + 1 + 9
    assert lines[1] == "--- tests/golden/site/0.html"
    assert lines[DIFF_LINES + 1] == f"... {10 * 205 - DIFF_LINES} more lines of diff"
    assert lines[DIFF_LINES + 2 :] == [f"changed, diff not shown: {n}.html" for n in range(1, 10)]
    assert max(len(line) for line in lines[1:]) <= LINE_WIDTH + len("...")


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
