"""A small Docker token-authentication server for the lab registry.

Implements the parts of https://distribution.github.io/distribution/spec/auth/token/
and .../spec/auth/oauth/ a client meets:

- ``GET /token?service=..&scope=..`` with optional Basic credentials (token.md);
- ``POST /token`` form-encoded OAuth2 with ``grant_type=password`` or
  ``grant_type=refresh_token`` (oauth.md).

Tokens are RS256 JWTs signed with a key generated at start; the registry trusts the
matching self-signed certificate (``auth.token.rootcertbundle``). Registry 2.8 finds the
key through the JWT header ``kid``, which must be the libtrust key ID of that key: an
RFC 7638 thumbprint is rejected (see ``libtrust_key_id``).

Like Docker Hub, a scope the caller may not have is answered with an ``access`` entry
whose ``actions`` are empty, so the registry answers 401 ``insufficient_scope``.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import hashlib
import json
import secrets
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.x509.oid import NameOID

SERVICE = "sitegen-lab"
ISSUER = "sitegen-lab-token-issuer"
DEFAULT_EXPIRES_IN = 300
# A token request body is a handful of form fields; refuse anything absurd.
MAX_BODY = 64 * 1024
# Form fields whose values must never be recorded.
SECRET_FIELDS = frozenset({"password", "refresh_token"})


def libtrust_key_id(public_key: rsa.RSAPublicKey) -> str:
    """The libtrust key ID of ``public_key``, which registry 2.8 expects in ``kid``.

    docker/libtrust ``keyIDFromCryptoKey``: SHA-256 of the DER SubjectPublicKeyInfo,
    first 240 bits, base32 without padding, 12 groups of 4 characters joined by ``:``.
    """
    der = public_key.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    encoded = base64.b32encode(hashlib.sha256(der).digest()[:30]).decode().rstrip("=")
    return ":".join(encoded[i : i + 4] for i in range(0, len(encoded), 4))


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def parse_scope(scope: str) -> tuple[str, str, list[str]] | None:
    """Split ``type:name:actions`` into its parts; None when malformed.

    The name may itself contain colons (``127.0.0.1:5000/foo``), so the type ends at
    the first colon and the actions start after the last one (token-scope.md). A
    resource class (``repository(plugin)``) is dropped from the type.
    """
    kind, sep1, rest = scope.partition(":")
    name, sep2, actions = rest.rpartition(":")
    if not (sep1 and sep2 and kind and name):
        return None
    kind = kind.split("(", 1)[0]
    return kind, name, [action for action in actions.split(",") if action]


@dataclass(frozen=True)
class TokenRequest:
    """One request the token server answered, for tests to assert on.

    ``form`` holds a POST body with secret values (password, refresh token) replaced by
    ``"<redacted>"``; ``user`` is the authenticated user, None when anonymous or failed.
    """

    method: str
    path: str
    query: dict[str, list[str]]
    user: str | None
    scopes: tuple[str, ...]
    status: int = 200
    form: dict[str, list[str]] = field(default_factory=dict)


class _Error(Exception):
    """Ends a request with ``status`` and a JSON ``body``."""

    def __init__(self, status: int, body: Mapping[str, Any], challenge: bool = False) -> None:
        super().__init__(status)
        self.status = status
        self.body = body
        self.challenge = challenge


def _registry_error(code: str, message: str) -> dict[str, Any]:
    return {"errors": [{"code": code, "message": message}]}


class TokenServer:
    """A Docker token server on 127.0.0.1, running in a daemon thread.

    ``users`` maps user names to passwords. Known users get pull, push, delete and
    ``*`` on every repository; users in ``admins`` also get ``registry:catalog:*``;
    anonymous callers get ``pull`` on repositories matching an ``anonymous_pull`` glob.
    """

    def __init__(
        self,
        directory: Path,
        users: Mapping[str, str],
        *,
        admins: Sequence[str] = ("admin",),
        anonymous_pull: Sequence[str] = ("public/*",),
        service: str = SERVICE,
        issuer: str = ISSUER,
        expires_in: int = DEFAULT_EXPIRES_IN,
    ) -> None:
        self.users = dict(users)
        self.admins = frozenset(admins)
        self.anonymous_pull = tuple(anonymous_pull)
        self.service = service
        self.issuer = issuer
        self.expires_in = expires_in
        self._lock = threading.Lock()
        self._requests: list[TokenRequest] = []
        self._refresh_tokens: dict[str, str] = {}

        self._key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.key_id = libtrust_key_id(self._key.public_key())
        directory.mkdir(parents=True, exist_ok=True)
        self.cert_path = directory / "token-signer.pem"
        self.cert_path.write_bytes(self._certificate().public_bytes(serialization.Encoding.PEM))

        self._httpd = _Server(("127.0.0.1", 0), _Handler)
        self._httpd.owner = self
        self.port = int(self._httpd.server_address[1])
        self.url = f"http://127.0.0.1:{self.port}"
        self.realm = self.url + "/token"
        self._thread = threading.Thread(
            target=self._httpd.serve_forever,
            kwargs={"poll_interval": 0.05},
            name=f"lab-token-server-{self.port}",
            daemon=True,
        )
        self._thread.start()

    def _certificate(self) -> x509.Certificate:
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "sitegen-lab token signer")])
        now = dt.datetime.now(dt.UTC)
        return (
            x509.CertificateBuilder()
            .subject_name(name)
            .issuer_name(name)
            .public_key(self._key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(days=1))
            .not_valid_after(now + dt.timedelta(days=365))
            .sign(self._key, hashes.SHA256())
        )

    # -- recording ---------------------------------------------------------------

    @property
    def requests(self) -> list[TokenRequest]:
        """A snapshot of every request answered so far, oldest first."""
        with self._lock:
            return list(self._requests)

    def reset(self) -> None:
        """Forget the recorded requests."""
        with self._lock:
            self._requests.clear()

    def _record(self, request: TokenRequest) -> None:
        with self._lock:
            self._requests.append(request)

    # -- policy and tokens -------------------------------------------------------

    def allowed_actions(self, user: str | None, kind: str, name: str) -> set[str]:
        """Every action ``user`` (None: anonymous) may perform on ``kind:name``."""
        if kind == "repository":
            if user is not None:
                return {"pull", "push", "delete", "*"}
            if any(fnmatchcase(name, glob) for glob in self.anonymous_pull):
                return {"pull"}
        elif kind == "registry" and name == "catalog" and user in self.admins:
            return {"*"}
        return set()

    def access_for(self, user: str | None, scopes: Sequence[str]) -> list[dict[str, Any]]:
        """The ``access`` claim for ``scopes``: granted actions, possibly none.

        Raises ValueError for a malformed scope.
        """
        access: list[dict[str, Any]] = []
        for scope in scopes:
            parsed = parse_scope(scope)
            if parsed is None:
                raise ValueError(f"malformed scope {scope!r}")
            kind, name, wanted = parsed
            allowed = self.allowed_actions(user, kind, name)
            actions = [action for action in wanted if action in allowed]
            access.append({"type": kind, "name": name, "actions": actions})
        return access

    def issue(self, user: str | None, scopes: Sequence[str]) -> str:
        """A signed JWT for ``user`` carrying what the policy grants for ``scopes``.

        Raises ValueError for a malformed scope.
        """
        now = int(time.time())
        header = {"typ": "JWT", "alg": "RS256", "kid": self.key_id}
        claims = {
            "iss": self.issuer,
            "sub": user or "",
            "aud": self.service,
            "exp": now + self.expires_in,
            # A little slack for clock skew between us and the registry process.
            "nbf": now - 5,
            "iat": now,
            "jti": secrets.token_hex(16),
            "access": self.access_for(user, scopes),
        }
        signing_input = ".".join(
            _b64url(json.dumps(part, separators=(",", ":")).encode()) for part in (header, claims)
        ).encode()
        signature = self._key.sign(signing_input, padding.PKCS1v15(), hashes.SHA256())
        return signing_input.decode() + "." + _b64url(signature)

    def _new_refresh_token(self, user: str) -> str:
        token = secrets.token_urlsafe(32)
        with self._lock:
            self._refresh_tokens[token] = user
        return token

    def _refresh_user(self, token: str) -> str | None:
        with self._lock:
            return self._refresh_tokens.get(token)

    def check_password(self, username: str, password: str) -> bool:
        """Whether ``username`` exists and ``password`` is theirs (constant time)."""
        expected = self.users.get(username)
        return expected is not None and secrets.compare_digest(expected.encode(), password.encode())

    # -- lifecycle ---------------------------------------------------------------

    def stop(self) -> None:
        """Stop serving and wait (bounded) for the thread to end; safe to repeat."""
        if not self._thread.is_alive():
            return
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> TokenServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    owner: TokenServer


def _issued_at() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def _scopes(values: Sequence[str]) -> tuple[str, ...]:
    """Scopes from repeated ``scope`` parameters, each possibly space-separated (OAuth)."""
    return tuple(scope for value in values for scope in value.split())


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:
        """Silence the default stderr log: tests read ``TokenServer.requests`` instead."""

    def do_GET(self) -> None:
        """``GET /token``: token.md "Requesting a Token"."""
        owner = self.server.owner
        parts = urlsplit(self.path)
        query = parse_qs(parts.query, keep_blank_values=True)
        scopes = _scopes(query.get("scope", []))
        user: str | None = None
        status = 200
        try:
            if parts.path != "/token":
                raise _Error(404, _registry_error("NOT_FOUND", "no such endpoint"))
            self._check_service(query)
            user = self._basic_user()
            issued: dict[str, Any] = {"token": self._issue(user, scopes)}
            issued["access_token"] = issued["token"]
            issued["expires_in"] = owner.expires_in
            issued["issued_at"] = _issued_at()
            if user is not None and query.get("offline_token", [""])[0].lower() == "true":
                issued["refresh_token"] = owner._new_refresh_token(user)
            body: Mapping[str, Any] = issued
            challenge = False
        except _Error as error:
            status, body, challenge = error.status, error.body, error.challenge
            user = None
        # Recorded before answering: a client that got its answer finds it recorded.
        owner._record(TokenRequest("GET", parts.path, query, user, scopes, status))
        self._send(status, body, challenge)

    def do_POST(self) -> None:
        """``POST /token``: the OAuth2 password and refresh-token grants (oauth.md)."""
        owner = self.server.owner
        parts = urlsplit(self.path)
        query = parse_qs(parts.query, keep_blank_values=True)
        form: dict[str, list[str]] = {}
        scopes: tuple[str, ...] = ()
        user: str | None = None
        status = 200
        try:
            length = int(self.headers.get("Content-Length") or 0)
            if length > MAX_BODY:
                raise _Error(413, {"error": "invalid_request"})
            form = parse_qs(self.rfile.read(length).decode(), keep_blank_values=True)
            if parts.path != "/token":
                raise _Error(
                    404, {"error": "invalid_request", "error_description": "no such endpoint"}
                )
            self._check_service(form)
            scopes = _scopes(form.get("scope", []))
            user, refresh = self._grant(form)
            granted: dict[str, Any] = {
                "access_token": self._issue(user, scopes),
                "scope": " ".join(scopes),
                "expires_in": owner.expires_in,
                "issued_at": _issued_at(),
            }
            if refresh is not None:
                granted["refresh_token"] = refresh
            body: Mapping[str, Any] = granted
        except _Error as error:
            status, body = error.status, error.body
            user = None
        redacted = {
            key: ["<redacted>"] * len(values) if key in SECRET_FIELDS else values
            for key, values in form.items()
        }
        owner._record(TokenRequest("POST", parts.path, query, user, scopes, status, redacted))
        self._send(status, body)

    def _grant(self, form: Mapping[str, list[str]]) -> tuple[str, str | None]:
        """The user a POST authenticates, and the refresh token to hand back (if any)."""
        owner = self.server.owner

        def one(key: str) -> str:
            return form.get(key, [""])[0]

        grant_type = one("grant_type")
        if grant_type == "password":
            username = one("username")
            if not owner.check_password(username, one("password")):
                raise _Error(
                    401, {"error": "invalid_grant", "error_description": "bad credentials"}
                )
            # oauth.md only promises a refresh token for access_type=offline; handing
            # one out on every password grant is what Docker's own clients expect.
            return username, owner._new_refresh_token(username)
        if grant_type == "refresh_token":
            found = owner._refresh_user(one("refresh_token"))
            if found is None:
                raise _Error(
                    401, {"error": "invalid_grant", "error_description": "unknown refresh token"}
                )
            offline = one("access_type") == "offline"
            return found, owner._new_refresh_token(found) if offline else None
        raise _Error(400, {"error": "unsupported_grant_type"})

    def _issue(self, user: str | None, scopes: Sequence[str]) -> str:
        try:
            return self.server.owner.issue(user, scopes)
        except ValueError as error:
            raise _Error(400, _registry_error("INVALID_SCOPE", str(error))) from None

    def _check_service(self, params: Mapping[str, list[str]]) -> None:
        service = params.get("service", [None])[0]
        if service is not None and service != self.server.owner.service:
            raise _Error(400, _registry_error("INVALID_SERVICE", f"unknown service {service!r}"))

    def _basic_user(self) -> str | None:
        """The user named by a Basic ``Authorization`` header; None if there is none."""
        header = self.headers.get("Authorization")
        if header is None:
            return None
        scheme, _, value = header.partition(" ")
        if scheme.lower() != "basic":
            raise _Error(401, _registry_error("UNAUTHORIZED", "unsupported scheme"), True)
        try:
            username, sep, password = base64.b64decode(value, validate=True).decode().partition(":")
        except (binascii.Error, UnicodeDecodeError):
            username, sep, password = "", "", ""
        if not sep or not self.server.owner.check_password(username, password):
            raise _Error(
                401, _registry_error("UNAUTHORIZED", "incorrect username or password"), True
            )
        return username

    def _send(self, status: int, body: Mapping[str, Any], challenge: bool = False) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        if challenge:
            self.send_header("WWW-Authenticate", f'Basic realm="{self.server.owner.realm}"')
        self.end_headers()
        self.wfile.write(data)
