"""The main flows against the real distribution registry (lab): Basic and token auth,
anonymous tokens, single flight counted by the real token server, and an identity
token from a docker config.json exchanged through the OAuth2 refresh grant."""

from __future__ import annotations

import asyncio
import base64
import json
from pathlib import Path

import httpx
import pytest

from lab.registry import ADMIN_PASSWORD, ADMIN_USER, RunningRegistry
from lab.samples import SampleRepo
from sitegen.config import Secret
from sitegen.errors import AuthError, CatalogUnavailable
from sitegen.oci.references import digest_of
from sitegen.registry.auth import Credentials
from sitegen.registry.client import RegistryClient
from sitegen.registry.credentials import resolve_credentials
from tests.registry.fakes import registry_config, run


def client_for(registry: RunningRegistry, **kw: object) -> RegistryClient:
    config = registry_config(url=registry.url, **kw)  # type: ignore[arg-type]
    return RegistryClient([config], environ={})


async def walk(session_client: RegistryClient, repo: SampleRepo) -> None:
    """HEAD, GET and verify every tag of ``repo``, and the config of each image."""
    session = session_client["reg"]
    assert sorted(await session.tags(repo.name)) == sorted(repo.tags)
    for tag, built in repo.tags.items():
        head = await session.head_manifest(repo.name, tag)
        assert head.digest == built.digest
        raw = await session.manifest(repo.name, built.digest)
        assert raw.data == built.manifest and raw.media_type == built.media_type
        if built.config is not None:
            blob = await session.blob(repo.name, built.config.digest)
            assert digest_of(blob) == built.config.digest


def sample(samples: list[SampleRepo], name: str) -> SampleRepo:
    return next(s for s in samples if s.name == name)


def test_basic_auth_registry(basic_registry: RunningRegistry, samples: list[SampleRepo]) -> None:
    async def go() -> None:
        async with client_for(basic_registry, username=ADMIN_USER, password=ADMIN_PASSWORD) as c:
            ping = await c["reg"].ping()
            assert ping.challenge is not None and ping.challenge.scheme == "basic"
            assert sorted(await c["reg"].catalog()) == sorted(s.name for s in samples)
            await walk(c, sample(samples, "apps/web"))
        async with client_for(basic_registry, username=ADMIN_USER, password="wrong") as c:
            with pytest.raises(AuthError, match="HTTP 401 UNAUTHORIZED"):
                await c["reg"].tags("apps/web")

    run(go())


def test_token_auth_registry(token_registry: RunningRegistry, samples: list[SampleRepo]) -> None:
    server = token_registry.token_server
    assert server is not None
    server.reset()

    async def go() -> None:
        async with client_for(token_registry, username=ADMIN_USER, password=ADMIN_PASSWORD) as c:
            challenge = (await c["reg"].ping()).challenge
            assert challenge is not None and challenge.scheme == "bearer"
            assert sorted(await c["reg"].catalog()) == sorted(s.name for s in samples)
            await walk(c, sample(samples, "base/alpine"))
            # 50 concurrent requests for one repository: one token.
            before = len(server.requests)
            results = await asyncio.gather(*(c["reg"].tags("tools/cli") for _ in range(50)))
            assert all(sorted(r) == sorted(sample(samples, "tools/cli").tags) for r in results)
            new = server.requests[before:]
            assert [r.scopes for r in new] == [("repository:tools/cli:pull",)]

    run(go())
    scopes = [r.scopes for r in server.requests]
    assert all(len(s) == 1 for s in scopes)  # one repository per token, never a pile
    assert all(r.user == ADMIN_USER and r.method == "GET" for r in server.requests)


def test_anonymous_on_the_token_registry(
    token_registry: RunningRegistry, samples: list[SampleRepo]
) -> None:
    async def go() -> None:
        async with client_for(token_registry) as c:
            await walk(c, sample(samples, "public/hello"))
            with pytest.raises(CatalogUnavailable):
                await c["reg"].catalog()
            with pytest.raises(AuthError):
                await c["reg"].tags("apps/web")

    run(go())


def test_identity_token_from_docker_config(
    token_registry: RunningRegistry, samples: list[SampleRepo], tmp_path: Path
) -> None:
    server = token_registry.token_server
    assert server is not None
    # What `docker login` stores for an OAuth registry: an identity (refresh) token.
    answer = httpx.post(
        server.realm,
        data={
            "grant_type": "password",
            "username": ADMIN_USER,
            "password": ADMIN_PASSWORD,
            "service": server.service,
            "client_id": "test",
        },
    )
    refresh = answer.json()["refresh_token"]
    home = tmp_path / "home"
    (home / ".docker").mkdir(parents=True)
    user = base64.b64encode(f"{ADMIN_USER}:".encode()).decode()
    (home / ".docker" / "config.json").write_text(
        json.dumps({"auths": {token_registry.host: {"auth": user, "identitytoken": refresh}}})
    )
    config = registry_config(url=token_registry.url)
    creds = resolve_credentials(config, {"HOME": str(home)})
    assert creds.identity_token is not None and creds.identity_token.reveal() == refresh
    server.reset()

    async def go() -> None:
        async with RegistryClient([config], credentials={"reg": creds}, environ={}) as c:
            assert len(await c["reg"].catalog()) == len(samples)

    run(go())
    (grant,) = [r for r in server.requests if r.form.get("grant_type") == ["refresh_token"]]
    assert (grant.method, grant.user, grant.form["grant_type"]) == (
        "POST",
        ADMIN_USER,
        ["refresh_token"],
    )
    assert grant.form["scope"] == ["registry:catalog:*"]


def test_wrong_identity_token_is_refused(token_registry: RunningRegistry) -> None:
    creds = Credentials(identity_token=Secret("not-a-real-refresh-token"), source="test")

    async def go() -> None:
        config = registry_config(url=token_registry.url)
        async with RegistryClient([config], credentials={"reg": creds}, environ={}) as c:
            with pytest.raises(AuthError) as caught:
                await c["reg"].tags("apps/web")
            assert "the token service refused the identity token" in str(caught.value)
            assert "not-a-real-refresh-token" not in str(caught.value)

    run(go())
