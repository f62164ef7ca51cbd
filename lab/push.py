"""Push ``lab.images.Built`` objects into a registry, through its HTTP API or skopeo.

``Pusher`` speaks the distribution-spec push flow directly (HEAD blob, POST upload,
PUT ``<location>&digest=``, PUT manifest) over one ``httpx.Client``. It is the fast path
benchmarks use to fill thousands of tags, so it remembers what it already pushed in this
session and sends nothing twice. Authentication follows the registry's own challenge:
none, Basic, or a Bearer token from the realm named in ``WWW-Authenticate``.

The ``skopeo_*`` helpers run skopeo against loopback registries (plain HTTP, so
``--tls-verify=false``) and give an independent ground truth to compare with.
"""

from __future__ import annotations

import base64
import json
import re
import subprocess
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from types import TracebackType

import httpx

from lab.images import Blob, Built

# auth-param = token "=" ( token / quoted-string ), RFC 7235 section 2.1.
_PARAM_RE = re.compile(r'([A-Za-z0-9_-]+)\s*=\s*(?:"([^"]*)"|([^\s,]+))')
# Renew a bearer token this long before the token server says it expires.
_TOKEN_MARGIN = 30.0
SKOPEO_TIMEOUT = 120.0


class PushError(RuntimeError):
    """The registry (or its token server) refused a push step."""


class SkopeoError(RuntimeError):
    """A skopeo command failed; the message carries its stderr."""


def parse_challenge(header: str) -> tuple[str, dict[str, str]]:
    """Split a ``WWW-Authenticate`` value into a lower-case scheme and its parameters."""
    scheme, _, rest = header.strip().partition(" ")
    params = {
        match.group(1).lower(): match.group(2) if match.group(2) is not None else match.group(3)
        for match in _PARAM_RE.finditer(rest)
    }
    return scheme.lower(), params


def _fail(response: httpx.Response, what: str) -> PushError:
    body = response.text[:500]
    return PushError(f"{what}: HTTP {response.status_code} {response.request.url}: {body}")


