"""Labels as answers: the source repository and commit links per forge, and which label
values may become links at all (registry data is hostile)."""

from __future__ import annotations

import pytest

from sitegen.site.pages.labels import commit_url, repository_url, safe_url

SHA = "34fe1ae66f8c0d5e1c3b5a0e3f9e1b2c3d4e5f60"


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("https://github.com/example/web", f"https://github.com/example/web/commit/{SHA}"),
        ("https://github.com/example/web.git", f"https://github.com/example/web/commit/{SHA}"),
        ("https://github.com/example/web/", f"https://github.com/example/web/commit/{SHA}"),
        ("git@github.com:example/web.git", f"https://github.com/example/web/commit/{SHA}"),
        ("ssh://git@github.com/example/web.git", f"https://github.com/example/web/commit/{SHA}"),
        ("git+https://github.com/example/web", f"https://github.com/example/web/commit/{SHA}"),
        (
            "https://github.com/example/web/tree/main/docker",
            f"https://github.com/example/web/commit/{SHA}",
        ),
        ("https://gitlab.com/group/app", f"https://gitlab.com/group/app/-/commit/{SHA}"),
        (
            "https://gitlab.com/group/sub/app.git",
            f"https://gitlab.com/group/sub/app/-/commit/{SHA}",
        ),
        (
            "https://gitlab.example.org/group/app/-/tree/main",
            f"https://gitlab.example.org/group/app/-/commit/{SHA}",
        ),
        ("git@gitlab.com:group/app.git", f"https://gitlab.com/group/app/-/commit/{SHA}"),
        ("https://bitbucket.org/team/app", f"https://bitbucket.org/team/app/commits/{SHA}"),
        (
            "https://codeberg.org/forgejo/forgejo",
            f"https://codeberg.org/forgejo/forgejo/commit/{SHA}",
        ),
        ("https://gitea.com/gitea/tea.git/", f"https://gitea.com/gitea/tea/commit/{SHA}"),
        ("https://forgejo.example.net/me/app", f"https://forgejo.example.net/me/app/commit/{SHA}"),
    ],
)
def test_a_commit_links_to_its_forge(source: str, expected: str) -> None:
    assert commit_url(source, SHA) == expected


@pytest.mark.parametrize(
    ("source", "revision"),
    [
        ("https://git.example.com/team/app", SHA),  # unknown forge: no guessed link
        ("https://github.com/example", SHA),  # no repository in the path
        ("https://github.com/example/web", "main"),  # a branch is no commit
        ("https://github.com/example/web", "v1.2.0"),
        ("https://github.com/example/web", f"{SHA}/../../evil"),
        ("javascript:alert(1)//github.com/example/web", SHA),
        ("not a url", SHA),
    ],
)
def test_no_commit_link_where_none_can_be_made(source: str, revision: str) -> None:
    assert commit_url(source, revision) == ""


def test_an_unknown_forge_still_links_its_source() -> None:
    assert repository_url("https://git.example.com/team/app.git/") == (
        "https://git.example.com/team/app"
    )
    assert repository_url("git@git.example.com:team/app.git") == "https://git.example.com/team/app"


@pytest.mark.parametrize(
    "value",
    [
        "javascript:alert(1)",
        "JavaScript:alert(1)",
        " javascript:alert(1)",
        "data:text/html,<script>alert(1)</script>",
        "file:///etc/passwd",
        "vbscript:msgbox",
        "//evil.example/path",
        "https://user:secret@example.com/",  # credentials never become a link
        'https://example.com/" onmouseover="alert(1)',
        "https://example.com/a b",
        "https://example.com/\nx",
        "https://",
        "https://example.com:notaport/",
        "https://example.com/" + "a" * 3000,
    ],
)
def test_only_plain_http_urls_become_links(value: str) -> None:
    assert safe_url(value) == ""


def test_http_and_https_urls_are_links() -> None:
    assert safe_url("https://example.com/docs?x=1#y") == "https://example.com/docs?x=1#y"
    assert safe_url("http://example.com") == "http://example.com"
