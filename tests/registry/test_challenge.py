"""docs/protocol.md item 2 (RFC 7235 challenges) and 6 (scope strings), on real captured headers."""

from __future__ import annotations

import pytest

from sitegen.registry.auth import Scope, canonical_scopes
from sitegen.registry.challenge import choose, parse_challenges
from tests.registry.fakes import fixture_header, fixture_variants


def test_several_challenges_in_one_header_are_all_read() -> None:
    # docs/protocol.md item 2: regclient's case; most clients read only the first challenge.
    found = parse_challenges(['Basic realm="x", Bearer realm="y",service="z"'])
    assert [(c.scheme, dict(c.params)) for c in found] == [
        ("basic", {"realm": "x"}),
        ("bearer", {"realm": "y", "service": "z"}),
    ]
    chosen = choose(found)
    assert chosen is not None and chosen.scheme == "bearer" and chosen.realm == "y"


def test_several_headers_and_unknown_schemes() -> None:
    found = parse_challenges(["Negotiate abc==", "NTLM", 'Basic realm="only"'])
    assert [c.scheme for c in found] == ["negotiate", "ntlm", "basic"]
    chosen = choose(found)
    assert chosen is not None and chosen.scheme == "basic"
    assert choose(parse_challenges(["Negotiate abc==, NTLM"])) is None


def test_scheme_and_keys_are_case_insensitive_nexus_uppercase_basic() -> None:
    header = fixture_header("nexus/v2-401-forcebasicauth.txt", "WWW-Authenticate")
    (challenge,) = parse_challenges([header])
    assert challenge.scheme == "basic"
    assert challenge.realm == "Sonatype Nexus Repository Manager"
    (mixed,) = parse_challenges(['BeArEr ReAlM="https://a/t",SERVICE="s"'])
    assert (mixed.scheme, mixed.realm, mixed.service) == ("bearer", "https://a/t", "s")


def test_quoted_strings_with_backslash_escapes() -> None:
    (challenge,) = parse_challenges([r'Bearer realm="https://a/t",service="say \"hi\", \\ ok"'])
    assert challenge.service == 'say "hi", \\ ok'


@pytest.mark.parametrize(
    ("fixture", "line", "realm", "service", "scopes"),
    [
        ("gcr/www-authenticate-variants.txt", 0, "https://gcr.io/v2/token", "gcr.io", ()),
        ("gcr/www-authenticate-variants.txt", 1, "https://us-docker.pkg.dev/v2/token", None, ()),
        (
            "dockerhub/www-authenticate-variants.txt",
            4,
            "https://auth.docker.io/token",
            "registry.docker.io",
            ("repository:samalba/my-app:pull,push",),
        ),
        (
            "gitlab/www-authenticate-variants.txt",
            1,
            "https://ourgitlab.com/jwt/auth",
            "container_registry",
            ("registry:catalog:*",),
        ),
        ("quay/www-authenticate-variants.txt", 0, "https://quay.io/v2/auth", "quay.io", ()),
    ],
)
def test_real_challenges(
    fixture: str, line: int, realm: str, service: str | None, scopes: tuple[str, ...]
) -> None:
    # gcr.io sends service=gcr.io unquoted; Artifact Registry omits service on /v2/.
    (challenge,) = parse_challenges([fixture_variants(fixture)[line]])
    assert (challenge.scheme, challenge.realm, challenge.service) == ("bearer", realm, service)
    assert challenge.scopes == scopes


def test_suse_service_with_spaces_and_error() -> None:
    header = fixture_header("other/suse-catalog-401-insufficient-scope.txt", "Www-Authenticate")
    (challenge,) = parse_challenges([header])
    assert challenge.service == "SUSE Linux Docker Registry"
    assert challenge.error == "insufficient_scope"
    assert challenge.scopes == ("registry:catalog:*",)


def test_ecr_basic_with_service_is_basic() -> None:
    header = fixture_header("ecr/private-www-authenticate.txt", "WWW-Authenticate")
    chosen = choose(parse_challenges([header]))
    assert chosen is not None and chosen.scheme == "basic"
    assert chosen.service == "ecr.amazonaws.com"


def test_unquoted_scope_with_comma_actions_quay_2016() -> None:
    (challenge,) = parse_challenges(
        ['Bearer realm="https://quay.io/v2/auth",service=quay.io,scope=repository:a/b:pull,push']
    )
    assert challenge.scopes == ("repository:a/b:pull,push",)
    assert challenge.service == "quay.io"


# -- docs/protocol.md item 6: scopes ---------------------------------------------------------------


def test_scope_name_with_host_port_splits_actions_at_the_last_colon() -> None:
    scope = Scope.parse("repository:localhost:5000/app:pull,push")
    assert scope == Scope("repository", "localhost:5000/app", ("pull", "push"))
    assert str(scope) == "repository:localhost:5000/app:pull,push"


def test_equal_scopes_merge_and_sort_into_one_cache_key() -> None:
    a = canonical_scopes(["repository:b:push", "repository:a:pull", "repository:b:pull"])
    b = canonical_scopes(["repository:b:pull,push", "repository:a:pull"])
    assert a == b == ("repository:a:pull", "repository:b:pull,push")


def test_arbitrary_resource_types_and_opaque_scopes_pass_through() -> None:
    # ACR's Helm endpoint asks for artifact-repository:repo:pull; Gitea sends scope="*".
    acr = parse_challenges([fixture_header("acr/helm-index-401.txt", "Www-Authenticate")])[0]
    assert canonical_scopes(acr.scopes) == ("artifact-repository:repo:pull",)
    gitea = parse_challenges(
        [fixture_header("other/gitea-www-authenticate.txt", "www-authenticate")]
    )
    assert canonical_scopes(gitea[0].scopes) == ("*",)
    assert Scope.parse("*") is None


@pytest.mark.parametrize(
    ("fixture", "scope"),
    [
        ("distribution/token-spec-401.txt", "repository:samalba/my-app:pull,push"),
        ("acr/catalog-401.txt", "registry:catalog:*"),
    ],
)
def test_challenges_from_full_responses(fixture: str, scope: str) -> None:
    (challenge,) = parse_challenges([fixture_header(fixture, "Www-Authenticate")])
    assert challenge.scheme == "bearer" and challenge.scopes == (scope,)
