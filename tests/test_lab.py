"""The lab harness works against the real registry: pushes land byte for byte, each
auth mode behaves like a real deployment, and skopeo agrees with what we pushed.

These tests start Debian's ``docker-registry`` (distribution 2.8) on 127.0.0.1; they are
skipped where it is not installed.
"""

from __future__ import annotations

import base64
import json
import re
import shutil
import socket
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

# ``pytest`` (unlike ``python -m pytest``) does not put the repository root on sys.path,
# and lab/ is not an installed package.
ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from lab.images import (  # noqa: E402
    MANIFEST_MEDIA_TYPES,
    OCI_INDEX,
    Built,
    fallback_tag,
    image,
    index,
)
from lab.push import (  # noqa: E402
    parse_challenge,
    skopeo_inspect_config,
    skopeo_inspect_raw,
    skopeo_list_tags,
)
from lab.registry import (  # noqa: E402
    ADMIN_PASSWORD,
    ADMIN_USER,
    ALICE_USER,
    BASIC_REALM,
    RegistryStartError,
    RunningRegistry,
    running_registry,
    start_registry,
)
from lab.samples import SampleRepo, push_samples, sample_repos  # noqa: E402
from lab.tokenserver import parse_scope  # noqa: E402

pytestmark = pytest.mark.skipif(
    shutil.which("docker-registry") is None or shutil.which("skopeo") is None,
    reason="needs docker-registry and skopeo (apt-get install docker-registry skopeo)",
)

ACCEPT = {"Accept": ", ".join(MANIFEST_MEDIA_TYPES)}
LIBTRUST_KID = re.compile(r"[A-Z2-7]{4}(?::[A-Z2-7]{4}){11}")


@pytest.fixture(scope="module")
def plain(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningRegistry]:
    """No auth; samples pushed, ``base/alpine`` with skopeo and the rest through the API."""
    workdir = tmp_path_factory.mktemp("plain")
    with running_registry(workdir) as registry:
        push_samples(registry, via_skopeo=("base/alpine",), workdir=workdir)
        yield registry


@pytest.fixture(scope="module")
def token(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningRegistry]:
    """Token auth; samples pushed through the API as the admin user."""
    with running_registry(tmp_path_factory.mktemp("token"), auth="token") as registry:
        push_samples(registry)
        yield registry


@pytest.fixture(scope="module")
def basic(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningRegistry]:
    with running_registry(tmp_path_factory.mktemp("basic"), auth="basic") as registry:
        yield registry


@pytest.fixture(scope="module")
def samples() -> dict[str, SampleRepo]:
    return {repo.name: repo for repo in sample_repos()}


def jwt_claims(token: str) -> dict[str, Any]:
    payload = token.split(".")[1]
    return dict(json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))))


def jwt_header(token: str) -> dict[str, Any]:
    header = token.split(".", maxsplit=1)[0]
    return dict(json.loads(base64.urlsafe_b64decode(header + "=" * (-len(header) % 4))))


def token_for(
    registry: RunningRegistry, path: str, user: str | None = None
) -> tuple[httpx.Response, str]:
    """GET ``path`` anonymously, then fetch a token the way its challenge says.

    Returns the first (401) response and the token, proving realm, service and scope
    all come from the registry's own challenge.
    """
    first = httpx.get(registry.url + path, headers=ACCEPT)
    assert first.status_code == 401
    scheme, params = parse_challenge(first.headers["WWW-Authenticate"])
    assert scheme == "bearer"
    auth = (user, registry.users[user]) if user else None
    answer = httpx.get(
        params["realm"], params={"service": params["service"], "scope": params["scope"]}, auth=auth
    )
    assert answer.status_code == 200, answer.text
    return first, str(answer.json()["token"])


# -- images ------------------------------------------------------------------------


def test_samples_are_deterministic() -> None:
    def digests() -> list[tuple[str, dict[str, str]]]:
        return [(r.name, {t: b.digest for t, b in r.tags.items()}) for r in sample_repos()]

    assert digests() == digests()
    assert image().digest == image().digest
    assert image(files=[{"/a": b"1"}]).digest != image(files=[{"/a": b"2"}]).digest


