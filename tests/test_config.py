"""registries.yaml validation: every error names file:line:column and the key path."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from sitegen.config import Config, Discovery, load_config
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
        ("    concurrency: 0\n", "registries[0].concurrency: must be at least 1, got 0"),
        (
            "    concurrency: many\n",
            "registries[0].concurrency: expected an integer, got the string 'many'",
        ),
        ("    insecure: maybe\n", "registries[0].insecure: expected true or false"),
        (
            "    tags: {include: '(unclosed'}\n",
            "registries[0].tags.include: invalid regular expression '(unclosed': "
            "missing ) at '(unclosed'",
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
        (
            "    repositories: [{name: a, recommended_tag: 'bad tag'}]\n",
            "registries[0].repositories[0].recommended_tag: 'bad tag' is not a tag",
        ),
        (
            "    repositories: [{name: a, recommended_tag: ''}]\n",
            "registries[0].repositories[0].recommended_tag: must not be empty",
        ),
        (
            "    repositories: [{name: a, recommend_tag: '1.0'}]\n",
            "did you mean 'recommended_tag'",
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


# Tag filters and secret_env_patterns run against registry data (tags, env names), so
# they are matched in linear time (sitegen/patterns.py); what that engine cannot run, or
# would read differently from Python's re, is refused here with what to write instead.
LINEAR = "(patterns run in linear time, which rules it out)"
TAGS_HINT = (
    "a tag is shown when include matches it and exclude does not: match the tags to "
    "hide with exclude instead"
)


def test_repeat_counts_that_overflow_are_config_errors(tmp_path: Path) -> None:
    # Python's re raises OverflowError (not re.error) for these.
    message = error(
        tmp_path,
        """
        registries:
          - name: local
            url: http://127.0.0.1:5000
            tags: {include: 'a{99999999999}'}
        """,
    )
    assert message == (
        "registries.yaml:4:21: registries[0].tags.include: invalid regular expression "
        "'a{99999999999}': repeat count 99999999999 in '{99999999999}' is more than 1000, "
        "the most supported; use a smaller count, or + or * for 'any number'"
    )
    message = error(
        tmp_path,
        r"""
        registries:
          - name: local
            url: http://127.0.0.1:5000
            repositories:
              - name: team/app
                tags:
                  exclude: '^v\d{2,4294967296}'
        """,
    )
    assert message == (
        "registries.yaml:7:20: registries[0].repositories[0].tags.exclude: invalid regular "
        r"expression '^v\d{2,4294967296}': repeat count 4294967296 in '{2,4294967296}' is "
        "more than 1000, the most supported; use a smaller count, or + or * for 'any number'"
    )


def test_negative_lookahead_in_a_tag_filter_points_to_exclude(tmp_path: Path) -> None:
    message = error(
        tmp_path,
        """
        registries:
          - name: local
            url: http://127.0.0.1:5000
            tags: {include: '^(?!.*-rc)'}
        """,
    )
    assert message == (
        "registries.yaml:4:21: registries[0].tags.include: invalid regular expression "
        f"'^(?!.*-rc)': negative lookahead '(?!' is not supported {LINEAR}; {TAGS_HINT}"
    )


def test_a_pattern_from_the_environment_is_checked_after_expansion(tmp_path: Path) -> None:
    message = error(
        tmp_path,
        """
        registries:
          - name: local
            url: http://127.0.0.1:5000
            tags:
              include: ${TAG_PATTERN}
        """,
        env={"TAG_PATTERN": r"^v(?=\d)"},
    )
    assert message == (
        "registries.yaml:5:16: registries[0].tags.include: invalid regular expression "
        r"'^v(?=\d)' (expanded from '${TAG_PATTERN}'): lookahead '(?=' is not supported "
        f"{LINEAR}; {TAGS_HINT}"
    )


def test_each_secret_env_pattern_is_checked_where_it_is(tmp_path: Path) -> None:
    message = error(
        tmp_path,
        """
        site:
          secret_env_patterns:
            - PASSWORD
            - '(?<!PUBLIC_)KEY'
        registries:
          - name: local
            url: http://127.0.0.1:5000
        """,
    )
    assert message == (
        "registries.yaml:4:7: site.secret_env_patterns[1]: invalid regular expression "
        f"'(?<!PUBLIC_)KEY': negative lookbehind '(?<!' is not supported {LINEAR}; "
        "list patterns that match the names to mask instead"
    )
    message = error(
        tmp_path,
        r"""
        site:
          secret_env_patterns: '(\w+)_\1'
        registries:
          - name: local
            url: http://127.0.0.1:5000
        """,
    )
    assert message == (
        "registries.yaml:2:24: site.secret_env_patterns: invalid regular expression "
        rf"'(\w+)_\1': backreference '\1' is not supported {LINEAR}"
    )


def test_secret_env_patterns_may_be_too_large_together(tmp_path: Path) -> None:
    # Each is allowed (996 instructions, case-insensitive); together they are not.
    patterns = ", ".join(f"'x{n}[a-f]{{990}}'" for n in range(25))
    message = error(
        tmp_path,
        f"site:\n  secret_env_patterns: [{patterns}]\n"
        "registries:\n  - name: a\n    url: http://127.0.0.1:1\n",
    )
    assert message == (
        "registries.yaml:2:24: site.secret_env_patterns: the patterns together are too "
        "large (24782 instructions, more than 20000), which would make every match slow; "
        "use fewer or smaller patterns"
    )


@pytest.mark.parametrize(
    ("pattern", "problem"),
    [
        ("a{1001}", "repeat count 1001 in '{1001}' is more than 1000, the most supported; "
         "use a smaller count, or + or * for 'any number'"),
        ("(a{10}){101}", "the repeat {101} multiplies the repeats inside it to more than "
         "1000, the most supported; use smaller counts, or + or * for 'any number'"),
        # Python's re reads these braces as repeats, RE2 as literal text.
        ("^v{,3}$", "write '{0,3}' for '{,3}', which would otherwise be literal text here"),
        ("^v{02}$", "write '{2}' for '{02}', which would otherwise be literal text here"),
        ("^v{3,2}$", "the smaller count must come first in '{3,2}'"),
        ("^(?P<major>\\d+)\\.(?P=major)$", f"backreference '(?P=' is not supported {LINEAR}"),
        ("^(?>\\d+)$", "atomic group '(?>' is not supported, nor needed: matching never "
         "backtracks; write '(?:' instead"),
        ("^\\d++$", "possessive quantifier '++' is not supported, nor needed: matching "
         "never backtracks; write '+' instead"),
        ("^v\\d\\Z", "'\\Z' is not supported; write '$', which here matches only at the very "
         "end as '\\Z' does (or '\\z')"),
        ("(?x) ^v \\d", "inline flag 'x' is not supported; the flags are i (ignore case), "
         "m (multi-line), s (. matches newline) and U (ungreedy)"),
        ("^caf\\u00e9$", "Python's '\\u' escape is not supported; write the character "
         "itself, or '\\x{...}' with its code in hex"),
        ("^.{1000}$", "too large (8002 instructions, more than 2000), which would make every "
         "match slow; use smaller repeat counts (a repeat copies what it repeats, and '.' is "
         "up to 8 instructions)"),
        ("[z-a]", "invalid character class range at 'z-a'"),
    ],
)  # fmt: skip
def test_what_the_pattern_engine_cannot_run_is_refused_with_a_way_out(
    tmp_path: Path, pattern: str, problem: str
) -> None:
    config = f"registries:\n  - name: a\n    url: http://127.0.0.1:1\n    tags:\n      include: '{pattern}'\n"
    assert error(tmp_path, config) == (
        "registries.yaml:5:16: registries[0].tags.include: invalid regular expression "
        f"'{pattern}': {problem}"
    )


def test_patterns_keep_their_meaning(tmp_path: Path) -> None:
    config = load(
        tmp_path,
        r"""
        site:
          secret_env_patterns: ['^aws_', '(?-i)Key$', '\x{2014}', '\p{Greek}']
        registries:
          - name: a
            url: http://127.0.0.1:1
            tags: {include: '(?i)^V?(?P<major>\d{1,3})\.', exclude: '-rc\d*$'}
        """,
    )
    tags = config.registries[0].tags
    assert tags.include is not None and tags.exclude is not None
    # A search, not a full match; inline flags; named groups; counted repeats.
    assert [
        t for t in ("v1.2", "V10.0-beta", "1.2.3", "latest", "x1.2") if tags.include.search(t)
    ] == [
        "v1.2",
        "V10.0-beta",
        "1.2.3",
    ]
    assert tags.exclude.search("2.0-rc1") and not tags.exclude.search("2.0-rc1-fix")
    # secret_env_patterns match case-insensitively unless a pattern says otherwise.
    masker = config.site.masker
    assert masker.secret_name("AWS_REGION") and masker.secret_name("aws_x")
    assert masker.secret_name("apiKey") and not masker.secret_name("API_KEY")
    # \x{...} and \p{...} are escapes, not repeats (2014 would be above the limit).
    assert masker.secret_name("A—B") and masker.secret_name("ΑΒΓ") and not masker.secret_name("AB")


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


def test_secret_shapes_are_known_names(tmp_path: Path) -> None:
    message = error(
        tmp_path,
        "site:\n  secret_shapes: [jwt, gitlab_token]\n"
        "registries:\n  - name: a\n    url: https://r.test\n",
    )
    assert message == (
        "registries.yaml:2:24: site.secret_shapes[1]: unknown secret shape 'gitlab_token'; "
        "did you mean 'gitlab-token'?"
    )
    empty = load(
        tmp_path, "site:\n  secret_shapes: []\nregistries:\n  - name: a\n    url: https://r.test\n"
    )
    assert empty.site.masker.shapes == ()


def test_default_platform_is_linux_amd64_unless_configured(tmp_path: Path) -> None:
    registries = "registries:\n  - name: local\n    url: http://127.0.0.1:5000\n"
    assert load(tmp_path, registries).site.default_platform == "linux/amd64"
    configured = load(tmp_path, "site:\n  default_platform: linux/arm64/v8\n" + registries)
    assert configured.site.default_platform == "linux/arm64/v8"
    message = error(tmp_path, "site:\n  default_platform: arm64\n" + registries)
    assert message == (
        "registries.yaml:2:21: site.default_platform: 'arm64' is not a platform like "
        "linux/amd64 or linux/arm/v7"
    )


def test_a_repository_names_its_recommended_tag(tmp_path: Path) -> None:
    config = load(
        tmp_path,
        """
        registries:
          - name: local
            url: http://127.0.0.1:5000
            repositories: [{name: a, recommended_tag: "2.1"}, b]
        """,
    )
    repositories = config.registries[0].repositories or ()
    assert [r.recommended_tag for r in repositories] == ["2.1", None]


@pytest.mark.parametrize(
    ("value", "seconds"), [("48h", 172800.0), ("90m", 5400.0), ("2d", 172800.0), ("3600", 3600.0)]
)
def test_stale_after_is_a_duration(tmp_path: Path, value: str, seconds: float) -> None:
    text = f"site:\n  stale_after: {value}\nregistries:\n  - {{name: a, url: 127.0.0.1:5000}}\n"
    assert load(tmp_path, text).site.stale_after == seconds


def test_stale_after_defaults_to_two_days(tmp_path: Path) -> None:
    config = load(tmp_path, "registries:\n  - {name: a, url: 127.0.0.1:5000}\n")
    assert config.site.stale_after == 48 * 3600


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("soon", "site.stale_after: expected a duration such as 90m, 48h or 7d, got the string"),
        ("10s", "site.stale_after: must be between 60 and 31622400 seconds, got 10 (10s)"),
        ("[1]", "site.stale_after: expected a duration such as 90m, 48h or 7d, got a list"),
    ],
)
def test_a_bad_stale_after_says_what_to_write(tmp_path: Path, value: str, expected: str) -> None:
    text = f"site:\n  stale_after: {value}\nregistries:\n  - {{name: a, url: 127.0.0.1:5000}}\n"
    assert expected in error(tmp_path, text)


def test_show_url_is_a_boolean_and_hides_the_address_by_default(tmp_path: Path) -> None:
    config = load(
        tmp_path,
        "registries:\n"
        "  - {name: a, url: 'https://internal.corp:5000/x', pull_host: pull.example.com}\n"
        "  - {name: b, url: 'https://open.example.org', show_url: true}\n",
    )
    hidden, shown = config.registries
    assert (hidden.show_url, shown.show_url) == (False, True)
    masker = config.site.masker
    message = "a/app: HTTP 500 (https://INTERNAL.corp:5000/x/v2/app/tags/list); internal.corp down"
    assert masker.message(message) == (
        "a/app: HTTP 500 (pull.example.com/v2/app/tags/list); pull.example.com down"
    )
    assert masker.message("b: https://open.example.org/v2/") == "b: https://open.example.org/v2/"
    assert "registries[0].show_url: expected true or false" in error(
        tmp_path, "registries:\n  - {name: a, url: 127.0.0.1:5000, show_url: maybe}\n"
    )


def test_sbom_bytes_is_a_limit_like_the_others_and_larger(tmp_path: Path) -> None:
    base = "registries:\n  - name: local\n    url: http://127.0.0.1:5000\n"
    limits = load(tmp_path, base).limits
    assert limits.sbom_bytes == 64 << 20 and limits.sbom_bytes > limits.supply_chain_bytes
    assert load(tmp_path, base + "limits:\n  sbom_bytes: 65536\n").limits.sbom_bytes == 65536
    message = error(tmp_path, base + "limits:\n  sbom_bytes: 0\n")
    assert message.startswith("registries.yaml:5:15: limits.sbom_bytes: ")
    message = error(tmp_path, base + "limits:\n  sbom_bytes: lots\n")
    assert message.startswith("registries.yaml:5:15: limits.sbom_bytes: ")
    # No document limit above what the cache keeps: a cached one could not be read back.
    for key in ("sbom_bytes", "supply_chain_bytes", "manifest_bytes", "config_bytes"):
        message = error(tmp_path, base + f"limits:\n  {key}: {(256 << 20) + 1}\n")
        assert message.startswith(f"registries.yaml:5:{5 + len(key)}: limits.{key}: ")
    assert load(tmp_path, base + f"limits:\n  sbom_bytes: {256 << 20}\n").limits.sbom_bytes == (
        256 << 20
    )


def test_supply_chain_bytes_is_a_limit_like_the_others(tmp_path: Path) -> None:
    base = "registries:\n  - name: local\n    url: http://127.0.0.1:5000\n"
    assert load(tmp_path, base).limits.supply_chain_bytes == 4 << 20
    assert (
        load(tmp_path, base + "limits:\n  supply_chain_bytes: 65536\n").limits.supply_chain_bytes
        == 65536
    )
    message = error(tmp_path, base + "limits:\n  supply_chain_bytes: 0\n")
    assert message.startswith("registries.yaml:5:23: limits.supply_chain_bytes: ")


def test_vendor_api_keys(tmp_path: Path) -> None:
    config = load(
        tmp_path,
        """
        registries:
          - {name: a, url: registry.example.com}
          - {name: b, url: harbor.example.com, api: harbor}
          - {name: c, url: docker.io, api: hub, api_url: "https://hub.mirror.example/"}
          - {name: d, url: 127.0.0.1:5000, api: quay, api_url: "http://127.0.0.1:8080/api/v1"}
          - {name: e, url: quay.io, api: NONE}
          - {name: f, url: r.azurecr.us, api: acr}
        """,
    )
    got = [(r.api, r.api_url) for r in config.registries]
    assert got == [
        ("auto", None),
        ("harbor", None),
        ("hub", "https://hub.mirror.example"),
        ("quay", "http://127.0.0.1:8080/api/v1"),
        ("none", None),
        ("acr", None),
    ]


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        (
            "api: hrbor",
            "registries.yaml:4:10: registries[0].api: 'hrbor' is not one of auto, none, harbor, hub, "
            "quay, ghcr, acr, gitlab; did you mean 'harbor'?",
        ),
        ("api_url: https://x.example", "4:14: registries[0].api_url: api_url needs the vendor"),
        ("{api: hub, api_url: ftp://x}", "registries[0].api_url: expected an http(s) URL"),
        ("{api: hub, api_url: 'https://u:p@x.example'}", "do not put credentials in the URL"),
        ("{api: hub, api_url: 'https://x.example/?a=1'}", "must not have a query or fragment"),
        ("{api: hub, api_url: 'http://hub.example'}", "plain http to a host other than loopback"),
    ],
)
def test_vendor_api_errors_are_located(tmp_path: Path, entry: str, message: str) -> None:
    if entry.startswith("{"):
        text = f"registries:\n  - {{name: a, url: r.example, {entry[1:-1]}}}\n"
    else:
        text = f"registries:\n  - name: a\n    url: r.example\n    {entry}\n"
    assert message in error(tmp_path, text)


def test_discover_keys(tmp_path: Path) -> None:
    config = load(
        tmp_path,
        """
        registries:
          - {name: a, url: ghcr.io, discover: {owners: [acme, Octo-Cat]}, include: "acme/*"}
          - {name: b, url: registry.gitlab.com, discover: {groups: [acme/platform], projects: 42}}
          - name: c
            url: registry.example.com
            api: gitlab
            api_url: https://gitlab.example.com/api/v4
            discover: {projects: [acme/tools.cli]}
          - {name: d, url: r.example.com}
          - {name: e, url: docker.io, discover: {namespaces: [acme, my-org]}}
          - {name: f, url: harbor.example.com, api: harbor, discover: {projects: [library, ci-cd]}}
        """,
    )
    got = [r.discover for r in config.registries]
    assert got == [
        Discovery(owners=("acme", "Octo-Cat")),
        Discovery(groups=("acme/platform",), projects=("42",)),
        Discovery(projects=("acme/tools.cli",)),
        None,
        Discovery(namespaces=("acme", "my-org")),
        Discovery(projects=("library", "ci-cd"), harbor=True),
    ]
    assert [d.vendor for d in got if d is not None] == ["ghcr", "gitlab", "gitlab", "hub", "harbor"]
    assert config.registries[2].api == "gitlab"


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        (
            "{url: ghcr.io, repositories: [a/b], discover: {owners: [a]}}",
            "registries[0].discover: discover finds repositories; it has no effect with a "
            "repositories list",
        ),
        ("{url: ghcr.io, discover: {}}", "name at least one owner"),
        ("{url: ghcr.io, discover: {owner: [a]}}", "did you mean 'owners'?"),
        ("{url: ghcr.io, discover: {owners: ['a/../b']}}", "discover.owners[0]: 'a/../b' is not"),
        ("{url: ghcr.io, discover: {owners: ['<b>x']}}", "is not a GitHub organisation"),
        ("{url: ghcr.io, discover: {owners: [a], groups: [b]}}", "choose one"),
        ("{url: docker.io, discover: {namespaces: [a], owners: [b]}}", "choose one"),
        ("{url: ghcr.io, discover: {namespaces: [a]}}", "for docker.io, or set api: hub"),
        ("{url: docker.io, discover: {namespaces: [Acme]}}", "'Acme' is not a Docker Hub"),
        ("{url: docker.io, discover: {namespaces: ['a/b']}}", "is not a Docker Hub namespace"),
        ("{url: quay.io, discover: {owners: [a]}}", "for ghcr.io, or set api: ghcr"),
        ("{url: ghcr.io, api: none, discover: {owners: [a]}}", "for ghcr.io, or set api: ghcr"),
        ("{url: r.example, discover: {groups: [a]}}", "set api: gitlab"),
        ("{url: r.example, api: gitlab, discover: {groups: [a]}}", "set api_url to its root"),
        ("{url: registry.gitlab.com, discover: {groups: [a/..]}}", "not a GitLab group path"),
        ("{url: registry.gitlab.com, discover: {projects: [-a]}}", "not a GitLab project path"),
        ("{url: registry.gitlab.com, discover: {projects: [a.git]}}", "not a GitLab project"),
        ("{url: r.example, discover: {projects: [a]}}", "set api: harbor"),
        ("{url: r.example, api: harbor, discover: {groups: [a]}}", "groups are GitLab's"),
        ("{url: r.example, api: harbor, discover: {projects: [a/b]}}", "not a Harbor project"),
        ("{url: r.example, api: harbor, discover: {projects: [Lib]}}", "not a Harbor project"),
        ("{url: r.example, api: harbor, discover: {projects: [a..b]}}", "not a Harbor project"),
    ],
)
def test_discover_errors_are_located(tmp_path: Path, entry: str, message: str) -> None:
    text = f"registries:\n  - {{name: a, {entry[1:-1]}}}\n"
    assert message in error(tmp_path, text)
