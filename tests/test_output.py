"""What killed builds leave beside the site is cleaned up, and nothing else."""

from __future__ import annotations

from pathlib import Path

from sitegen.output import MARKER, staging


def test_leftovers_of_killed_builds_are_removed(tmp_path: Path) -> None:
    marked = tmp_path / ".sitegen-staging-marked"
    marked.mkdir()
    (marked / MARKER).write_text("")
    (marked / "index.html").write_text("half a site")
    # Killed between creating its staging directory and marking it.
    empty = tmp_path / ".sitegen-retired-1-site"
    empty.mkdir()
    # Not marked and not empty: may be someone else's, so it stays.
    foreign = tmp_path / ".sitegen-staging-foreign"
    foreign.mkdir()
    (foreign / "notes.txt").write_text("keep me")

    with staging(tmp_path / "site") as stage:
        stage.write("index.html", "<!doctype html>")

    assert not marked.exists() and not empty.exists()
    assert (foreign / "notes.txt").read_text() == "keep me"
    assert (tmp_path / "site" / "index.html").read_text() == "<!doctype html>"