class Pusher:
    """Pushes images, indexes and artifacts to one registry.

    ``url`` is the registry base URL (``http://127.0.0.1:PORT``). The auth scheme is
    learned once from ``GET /v2/``; for Bearer the realm and service come from that
    challenge and a token is cached per set of scopes until shortly before it expires.
    """

    def __init__(
        self,
        url: str,
        username: str | None = None,
        password: str | None = None,
        *,
        timeout: float = 30.0,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.url = url.rstrip("/")
        self._credentials = (username, password or "") if username is not None else None
        self.client = httpx.Client(base_url=self.url, timeout=timeout, transport=transport)
        self._scheme: str | None = None
        self._challenge: dict[str, str] = {}
        self._tokens: dict[tuple[str, ...], tuple[str, float]] = {}
        # What this session knows is already in each repository: skip it next time.
        self._blobs: dict[str, set[str]] = {}
        self._manifests: dict[str, set[str]] = {}
        # One repository holding each blob, the source for a cross-repository mount.
        self._blob_home: dict[str, str] = {}

    # -- auth ----------------------------------------------------------------------

    def _learn_scheme(self) -> str:
        if self._scheme is None:
            response = self.client.get("/v2/")
            if response.status_code == 200:
                self._scheme = "none"
            elif response.status_code == 401 and "WWW-Authenticate" in response.headers:
                self._scheme, self._challenge = parse_challenge(
                    response.headers["WWW-Authenticate"]
                )
            else:
                raise _fail(response, "GET /v2/ did not answer 200 or a 401 challenge")
        return self._scheme

    def _auth_headers(self, scopes: tuple[str, ...]) -> dict[str, str]:
        scheme = self._learn_scheme()
        if scheme == "basic":
            if self._credentials is None:
                return {}
            pair = ":".join(self._credentials).encode()
            return {"Authorization": "Basic " + base64.b64encode(pair).decode()}
        if scheme == "bearer":
            return {"Authorization": f"Bearer {self._token(scopes)}"}
        return {}

    def _token(self, scopes: tuple[str, ...]) -> str:
        cached = self._tokens.get(scopes)
        if cached is not None and cached[1] > time.monotonic():
            return cached[0]
        params: list[tuple[str, str | int | float | bool | None]] = [
            ("scope", scope) for scope in scopes
        ]
        if "service" in self._challenge:
            params.insert(0, ("service", self._challenge["service"]))
        auth = httpx.BasicAuth(*self._credentials) if self._credentials else None
        response = self.client.get(self._challenge["realm"], params=params, auth=auth)
        if response.status_code != 200:
            raise _fail(response, "token request refused")
        body = response.json()
        token = str(body.get("token") or body["access_token"])
        # token.md: without expires_in a client must assume 60 seconds.
        lifetime = float(body.get("expires_in") or 60)
        self._tokens[scopes] = (token, time.monotonic() + max(lifetime - _TOKEN_MARGIN, 1.0))
        return token

    def _send(
        self,
        method: str,
        url: str,
        scopes: tuple[str, ...],
        *,
        content: bytes | None = None,
        headers: Mapping[str, str] | None = None,
        params: Mapping[str, str] | None = None,
    ) -> httpx.Response:
        """One request with auth; a Bearer 401 drops the cached token and retries once."""
        for attempt in range(2):
            sent = {**(headers or {}), **self._auth_headers(scopes)}
            response = self.client.request(
                method, url, content=content, headers=sent, params=params
            )
            if response.status_code != 401 or self._scheme != "bearer" or attempt:
                return response
            self._tokens.pop(scopes, None)
        raise AssertionError("unreachable")

    # -- push ----------------------------------------------------------------------

    def push(self, repo: str, built: Built, tags: Sequence[str] = ()) -> None:
        """Push ``built`` with all its blobs and children, then tag it.

        Children go first (by digest), the manifest itself by digest, then once per tag.
        Anything this session already pushed to ``repo`` is skipped.
        """
        known = self._manifests.setdefault(repo, set())
        for each in built.walk():
            if each.digest in known:
                continue
            for blob in each.blobs:
                self._upload_blob(repo, blob)
            self._put_manifest(repo, each, each.digest)
        for tag in tags:
            self._put_manifest(repo, built, tag)

    def tag(self, repo: str, built: Built, tag: str) -> None:
        """Point ``tag`` at ``built``, which must already be in ``repo``."""
        self._put_manifest(repo, built, tag)

    def delete_manifest(self, repo: str, digest: str) -> None:
        """Delete a manifest by digest; registry 2.8 then untags every tag pointing at it."""
        response = self._send(
            "DELETE", f"/v2/{repo}/manifests/{digest}", (f"repository:{repo}:pull,push,delete",)
        )
        if response.status_code != 202:
            raise _fail(response, f"delete {repo}@{digest}")
        self._manifests.get(repo, set()).discard(digest)

    def _put_manifest(self, repo: str, built: Built, reference: str) -> None:
        response = self._send(
            "PUT",
            f"/v2/{repo}/manifests/{reference}",
            (f"repository:{repo}:pull,push",),
            content=built.manifest,
            headers={"Content-Type": built.media_type},
        )
        if response.status_code != 201:
            raise _fail(response, f"push manifest {repo}:{reference}")
        echoed = response.headers.get("Docker-Content-Digest")
        if echoed is not None and echoed != built.digest:
            raise PushError(f"{repo}:{reference}: registry computed {echoed}, we {built.digest}")
        self._manifests.setdefault(repo, set()).add(built.digest)

    def _upload_blob(self, repo: str, blob: Blob) -> None:
        present = self._blobs.setdefault(repo, set())
        if blob.digest in present:
            return
        scopes: tuple[str, ...] = (f"repository:{repo}:pull,push",)
        head = self._send("HEAD", f"/v2/{repo}/blobs/{blob.digest}", scopes)
        if head.status_code == 200:
            present.add(blob.digest)
            self._blob_home.setdefault(blob.digest, repo)
            return
        params: dict[str, str] = {}
        home = self._blob_home.get(blob.digest)
        if home is not None and home != repo:
            # Cross-repository mount (spec "Mounting a blob from another repository");
            # a 202 instead of 201 just means "upload it yourself".
            params = {"mount": blob.digest, "from": home}
            scopes = (*scopes, f"repository:{home}:pull")
        start = self._send("POST", f"/v2/{repo}/blobs/uploads/", scopes, params=params)
        if start.status_code != 201:
            if start.status_code != 202 or "Location" not in start.headers:
                raise _fail(start, f"start upload {repo}@{blob.digest}")
            # Add digest= to the Location, keeping its own query (the registry's _state):
            # httpx's params= would replace that query, not extend it.
            location = httpx.URL(start.headers["Location"]).copy_add_param("digest", blob.digest)
            done = self._send(
                "PUT",
                str(location),
                scopes,
                content=blob.data,
                headers={"Content-Type": "application/octet-stream"},
            )
            if done.status_code != 201:
                raise _fail(done, f"upload {repo}@{blob.digest}")
        present.add(blob.digest)
        self._blob_home.setdefault(blob.digest, repo)

    # -- lifecycle -----------------------------------------------------------------

    def close(self) -> None:
        """Close the HTTP client."""
        self.client.close()

    def __enter__(self) -> Pusher:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


# -- skopeo ----------------------------------------------------------------------------


def _docker_ref(ref: str) -> str:
    return ref if "://" in ref else f"docker://{ref}"


def _skopeo(args: Sequence[str], timeout: float = SKOPEO_TIMEOUT) -> bytes:
    # --insecure-policy: the lab has no signature policy to enforce, and the host's
    # /etc/containers/policy.json must not decide whether a test passes.
    command = ["skopeo", "--insecure-policy", *args]
    result = subprocess.run(
        command, stdin=subprocess.DEVNULL, capture_output=True, timeout=timeout, check=False
    )
    if result.returncode != 0:
        stderr = result.stderr.decode(errors="replace").strip()
        raise SkopeoError(f"{' '.join(args[:1])} failed ({result.returncode}): {stderr}")
    return result.stdout


def _creds_args(creds: str | None, flag: str, no_creds: str) -> list[str]:
    # Without credentials, say so explicitly: otherwise skopeo would read the user's
    # auth.json and tests would depend on the machine they run on.
    return [flag, creds] if creds is not None else [no_creds]


def skopeo_copy(
    layout_dir: Path,
    ref: str,
    dest: str,
    creds: str | None = None,
    all: bool = True,  # mirrors skopeo's --all
    format: str | None = None,  # mirrors skopeo's --format
) -> None:
    """``skopeo copy oci:LAYOUT_DIR:REF docker://DEST`` to a plain-HTTP registry.

    ``creds`` is ``user:password``. Without ``format`` the digests are preserved
    (``--preserve-digests`` makes skopeo fail rather than silently rewrite a manifest);
    with ``format="v2s2"`` or ``"oci"`` skopeo converts, which changes digests.
    """
    args = ["copy", "--quiet", "--dest-tls-verify=false"]
    args += _creds_args(creds, "--dest-creds", "--dest-no-creds")
    if all:
        args.append("--all")
    if format is None:
        args.append("--preserve-digests")
    else:
        args += ["--format", format]
    args += [f"oci:{layout_dir}:{ref}", _docker_ref(dest)]
    _skopeo(args)


def skopeo_inspect_raw(ref: str, creds: str | None = None) -> bytes:
    """The manifest bytes skopeo reads for ``ref`` (``host:port/name:tag``)."""
    args = ["inspect", "--raw", "--tls-verify=false", *_creds_args(creds, "--creds", "--no-creds")]
    return _skopeo([*args, _docker_ref(ref)])


def skopeo_inspect_config(ref: str, creds: str | None = None) -> bytes:
    """The config blob bytes skopeo reads for ``ref`` (an image, not an index)."""
    args = ["inspect", "--config", "--raw", "--tls-verify=false"]
    args += _creds_args(creds, "--creds", "--no-creds")
    return _skopeo([*args, _docker_ref(ref)])


def skopeo_list_tags(ref: str, creds: str | None = None) -> list[str]:
    """The tags skopeo lists for the repository ``ref`` (``host:port/name``)."""
    args = ["list-tags", "--tls-verify=false", *_creds_args(creds, "--creds", "--no-creds")]
    out = json.loads(_skopeo([*args, _docker_ref(ref)]))
    return [str(tag) for tag in out.get("Tags") or []]
