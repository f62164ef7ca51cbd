"""registries.yaml validation: every error names file:line:column and the key path."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from sitegen.config import Config, load_config
from sitegen.errors import ConfigError


def write(tmp_path: Path, text: str, name: str = "registries.yaml") -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(text).lstrip("\n"))
    return path


def error(tmp_path: Path, text: str, env: dict[str, str] | None = None) -> str:
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as info:
        load_config(path, environ=env or {})
    return str(info.value).replace(str(path), "registries.yaml")


def load(tmp_path: Path, text: str, env: dict[str, str] | None = None) -> Config:
    return load_config(write(tmp_path, text), environ=env or {})


def test_full_example_loads_with_every_key(tmp_path: Path) -> None:
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "worker.md").write_text("# Worker\n\nRuns jobs.\n")
    config = load(
        tmp_path,
        r"""
        site:
          title: Example image catalog
          url: https://example.github.io/catalog
        registries:
          - name: local
            url: 127.0.0.1:5000
            pull_host: registry.example.com
            auth:
              username: ${REGISTRY_USER}
              password: ${REGISTRY_PASSWORD}
            concurrency: 4
            timeout: 12.5
            repositories:
              - team-a/api
              - name: team-b/worker
                description: docs/worker.md
                tags: {include: '^v?\d', exclude: '-rc', latest: 20}
          - name: hub
            url: docker.io
            repositories: [alpine, grafana/grafana]
        """,
        env={"REGISTRY_USER": "ci-bot", "REGISTRY_PASSWORD": "s3cret-value"},
    )
    assert config.site.url == "https://example.github.io/catalog/"
    local, hub = config.registries
    assert local.url == "https://127.0.0.1:5000"
    assert local.pull_host == "registry.example.com"
    assert local.auth.username == "ci-bot"
    assert local.auth.password is not None
    assert local.auth.password.reveal() == "s3cret-value"
    assert "s3cret-value" not in repr(config)
    assert local.concurrency == 4 and local.timeout == 12.5
    assert local.repositories is not None
    worker = local.repositories[1]
    assert worker.description == "# Worker\n\nRuns jobs.\n"
    assert worker.tags.latest == 20
    assert worker.tags.include is not None and worker.tags.include.pattern == r"^v?\d"
    # Docker Hub: API host, pull host, and library/ for one-segment names.
    assert hub.url == "https://registry-1.docker.io"
    assert hub.pull_host == "docker.io"
    assert hub.repositories is not None
    assert [r.name for r in hub.repositories] == ["library/alpine", "grafana/grafana"]


def test_unset_environment_variable_names_it_and_its_place(tmp_path: Path) -> None:
    message = error(
        tmp_path,
        """
        registries:
          - name: local
            url: http://127.0.0.1:5000
            auth:
              username: bot
              password: ${REGISTRY_PASSWORD}
        """,
    )
    assert message == (
        "registries.yaml:6:17: registries[0].auth.password: "
        "environment variable REGISTRY_PASSWORD is not set"
    )


def test_default_applies_when_variable_is_unset(tmp_path: Path) -> None:
    config = load(
        tmp_path,
        """
        registries:
          - name: demo
            url: http://${DEMO_REGISTRY:-127.0.0.1:5000}
        """,
    )
    assert config.registries[0].url == "http://127.0.0.1:5000"


def test_unknown_key_suggests_the_close_one(tmp_path: Path) -> None:
    message = error(
        tmp_path,
        """
        registries:
          - name: local
            url: http://127.0.0.1:5000
            repositorys: [a]
        """,
    )
    assert message == (
        "registries.yaml:4:5: registries[0].repositorys: unknown key 'repositorys'; "
        "did you mean 'repositories'?"
    )


def test_unknown_top_level_key_lists_known_keys(tmp_path: Path) -> None:
    message = error(tmp_path, "registries: []\nzzz: 1\n")
    assert (
        message
        == "registries.yaml:2:1: zzz: unknown key 'zzz'; known keys: 'site', 'registries', 'limits'"
    )


@pytest.mark.parametrize(
    ("snippet", "expected"),
    [
        ("    name: Local\n", "registries[0].name: 'Local' is not a slug"),
        ("    name: api\n", "registries[0].name: 'api' is reserved"),
        ("    concurrency: 0\n", "registries[0].concurrency: must be at least 1, got 0"),
        (
            "    concurrency: many\n",
            "registries[0].concurrency: expected an integer, got the string 'many'",
        ),
        ("    insecure: maybe\n", "registries[0].insecure: expected true or false"),
        (
            "    tags: {include: '(unclosed'}\n",
            "registries[0].tags.include: invalid regular expression '(unclosed'",
        ),
        ("    tags: {latest: -2}\n", "registries[0].tags.latest: must be at least 1, got -2"),
        (
            "    repositories: [Team/App]\n",
            "registries[0].repositories[0]: 'Team/App' is not a valid repository name",
        ),
        (
            "    repositories: [a, a]\n",
            "registries[0].repositories[1]: repository 'a' is listed twice",
        ),
        (
            "    repositories: [{name: a, description: missing.md}]\n",
            "registries[0].repositories[0].description: description file not found: missing.md",
        ),
        (
            "    auth: {username: bob}\n",
            "registries[0].auth: give both username and password (password is missing)",
        ),
        (
            "    repositories: a\n",
            "registries[0].repositories: expected a list, got the string 'a'",
        ),
    ],
)
def test_registry_errors_name_the_key(tmp_path: Path, snippet: str, expected: str) -> None:
    base = "registries:\n  - url: http://127.0.0.1:5000\n"
    if not snippet.lstrip().startswith("name:"):
        base += "    name: local\n"
    message = error(tmp_path, base + snippet)
    assert message.startswith("registries.yaml:")
    assert expected in message


def test_credentials_in_url_are_refused(tmp_path: Path) -> None:
    message = error(
        tmp_path, "registries:\n  - name: a\n    url: https://bob:pw@registry.example.com\n"
    )
    assert message == (
        "registries.yaml:3:10: registries[0].url: do not put credentials in the URL; "
        "use the auth key"
    )
    assert "pw@" not in message.split(": ", 2)[2]


def test_plain_http_to_a_remote_host_needs_insecure(tmp_path: Path) -> None:
    message = error(tmp_path, "registries:\n  - name: a\n    url: http://registry.example.com\n")
    assert "registries[0].url: plain http to a host other than loopback" in message
    config = load(
        tmp_path,
        "registries:\n  - name: a\n    url: http://registry.example.com\n    insecure: true\n",
    )
    assert config.registries[0].url == "http://registry.example.com"


def test_duplicate_registry_names(tmp_path: Path) -> None:
    message = error(
        tmp_path,
        """
        registries:
          - {name: a, url: http://127.0.0.1:1}
          - {name: a, url: http://127.0.0.1:2}
        """,
    )
    assert message == "registries.yaml:3:5: registries[1]: duplicate registry name 'a'"


def test_duplicate_yaml_keys_are_errors(tmp_path: Path) -> None:
    message = error(tmp_path, "registries: []\nregistries: []\n")
    assert message == "registries.yaml:2:1: registries: duplicate key 'registries'"


def test_yaml_syntax_error_has_a_position(tmp_path: Path) -> None:
    message = error(tmp_path, "registries:\n  - name: [unclosed\n")
    assert message.startswith("registries.yaml:3:1: invalid YAML:")


def test_missing_registries_and_empty_list(tmp_path: Path) -> None:
    assert error(tmp_path, "site: {title: x}\n") == (
        "registries.yaml:1:1: missing required key 'registries'"
    )
    assert error(tmp_path, "registries: []\n") == (
        "registries.yaml:1:13: registries: list at least one registry"
    )


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"nope\.yaml: file not found"):
        load_config(tmp_path / "nope.yaml", environ={})


def test_inline_markdown_description_and_dollar_escape(tmp_path: Path) -> None:
    config = load(
        tmp_path,
        """
        registries:
          - name: a
            url: http://127.0.0.1:1
            repositories:
              - name: x
                description: "Costs $$5; see **docs**"
        """,
    )
    assert config.registries[0].repositories is not None
    assert config.registries[0].repositories[0].description == "Costs $5; see **docs**"


def test_shipped_registries_yaml_is_valid() -> None:
    shipped = Path(__file__).resolve().parent.parent / "registries.yaml"
    config = load_config(shipped, environ={})
    assert [r.name for r in config.registries] == ["demo"]
