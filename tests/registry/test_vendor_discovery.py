"""Repositories discovered through GitHub's packages API (ghcr.io), GitLab's registry
repositories API, Docker Hub's namespace listing and Harbor's project repositories
where ``/v2/_catalog`` is refused:
fakes built from the captured responses, paging, refusals with what to do, hostile
values (whole builds: test_discovery_builds.py; docs/configuration.md#discovery)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest

from sitegen.config import Discovery, Limits
from sitegen.errors import AuthError, CatalogUnavailable, NotFoundError, ProtocolError
from sitegen.registry.vendors import discover
from tests.registry.fakes import (
    fixture_bytes,
    fixture_headers,
    fixture_json,
    fixture_variants,
    json_response,
    make_client,
    registry_config,
    run,
)

PACKAGES = "vendor-apis/ghpkg-user-packages-container-2024.json"
GITLAB_REPOS = "vendor-apis/gitlab-project-registry-repositories-tags-count-2024.json"
GITLAB_PAGE2 = "vendor-apis/gitlab-offset-pagination-headers-page2-of-2-2024.txt"
TOKEN = "ghp_NotARealTokenJustAFixture00"


def discovered(
    handler: Callable[[httpx.Request], httpx.Response],
    discovery: Discovery,
    *,
    url: str = "https://ghcr.io",
    username: str | None = "me",
    password: str | None = TOKEN,
    limits: Limits | None = None,
    **settings: Any,
) -> list[str] | None:
    config = registry_config(url=url, username=username if password else None,
                             password=password, discover=discovery, **settings)  # fmt: skip
    client = make_client(handler, config, limits=limits)

    async def go() -> list[str] | None:
        async with client:
            return await discover(client[config.name])

    return run(go())


def ping(request: httpx.Request) -> httpx.Response | None:
    return json_response(200, {}) if request.url.path == "/v2/" else None


# -- GitHub ------------------------------------------------------------------------------


def test_github_owner_packages_follow_link_verbatim() -> None:
    first, last = fixture_variants("vendor-apis/ghpkg-versions-link-header-variants.txt")
    page2 = [dict(fixture_json(PACKAGES)[0], name="tools/cli")]  # a name with a slash
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        if (answer := ping(request)) is not None:
            return answer
        seen.append(request)
        assert request.headers["authorization"] == f"Bearer {TOKEN}"
        if request.url.path == "/orgs/shaneapowell":
            return json_response(404, {"message": "Not Found"})
        if request.url.path == "/users/shaneapowell/packages":
            assert request.url.params["package_type"] == "container"
            return httpx.Response(200, content=fixture_bytes(PACKAGES), headers={"link": first})
        # The captured link names /organizations/{id}/...: followed as given.
        assert request.url.path.startswith("/organizations/54834211/")
        return json_response(200, page2, {"link": last})

    names = discovered(handler, Discovery(owners=("ShaneAPowell",)))
    assert names == [
        "shaneapowell/docker-zenphoto",
        "shaneapowell/ghaction-package-admin",
        "shaneapowell/tools/cli",
    ]
    assert [r.url.host for r in seen] == ["api.github.com"] * 3


def test_github_without_a_token_says_what_to_set() -> None:
    with pytest.raises(CatalogUnavailable, match="read:packages"):
        discovered(lambda r: json_response(200, {}), Discovery(owners=("acme",)), password=None)


def test_github_refusal_names_the_scope_and_never_the_token() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if (answer := ping(request)) is not None:
            return answer
        if request.url.path == "/orgs/acme":
            return json_response(200, {"login": "acme"})
        message = f"You need at least read:packages scope to list packages. {TOKEN}"
        return json_response(403, {"message": message})

    with pytest.raises(AuthError) as caught:
        discovered(handler, Discovery(owners=("acme",)))
    text = str(caught.value)
    assert "HTTP 403" in text and "needs the read:packages scope" in text
    assert TOKEN not in text and "/orgs/acme/packages" in text


def test_github_hostile_rows_are_dropped() -> None:
    row = fixture_json(PACKAGES)[0]
    rows = [
        dict(row, name="../../etc"),
        dict(row, name="<script>alert(1)</script>"),
        dict(row, name=7),
        dict(row, name="UPPER"),
        dict(row, name="npm-thing", package_type="npm"),
        {k: v for k, v in row.items() if k != "name"},
        dict(row, name="good/one"),
    ]

    def handler(request: httpx.Request) -> httpx.Response:
        if (answer := ping(request)) is not None:
            return answer
        if request.url.path == "/orgs/acme":
            return json_response(200, {})
        return json_response(200, rows)

    assert discovered(handler, Discovery(owners=("acme",))) == ["acme/good/one"]


@pytest.mark.parametrize(
    ("body", "link", "limits", "problem"),
    [
        (b'{"message": "x"}', None, None, "not a list of objects"),
        (b"[1, 2]", None, None, "not a list of objects"),
        (None, '<https://evil.test/users/acme/packages?page=2>; rel="next"', None, "another host"),
        (None, "same", None, "read before"),
        (None, "more", Limits(pages=4), "stopped at the limit"),
        (None, "more", Limits(repositories=3), r"at the limit \(2 pages, 4 repositories; .*repos"),
    ],
)
def test_github_bad_pages_fail_the_discovery(
    body: bytes | None, link: str | None, limits: Limits | None, problem: str
) -> None:
    requests = []

    def handler(request: httpx.Request) -> httpx.Response:
        if (answer := ping(request)) is not None:
            return answer
        if request.url.path == "/orgs/acme":
            return json_response(200, {})
        requests.append(request)
        page = int(request.url.params.get("page", "1"))
        rows = [dict(fixture_json(PACKAGES)[0], name=f"p{page}-{i}") for i in range(2)]
        headers = {}
        if link == "same":
            headers["link"] = f'<{request.url}>; rel="next"'
        elif link == "more":
            headers["link"] = f'<{request.url.copy_set_param("page", page + 1)}>; rel="next"'
        elif link is not None:
            headers["link"] = link
        if body is not None:
            return httpx.Response(200, content=body, headers=headers)
        return json_response(200, rows, headers)

    with pytest.raises(ProtocolError, match=problem):
        discovered(handler, Discovery(owners=("acme",)), limits=limits)
    assert len(requests) <= 4


# -- GitLab ------------------------------------------------------------------------------


def gitlab_headers(page: int) -> dict[str, str]:
    """The captured page-2-of-2 headers; page 1 says there is a page 2."""
    _, headers = fixture_headers(GITLAB_PAGE2)
    found = {k: v for k, v in headers if k.startswith("x-") or k == "link"}
    if page == 1:
        found.update({"x-page": "1", "x-next-page": "2", "x-prev-page": ""})
    return found


def test_gitlab_project_and_group_pages_by_x_next_page() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        if (answer := ping(request)) is not None:
            return answer
        seen.append(request)
        assert request.headers["private-token"] == TOKEN and "authorization" not in request.headers
        if request.url.raw_path.startswith(b"/api/v4/projects/jordilin%2Fgitlapi/"):
            return httpx.Response(200, content=fixture_bytes(GITLAB_REPOS))
        page = int(request.url.params["page"])
        rows = [dict(fixture_json(GITLAB_REPOS)[1], path=f"team/app{page}")]
        return json_response(200, rows, gitlab_headers(page))

    names = discovered(
        handler,
        Discovery(groups=("team",), projects=("jordilin/gitlapi",)),
        url="https://registry.gitlab.com",
    )
    assert names == ["team/app1", "team/app2", "jordilin/gitlapi", "jordilin/gitlapi/test"]
    # Never the captured link's internal host; pages of 100 on gitlab.com's API.
    assert {r.url.host for r in seen} == {"gitlab.com"}
    assert seen[0].url.path == "/api/v4/groups/team/registry/repositories"
    assert seen[0].url.params["per_page"] == "100" and seen[1].url.params["page"] == "2"


def test_gitlab_job_token_and_a_self_managed_api_url() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if (answer := ping(request)) is not None:
            return answer
        assert request.url.host == "gitlab.example.com"
        assert request.headers["job-token"] == TOKEN and "private-token" not in request.headers
        return httpx.Response(200, content=fixture_bytes(GITLAB_REPOS))

    names = discovered(
        handler,
        Discovery(projects=("44438708",)),
        url="https://registry.example.com",
        username="gitlab-ci-token",
        api="gitlab",
        api_url="https://gitlab.example.com/api/v4",
    )
    assert names == ["jordilin/gitlapi", "jordilin/gitlapi/test"]


@pytest.mark.parametrize(
    ("status", "fixture", "error", "said"),
    [
        (401, "gitlab-api-401-unauthorized-2020.json", AuthError, "401 Unauthorized"),
        (403, "gitlab-api-insufficient-scope-2020.json", AuthError, "insufficient_scope"),
        (404, "gitlab-api-404-project-not-found-no-token-2020.json", NotFoundError, "Not Found"),
    ],
)
def test_gitlab_refusals_say_what_to_do(
    status: int, fixture: str, error: type[Exception], said: str
) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if (answer := ping(request)) is not None:
            return answer
        return httpx.Response(status, content=fixture_bytes(f"vendor-apis/{fixture}"))

    with pytest.raises(error) as caught:
        discovered(handler, Discovery(projects=("a/b",)), url="https://registry.gitlab.com")
    text = str(caught.value)
    assert said in text and "read_api" in text and "private group or project answers 404" in text
    assert TOKEN not in text


@pytest.mark.parametrize("following", ["1", "x", "-3"])
def test_gitlab_next_page_that_makes_no_progress_fails(following: str) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if (answer := ping(request)) is not None:
            return answer
        return httpx.Response(
            200, content=fixture_bytes(GITLAB_REPOS), headers={"x-next-page": following}
        )

    with pytest.raises(ProtocolError, match="x-next-page"):
        discovered(handler, Discovery(groups=("g",)), url="https://registry.gitlab.com")


def test_gitlab_token_does_not_follow_a_redirect_to_another_host() -> None:
    elsewhere: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        if (answer := ping(request)) is not None:
            return answer
        if request.url.host == "gitlab.com":
            return httpx.Response(302, headers={"Location": "https://evil.test/steal"})
        elsewhere.append(request)
        return httpx.Response(200, content=fixture_bytes(GITLAB_REPOS))

    with pytest.raises(ProtocolError, match="redirected to another host"):
        discovered(handler, Discovery(groups=("g",)), url="https://registry.gitlab.com")
    assert elsewhere and all(
        name not in r.headers for r in elsewhere for name in ("private-token", "job-token")
    )


def test_gitlab_hostile_paths_are_dropped() -> None:
    row = fixture_json(GITLAB_REPOS)[0]
    rows = [dict(row, path=p) for p in ("a/../b", "a/<b>", None, ["x"], "", "a/ok")]

    def handler(request: httpx.Request) -> httpx.Response:
        if (answer := ping(request)) is not None:
            return answer
        return json_response(200, rows)

    names = discovered(handler, Discovery(groups=("a",)), url="https://registry.gitlab.com")
    assert names == ["a/ok"]


def test_without_discover_nothing_is_asked() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise AssertionError(request.url)

    assert discovered(handler, None) is None  # type: ignore[arg-type]


# -- Docker Hub --------------------------------------------------------------------------

HUB_PAGE1 = "vendor-apis/dockerhub-namespace-repositories-page1-2026.json"
HUB_SIZE1 = "vendor-apis/dockerhub-namespace-repositories-page1-size1-2026.json"


def test_docker_hub_namespace_pages_follow_next() -> None:
    seen: list[httpx.Request] = []
    captured = fixture_json(HUB_PAGE1)

    def handler(request: httpx.Request) -> httpx.Response:
        if (answer := ping(request)) is not None:
            return answer
        seen.append(request)
        if "page" not in request.url.params:
            return httpx.Response(200, content=fixture_bytes(HUB_PAGE1))
        assert str(request.url) == captured["next"]  # followed as given
        rows = [dict(captured["results"][0], name="last-one")]
        return json_response(200, dict(captured, next=None, results=rows))

    names = discovered(handler, Discovery(namespaces=("aciliadevops",)),
                       url="https://registry-1.docker.io", password=None)  # fmt: skip
    assert names == [f"aciliadevops/{r['name']}" for r in captured["results"]] + [
        "aciliadevops/last-one"
    ]
    assert str(seen[0].url) == "https://hub.docker.com/v2/repositories/aciliadevops?page_size=100"
    assert "authorization" not in seen[0].headers  # anonymous: public repositories


def test_docker_hub_page_size_is_kept_in_next() -> None:
    from sitegen.registry.vendors import hub

    page = hub.repositories("aciliadevops")(fixture_bytes(HUB_SIZE1), httpx.Headers(), "", "l")
    assert page.items == ("aciliadevops/memcached",) and page.entries == 1
    assert page.next_url == fixture_json(HUB_SIZE1)["next"]


def test_docker_hub_hostile_rows_are_dropped() -> None:
    captured = fixture_json(HUB_PAGE1)
    row = captured["results"][0]
    rows = [dict(row, namespace="someone-else"), dict(row, name=".."), dict(row, name="UP"),
            dict(row, name="a<b>"), dict(row, name=None), dict(row, name="ok")]  # fmt: skip

    def handler(request: httpx.Request) -> httpx.Response:
        if (answer := ping(request)) is not None:
            return answer
        return json_response(200, dict(captured, next=None, results=rows))

    names = discovered(handler, Discovery(namespaces=("aciliadevops",)),
                       url="https://registry-1.docker.io", password=None)  # fmt: skip
    assert names == ["aciliadevops/ok"]


def test_docker_hub_unknown_namespace_says_what_to_check() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if (answer := ping(request)) is not None:
            return answer
        body = fixture_bytes("vendor-apis/dockerhub-tag-detail-404-httperror.json")
        return httpx.Response(404, content=body)

    with pytest.raises(NotFoundError, match="check the namespace"):
        discovered(handler, Discovery(namespaces=("nobody",)),
                   url="https://registry-1.docker.io", password=None)  # fmt: skip


# -- Harbor ------------------------------------------------------------------------------
# No capture of a project's repository list was found. Its rows carry the fields of
# Harbor's API definition (api/v2.0/swagger.yaml, ``Repository`` and ``listRepositories``,
# goharbor/harbor at c50c7ddd), each name whole as Harbor's own API tests compare it
# (``project/name``: tests/apitests/python/library/repository.py); its pages are linked
# as the artifact lists are (``Link``, path-relative: harbor.py); the refusal is captured.

HARBOR = "https://harbor.example"


def _harbor_rows(*names: str | None) -> list[dict[str, Any]]:
    return [
        {
            "artifact_count": 3,
            "creation_time": "2024-05-08T09:30:12.345Z",
            "id": number,
            "name": name,
            "project_id": 2,
            "pull_count": 0,
            "update_time": "2024-07-18T10:00:00.000Z",
        }
        for number, name in enumerate(names, start=1)
    ]


def test_harbor_project_repositories_follow_link_verbatim() -> None:
    seen: list[httpx.Request] = []
    first = "/api/v2.0/projects/team/repositories?page=2&page_size=100"

    def handler(request: httpx.Request) -> httpx.Response:
        if (answer := ping(request)) is not None:
            return answer
        seen.append(request)
        assert request.headers["authorization"].startswith("Basic ")
        if request.url.params["page"] == "1":
            rows = _harbor_rows("team/api", "team/tools/cli")
            return json_response(
                200, rows, {"link": f'<{first}>; rel="next"', "x-total-count": "3"}
            )
        back = '</api/v2.0/projects/team/repositories?page=1&page_size=100>; rel="prev"'
        return json_response(200, _harbor_rows("team/web"), {"link": back, "x-total-count": "3"})

    names = discovered(handler, Discovery(projects=("team",), harbor=True), url=HARBOR,
                       username="robot$ci", password="not-a-real-secret")  # fmt: skip
    assert names == ["team/api", "team/tools/cli", "team/web"]
    assert [str(r.url) for r in seen] == [
        f"{HARBOR}/api/v2.0/projects/team/repositories?page=1&page_size=100",
        f"{HARBOR}{first}",
    ]


def test_harbor_rows_of_other_projects_and_hostile_names_are_dropped() -> None:
    rows = _harbor_rows("other/app", "team/..", "team/UP", "team/a<b>", None, "team", "team/ok")

    def handler(request: httpx.Request) -> httpx.Response:
        if (answer := ping(request)) is not None:
            return answer
        return json_response(200, rows)

    names = discovered(handler, Discovery(projects=("team",), harbor=True), url=HARBOR,
                       username=None, password=None)  # fmt: skip
    assert names == ["team/ok"]


@pytest.mark.parametrize(
    ("body", "names"),
    [
        (b'[{"name": "team\\/escaped\\u002dname", "id": 1}]', ["team/escaped-name"]),
        (b"null", []),  # no rows: an empty project
        (b'[{"name": {"deep": [[["team/x"]]]}}, {"name": 7}]', []),
        (b'{"name": "team/not-a-list"}', None),  # a doubt: the registry fails, with why
    ],
)
def test_harbor_project_pages_in_odd_shapes(body: bytes, names: list[str] | None) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if (answer := ping(request)) is not None:
            return answer
        return httpx.Response(200, content=body, headers={"content-type": "application/json"})

    def run_it() -> list[str] | None:
        return discovered(handler, Discovery(projects=("team",), harbor=True), url=HARBOR,
                          username=None, password=None)  # fmt: skip

    if names is None:
        with pytest.raises(ProtocolError, match="not a list of objects"):
            run_it()
    else:
        assert run_it() == names


def test_harbor_private_project_without_an_account_says_what_to_check() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if (answer := ping(request)) is not None:
            return answer
        assert "authorization" not in request.headers  # anonymous: public projects
        status, headers = fixture_headers("harbor/api-v2.0-401.txt")
        body = fixture_bytes("harbor/api-v2.0-401.json")
        return httpx.Response(status or 0, content=body, headers=headers)

    with pytest.raises(AuthError, match="a private project is listed only for an account"):
        discovered(handler, Discovery(projects=("team",), harbor=True), url=HARBOR,
                   username=None, password=None)  # fmt: skip