def test_alpine_index_shape(samples: dict[str, SampleRepo]) -> None:
    built = samples["base/alpine"].tags["latest"]
    body = json.loads(built.manifest)
    assert body["mediaType"] == OCI_INDEX
    platforms = [m["platform"] for m in body["manifests"]]
    assert platforms[:3] == [
        {"architecture": "amd64", "os": "linux"},
        {"architecture": "arm64", "os": "linux", "variant": "v8"},
        {"architecture": "arm", "os": "linux", "variant": "v7"},
    ]
    # BuildKit puts one attestation per platform after the platform entries.
    attestations = body["manifests"][3:]
    assert [a["annotations"]["vnd.docker.reference.digest"] for a in attestations] == [
        m["digest"] for m in body["manifests"][:3]
    ]
    assert all(a["platform"] == {"architecture": "unknown", "os": "unknown"} for a in attestations)
    # Entries and attestation manifests as BuildKit documents them.
    fixtures = Path(__file__).parent / "fixtures" / "real-world" / "distribution"
    documented = json.loads((fixtures / "buildkit-attestation-index-example.json").read_text())
    example = next(
        m
        for m in documented["manifests"]
        if "vnd.docker.reference.type" in m.get("annotations", {})
    )
    assert set(attestations[0]["annotations"]) == set(example["annotations"])
    assert attestations[0]["mediaType"] == example["mediaType"]
    shape = json.loads((fixtures / "buildkit-attestation-manifest-example.json").read_text())
    child = next(c for c in built.children if c.digest == attestations[0]["digest"])
    ours = json.loads(child.manifest)
    assert ours["mediaType"] == shape["mediaType"]
    assert {layer["mediaType"] for layer in ours["layers"]} == {shape["layers"][0]["mediaType"]}
    assert all(
        set(layer["annotations"]) == {"in-toto.io/predicate-type"} for layer in ours["layers"]
    )
    assert {tag for tag, b in samples["base/alpine"].tags.items() if b is built} == {
        "3.20.1",
        "3.20",
        "3",
        "latest",
    }


def test_parse_scope_splits_actions_at_last_colon() -> None:
    assert parse_scope("repository:127.0.0.1:5000/foo:pull,push") == (
        "repository",
        "127.0.0.1:5000/foo",
        ["pull", "push"],
    )
    assert parse_scope("registry:catalog:*") == ("registry", "catalog", ["*"])
    assert parse_scope("repository(plugin):x:pull") == ("repository", "x", ["pull"])
    assert parse_scope("nonsense") is None


# -- no auth -----------------------------------------------------------------------


def test_pushed_manifests_read_back_byte_for_byte(
    plain: RunningRegistry, samples: dict[str, SampleRepo]
) -> None:
    with httpx.Client(base_url=plain.url, headers=ACCEPT) as client:
        for repo in samples.values():
            listed = client.get(f"/v2/{repo.name}/tags/list").json()["tags"]
            assert sorted(listed or []) == sorted(repo.tags), repo.name
            for tag, built in repo.tags.items():
                response = client.get(f"/v2/{repo.name}/manifests/{tag}")
                assert response.status_code == 200, (repo.name, tag)
                assert response.headers["Docker-Content-Digest"] == built.digest
                assert response.content == built.manifest
                assert response.headers["Content-Type"] == built.media_type


def test_deleted_repository_stays_in_catalog_with_null_tags(plain: RunningRegistry) -> None:
    catalog = httpx.get(plain.url + "/v2/_catalog").json()["repositories"]
    assert "old/empty" in catalog
    answer = httpx.get(plain.url + "/v2/old/empty/tags/list")
    assert answer.status_code == 200
    assert answer.json() == {"name": "old/empty", "tags": None}


def test_skopeo_pushed_index_keeps_its_bytes(
    plain: RunningRegistry, samples: dict[str, SampleRepo]
) -> None:
    built = samples["base/alpine"].tags["3.20.1"]
    assert skopeo_inspect_raw(plain.ref("base/alpine:3.20.1")) == built.manifest
    child = built.children[1]
    assert skopeo_inspect_raw(plain.ref(f"base/alpine@{child.digest}")) == child.manifest


def test_referrers_and_signature_tags(
    plain: RunningRegistry, samples: dict[str, SampleRepo]
) -> None:
    web = samples["apps/web"]
    subject = web.tags["v1.2.0"]
    stem = fallback_tag(subject.digest)
    signature = skopeo_inspect_raw(plain.ref(f"apps/web:{stem}.sig"))
    assert "mediaType" not in json.loads(signature)  # cosign's shape, kept by the registry
    referrers = json.loads(skopeo_inspect_raw(plain.ref(f"apps/web:{stem}")))
    assert referrers["manifests"][0]["artifactType"] == "application/spdx+json"
    sbom = json.loads(
        skopeo_inspect_raw(plain.ref(f"apps/web@{referrers['manifests'][0]['digest']}"))
    )
    assert sbom["subject"]["digest"] == subject.digest


