"""Patterns from the config meet text the registry controls: tags and env variable names
chosen to make a backtracking regex engine run for hours. A real registry holds them;
the build must finish within a generous time limit and show the right things."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from lab.images import image
from lab.registry import RunningRegistry, running_registry
from sitegen.site import paths
from tests.helpers import page_data, run_cli, site_text, write_config

# ^(\d+\.?)+$ can split a run of n digits into groups in 2^(n-1) ways, and a
# backtracking engine tries them all before it gives up on the final "x": at 40
# digits, days. Both are valid tags (at most 128 characters).
SLOW_TAG = "1" * 40 + "x"
SLOW_TAG_2 = "2" * 40 + "x"
VERSION_PATTERN = r"^(\d+\.?)+$"
# An env variable NAME of a mebibyte: distribution stores any config blob, and Docker
# puts no limit on names. The secret pattern below backtracks exponentially on it.
LONG_NAME = "CONFIG_" + "A1B2" * (1 << 18)
SECRET_PATTERN = r"^([A-Z0-9]+_?)+_PASSWORD$"
DB_SECRET = "hunter2-db-admin"
TOKEN_SECRET = "tok-5f1e9a7c"


@pytest.fixture(scope="module")
def registry(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningRegistry]:
    """A registry of this module's own: its tests push."""
    with running_registry(tmp_path_factory.mktemp("backtracking")) as running:
        yield running


def shown_tags(site: Path, repository: str) -> list[str]:
    data = page_data(site, paths.repository_path("own", repository))
    return sorted(tag["name"] for tag in data["tags"])


@pytest.mark.timeout(120)
def test_tag_filters_that_backtrack_finish_and_show_the_right_tags(
    tmp_path: Path, registry: RunningRegistry
) -> None:
    pusher = registry.pusher()
    pusher.push(
        "team/app",
        image(files=({"/app": b"app"},)),
        ["1.2.3", "10.0.1", "2024.01", "latest", "1.2.3-rc1", SLOW_TAG],
    )
    pusher.push("team/tool", image(files=({"/tool": b"tool"},)), ["1.0", "2.0", "edge", SLOW_TAG_2])
    write_config(
        tmp_path,
        f"""
        registries:
          - name: own
            url: {registry.url}
            tags: {{include: '{VERSION_PATTERN}'}}
            repositories:
              - team/app
              - name: team/tool
                tags: {{include: '.', exclude: '{VERSION_PATTERN}'}}
        """,
    )
    result = run_cli(["build"], tmp_path)
    assert result.exit_code == 0, result.output
    site = tmp_path / "site"
    # include keeps what it finds (a search, anchored here by ^ and $) ...
    assert shown_tags(site, "team/app") == ["1.2.3", "10.0.1", "2024.01"]
    # ... and exclude hides what it finds.
    assert shown_tags(site, "team/tool") == [SLOW_TAG_2, "edge"]


@pytest.mark.timeout(120)
def test_secret_pattern_that_backtracks_on_a_long_env_name_finishes_and_masks(
    tmp_path: Path, registry: RunningRegistry
) -> None:
    built = image(
        env=[
            f"DB_ADMIN_PASSWORD={DB_SECRET}",
            f"API_TOKEN={TOKEN_SECRET}",
            "GREETING=hello",
            f"{LONG_NAME}=long-name-value",
        ],
        files=({"/app": b"app"},),
    )
    registry.pusher().push("team/env", built, ["1.0"])
    write_config(
        tmp_path,
        f"""
        site:
          secret_env_patterns:
            - '{SECRET_PATTERN}'
            - token
        registries:
          - name: own
            url: {registry.url}
            repositories: [team/env]
        """,
    )
    result = run_cli(["build"], tmp_path)
    assert result.exit_code == 0, result.output
    site = tmp_path / "site"
    page = (site / paths.tag_path("own", "team/env", "1.0") / "index.html").read_text()
    assert "values of DB_ADMIN_PASSWORD, API_TOKEN are masked" in page
    everything = site_text(site) + result.output
    assert DB_SECRET not in everything and TOKEN_SECRET not in everything
    # The long name matched no pattern: it and its value are shown as they are.
    assert f"<code>{LONG_NAME}</code>" in page
    assert "long-name-value" in page and "<code>hello</code>" in page
