"""A build killed at any step of the swap from the old site to the new one leaves the
old site or the new one, and a crawl state that goes with it; the next build cleans up.

Each case kills a real ``sitegen build`` process exactly at one file-system operation
(``lab/killat.py``: an audit hook, nothing inside sitegen). The state is checked by what
a user sees. Builds run at three times (``SOURCE_DATE_EPOCH``): the first shows tag 1,
the killed second one would add tag 2, the third adds it for sure. If the kill left the
old site, the third build must log "tag 2 added" at its own time, as if the second had
never run; if it left the new site, the change stays logged at the second build's time.
A state ahead of its site (the killed build's, beside the old site) would leave the
change at a time no site ever showed; a state behind it (beside the new site) would
log the change again, at a later time than the site already said.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from lab.images import image
from lab.registry import running_registry
from sitegen.site import paths
from tests.helpers import run_cli, tree

ROOT = Path(__file__).resolve().parent.parent


T1, T2, T3 = "1717200000", "1717286400", "1717372800"  # three nights in June 2024


@dataclass(frozen=True)
class Lab:
    """A registry, and the sites uninterrupted builds give."""

    first: str  # registries.yaml of the first build: tag 1 only
    second: str  # of the later builds: tags 1 and 2 (a "tag-added" change)
    old: dict[str, str]  # the site after the first build (at T1)
    new: dict[str, str]  # after the second one (at T2)
    all_three: dict[str, str]  # after the third one (at T3)
    second_skipped: dict[str, str]  # after the first and the third build only


def leftovers(directory: Path) -> list[str]:
    """What interrupted builds may leave: staging and retired sites, pending state."""
    return sorted(
        str(p.relative_to(directory))
        for p in [*directory.iterdir(), *(directory / "cache").iterdir()]
        if p.name.startswith((".sitegen-staging", ".sitegen-retired", ".state-"))
        or p.name == "state.json.next"
    )


def site_tree(site: Path) -> dict[str, str]:
    """``tree(site)`` without the build's stamp, which says how long each crawl took and
    so differs between any two builds (tests/test_rebuild.py); a whole site has one."""
    found = tree(site)
    assert found.pop(paths.STAMP_FILE, None) is not None, "no build stamp"
    return found


def build(directory: Path, config: str, epoch: str) -> dict[str, str]:
    """An uninterrupted ``sitegen build`` at ``epoch``; the site it leaves."""
    (directory / "registries.yaml").write_text(config)
    result = run_cli(["build", "--cache-dir", "cache"], directory, env={"SOURCE_DATE_EPOCH": epoch})
    assert result.exit_code == 0, result.output
    assert leftovers(directory) == []  # the old site, removed beside the cache's steps, is gone
    return site_tree(directory / "site")


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lab]:
    work = tmp_path_factory.mktemp("swap")
    with running_registry(work / "registry") as registry:
        pusher = registry.pusher()
        for version in ("1", "2"):
            pusher.push(
                "team/hello",
                image(created=f"2024-0{version}-01T00:00:00Z", files=({"/v": version.encode()},)),
                [version],
            )
        base = f"registries:\n  - name: own\n    url: {registry.url}\n    repositories:\n"
        first = base + "      - name: team/hello\n        tags: {include: '^1$'}\n"
        second = base + "      - team/hello\n"
        (work / "a").mkdir()
        (work / "b").mkdir()
        old = build(work / "a", first, T1)
        new = build(work / "a", second, T2)
        all_three = build(work / "a", second, T3)
        assert build(work / "b", first, T1) == old
        second_skipped = build(work / "b", second, T3)
        # When the change was logged shows in the site: whether the killed build happened.
        assert all_three != second_skipped
        assert old not in (new, all_three, second_skipped)
        yield Lab(first, second, old, new, all_three, second_skipped)


def killed_build(directory: Path, config: str, *killat: str) -> None:
    """``sitegen build`` with ``config``, killed where ``killat`` says (lab/killat.py)."""
    (directory / "registries.yaml").write_text(config)
    env = {**os.environ, "SOURCE_DATE_EPOCH": T2, "PYTHONPATH": str(ROOT)}
    process = subprocess.run(
        [sys.executable, "-m", "lab.killat", *killat, "--", "build", "--cache-dir", "cache"],
        cwd=directory,
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert process.returncode == -signal.SIGKILL, process.stderr


STAGING = r"\.sitegen-staging-[\w-]+"
# (kill point, what the site must be right after the kill)
KILLS = {
    # The new state is being put beside the old one; nothing has moved yet.
    "before the pending state": (
        ("os.rename", r"\.state-\w+ \S+/state\.json\.next", "before", "1"),
        "old",
    ),
    # The new state is pending; the swap has not happened.
    "before the swap": (("os.rename", r"\.state-\w+ \S+/state\.json\.next", "after", "1"), "old"),
    # The sites were exchanged; the old one is being removed (one file of it is gone).
    "while removing the old site": (("os.remove", STAGING + "/", "before", "2"), "new"),
    # The new site is in place; the state that goes with it is still pending.
    "before the state is promoted": (
        ("os.rename", r"state\.json\.next \S+/state\.json ", "before", "1"),
        "new",
    ),
    # Without renameat2: the old site was moved aside, the new one not yet moved in.
    "between the fallback's renames": (
        ("os.rename", r"/site \S+/\.sitegen-retired-\d+-site ", "after", "1", "--no-renameat2"),
        "none",
    ),
    # Without renameat2: the new site is in place, the old one still aside.
    "after the fallback's renames": (
        ("os.rename", STAGING + r" \S+/site ", "after", "1", "--no-renameat2"),
        "new",
    ),
}


@pytest.mark.parametrize("point", list(KILLS))
def test_a_kill_leaves_a_whole_site_and_its_state(tmp_path: Path, lab: Lab, point: str) -> None:
    killat, expected = KILLS[point]
    assert build(tmp_path, lab.first, T1) == lab.old

    killed_build(tmp_path, lab.second, *killat)
    site = tmp_path / "site"
    if expected == "none":
        # Only where the C library cannot exchange two directories atomically: the next
        # build puts the old site back before doing anything else, so even a build that
        # then fails leaves the old site.
        assert not site.exists()
        too_many_pages = lab.second + "limits: {site_pages: 1}\n"
        (tmp_path / "registries.yaml").write_text(too_many_pages)
        failed = run_cli(["build", "--cache-dir", "cache"], tmp_path, env={"SOURCE_DATE_EPOCH": T3})
        assert failed.exit_code == 1 and "more than 1 pages" in failed.stderr
        assert site_tree(site) == lab.old
    else:
        assert site_tree(site) == (lab.old if expected == "old" else lab.new)

    final = build(tmp_path, lab.second, T3)
    assert final == (lab.all_three if expected == "new" else lab.second_skipped)
    assert leftovers(tmp_path) == []