def test_access_log_counts_requests(plain: RunningRegistry) -> None:
    before = len(plain.access_log())
    httpx.get(plain.url + "/v2/public/hello/manifests/latest", headers=ACCEPT)
    httpx.head(plain.url + "/v2/public/hello/manifests/1", headers=ACCEPT)
    assert [(e.method, e.path, e.status) for e in plain.access_log(before)] == [
        ("GET", "/v2/public/hello/manifests/latest", 200),
        ("HEAD", "/v2/public/hello/manifests/1", 200),
    ]


def test_stop_ends_the_process(tmp_path: Path) -> None:
    with running_registry(tmp_path, auth="token") as registry:
        process = registry.process
        assert process is not None
        assert process.poll() is None
    assert process.poll() is not None
    with pytest.raises(httpx.ConnectError):
        httpx.get(registry.url + "/v2/")
    registry.stop()  # a second stop is harmless


def test_start_failure_reports_log_tail(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(RegistryStartError, match="address already in use"):
            start_registry(tmp_path, port=port)


# -- basic auth --------------------------------------------------------------------


def test_basic_auth(basic: RunningRegistry) -> None:
    challenge = httpx.get(basic.url + "/v2/")
    assert challenge.status_code == 401
    assert parse_challenge(challenge.headers["WWW-Authenticate"]) == (
        "basic",
        {"realm": BASIC_REALM},
    )
    assert httpx.get(basic.url + "/v2/", auth=(ADMIN_USER, "wrong")).status_code == 401
    assert httpx.get(basic.url + "/v2/", auth=(ADMIN_USER, ADMIN_PASSWORD)).status_code == 200

    built = image(files=[{"/basic": b"auth"}])
    with basic.pusher(ALICE_USER) as pusher:
        pusher.push("team/app", built, ["1"])
    url = basic.url + "/v2/team/app/manifests/1"
    assert httpx.get(url, headers=ACCEPT).status_code == 401
    answer = httpx.get(url, headers=ACCEPT, auth=(ADMIN_USER, ADMIN_PASSWORD))
    assert answer.headers["Docker-Content-Digest"] == built.digest


# -- token auth --------------------------------------------------------------------


def test_token_is_accepted_by_the_registry(token: RunningRegistry) -> None:
    path = "/v2/apps/web/manifests/latest"
    _, jwt = token_for(token, path, ADMIN_USER)
    header = jwt_header(jwt)
    assert header["alg"] == "RS256"
    assert LIBTRUST_KID.fullmatch(header["kid"])
    answer = httpx.get(token.url + path, headers={**ACCEPT, "Authorization": f"Bearer {jwt}"})
    assert answer.status_code == 200, answer.text


def test_anonymous_pull_only_where_allowed(
    token: RunningRegistry, samples: dict[str, SampleRepo]
) -> None:
    path = "/v2/public/hello/manifests/latest"
    _, jwt = token_for(token, path)
    answer = httpx.get(token.url + path, headers={**ACCEPT, "Authorization": f"Bearer {jwt}"})
    assert answer.status_code == 200
    assert answer.content == samples["public/hello"].tags["latest"].manifest

    path = "/v2/apps/web/manifests/latest"
    _, jwt = token_for(token, path)
    assert jwt_claims(jwt)["access"] == [{"type": "repository", "name": "apps/web", "actions": []}]
    refused = httpx.get(token.url + path, headers={**ACCEPT, "Authorization": f"Bearer {jwt}"})
    assert refused.status_code == 401
    assert 'error="insufficient_scope"' in refused.headers["WWW-Authenticate"]


@pytest.mark.parametrize(
    ("user", "allowed"), [(ADMIN_USER, True), (ALICE_USER, False), (None, False)]
)
def test_catalog_needs_an_admin(
    token: RunningRegistry, samples: dict[str, SampleRepo], user: str | None, allowed: bool
) -> None:
    first, jwt = token_for(token, "/v2/_catalog", user)
    assert 'scope="registry:catalog:*"' in first.headers["WWW-Authenticate"]
    answer = httpx.get(token.url + "/v2/_catalog", headers={"Authorization": f"Bearer {jwt}"})
    if allowed:
        assert answer.status_code == 200
        assert set(samples) <= set(answer.json()["repositories"])
    else:
        assert answer.status_code == 401
        assert 'error="insufficient_scope"' in answer.headers["WWW-Authenticate"]


def test_token_server_refuses_wrong_password(token: RunningRegistry) -> None:
    assert token.token_server is not None
    token.token_server.reset()
    answer = httpx.get(token.token_server.realm, auth=(ADMIN_USER, "nope"))
    assert answer.status_code == 401
    assert answer.json()["errors"][0]["code"] == "UNAUTHORIZED"
    (recorded,) = token.token_server.requests
    assert (recorded.status, recorded.user) == (401, None)


def test_oauth_password_and_refresh_grants(token: RunningRegistry) -> None:
    server = token.token_server
    assert server is not None
    server.reset()
    scope = "repository:apps/worker:pull"
    first = httpx.post(
        server.realm,
        data={
            "grant_type": "password",
            "username": ALICE_USER,
            "password": token.users[ALICE_USER],
            "service": server.service,
            "scope": scope,
            "client_id": "sitegen-tests",
        },
    )
    assert first.status_code == 200, first.text
    refresh = first.json()["refresh_token"]
    second = httpx.post(
        server.realm,
        data={
            "grant_type": "refresh_token",
            "refresh_token": refresh,
            "service": server.service,
            "scope": scope,
            "client_id": "sitegen-tests",
        },
    )
    assert second.status_code == 200, second.text
    body = second.json()
    assert body["scope"] == scope
    assert jwt_claims(body["access_token"])["sub"] == ALICE_USER
    answer = httpx.get(
        token.url + "/v2/apps/worker/tags/list",
        headers={"Authorization": f"Bearer {body['access_token']}"},
    )
    listed = sorted(t for t in answer.json()["tags"] if not t.startswith("sha256-"))
    assert listed == ["main", "v1.9.0", "v2.0.0", "v2.0.0-rc1"]  # and two referrers tags

    requests = server.requests
    assert [(r.method, r.user, r.scopes) for r in requests] == [
        ("POST", ALICE_USER, (scope,)),
        ("POST", ALICE_USER, (scope,)),
    ]
    # Secrets never reach the record.
    assert requests[0].form["password"] == ["<redacted>"]
    assert requests[1].form["refresh_token"] == ["<redacted>"]
    assert token.users[ALICE_USER] not in repr(requests)


def test_skopeo_agrees_with_api_push(
    token: RunningRegistry, samples: dict[str, SampleRepo]
) -> None:
    creds = token.creds()
    alpine = samples["base/alpine"].tags["latest"]
    assert skopeo_inspect_raw(token.ref("base/alpine:latest"), creds) == alpine.manifest
    web = samples["apps/web"].tags["latest"]
    assert web.config is not None
    assert skopeo_inspect_config(token.ref("apps/web:latest"), creds) == web.config.data
    assert sorted(skopeo_list_tags(token.ref("apps/web"), creds)) == sorted(
        samples["apps/web"].tags
    )
    # Anonymous skopeo goes through the same token server, as the public/* glob allows.
    assert sorted(skopeo_list_tags(token.ref("public/hello"))) == ["1", "latest"]


def test_pusher_skips_known_content_and_mounts(token: RunningRegistry) -> None:
    children = [
        image(architecture=arch, files=[{"/arch": arch.encode()}]) for arch in ("amd64", "s390x")
    ]
    built: Built = index(children)
    before = len(token.access_log())
    with token.pusher() as pusher:
        pusher.push("apps/multi", built, ["one", "two"])
        pushed = token.access_log(before)
        pusher.push("apps/multi", built, ["three"])
        retagged = token.access_log(before + len(pushed))
        pusher.push("apps/multi-copy", built, ["x"])
        copied = token.access_log(before + len(pushed) + len(retagged))
    # Known content is not sent again: re-tagging is one manifest PUT.
    assert [(e.method, e.status) for e in retagged] == [("PUT", 201)]
    # Blobs pushed to one repository are mounted into the next, not uploaded again.
    assert not [
        e for e in copied if e.method == "PATCH" or ("/uploads/" in e.path and e.method == "PUT")
    ]
    assert len([e for e in copied if "mount=" in e.path and e.status == 201]) == 4
    creds = token.creds()
    assert sorted(skopeo_list_tags(token.ref("apps/multi"), creds)) == ["one", "three", "two"]
    assert skopeo_inspect_raw(token.ref("apps/multi-copy:x"), creds) == built.manifest
