"""Run a real CNCF distribution registry (Debian's ``docker-registry`` 2.8) on loopback.

``running_registry()`` starts ``docker-registry serve CONFIG`` on a free 127.0.0.1 port
with its own storage directory, optional Basic (bcrypt htpasswd) or token auth (a
``TokenServer`` in a thread), the access log on, and manifest deletion enabled; it waits
until ``GET /v2/`` answers and stops the process, by its own PID, at the end.

With ``tls=True`` it serves HTTPS with a fresh self-signed certificate for 127.0.0.1
(``RunningRegistry.ca_file`` is that certificate, to trust it explicitly).

The registry's stdout (access log, one combined-log line per request) and stderr (its
application log) both go to ``log_path``; ``access_log()`` parses the former so tests
can count requests by kind.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import re
import socket
import ssl
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Literal

import bcrypt
import httpx
import yaml
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from lab.push import Pusher
from lab.tokenserver import TokenServer

AuthMode = Literal["none", "basic", "token"]

REGISTRY_BINARY = "docker-registry"
ADMIN_USER = "admin"
ADMIN_PASSWORD = "admin-secret-pw"
ALICE_USER = "alice"
ALICE_PASSWORD = "alice-secret-pw"
DEFAULT_USERS: Mapping[str, str] = {ADMIN_USER: ADMIN_PASSWORD, ALICE_USER: ALICE_PASSWORD}
BASIC_REALM = "sitegen-lab"
HTTP_SECRET = "sitegen-lab-http-secret"
START_TIMEOUT = 10.0
STOP_TIMEOUT = 5.0
# Probe requests the harness itself sends; access_log() leaves them out.
PROBE_QUERY = "lab-probe"
_PROBE_PREFIX = f"/v2/?{PROBE_QUERY}="
# Starting on a port picked by us can race with another process taking it first.
_PORT_ATTEMPTS = 3
# Called before every registry process starts. tests/conftest.py adds one that fails a
# test starting a registry without the "registry" mark.
before_start: list[Callable[[], None]] = []

# 127.0.0.1 - - [24/Nov/2026:16:24:21 +0000] "GET /v2/ HTTP/1.1" 200 2 "" "curl/7.88.1"
_ACCESS_RE = re.compile(r'^\S+ \S+ \S+ \[[^\]]*\] "(\S+) (\S+) [^"]*" (\d{3}) ')


class RegistryStartError(RuntimeError):
    """The registry process did not come up; the message ends with its log tail."""


@dataclass(frozen=True)
class AccessLogEntry:
    """One access-log line: method, request path including the query, status."""

    method: str
    path: str
    status: int


@dataclass
class RunningRegistry:
    """A registry process started by ``start_registry`` and what a test needs to reach it."""

    url: str
    host: str
    auth: AuthMode
    root: Path
    log_path: Path
    users: dict[str, str]
    token_server: TokenServer | None
    admins: tuple[str, ...] = ()
    ca_file: Path | None = None  # the self-signed certificate when serving HTTPS
    client_cert: tuple[Path, Path] | None = None  # (cert, key) it demands, with client_tls
    process: subprocess.Popen[bytes] | None = field(default=None, repr=False)
    _log_file: IO[bytes] | None = field(default=None, repr=False)
    _probes: int = field(default=0, repr=False)

    def stop(self) -> None:
        """Stop the registry (its own PID only) and the token server; safe to repeat."""
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=STOP_TIMEOUT)
        if self._log_file is not None:
            self._log_file.close()
            self._log_file = None
        if self.token_server is not None:
            # Kept (stopped) so tests can still read token_server.requests afterwards.
            self.token_server.stop()

    def access_log(self, since: int = 0, *, sync: bool = True) -> list[AccessLogEntry]:
        """Parsed access-log entries in order, without the harness's own probes.

        The registry writes a line after the response, so a test reading right after its
        last request could miss it. With ``sync`` a probe request is sent and the log is
        re-read (bounded, 2 s) until that probe shows up. ``since`` skips that many
        entries, so ``n = len(reg.access_log())`` before an action and
        ``reg.access_log(n)`` after it gives just that action's requests.
        """
        marker = None
        if sync and self.process is not None and self.process.poll() is None:
            self._probes += 1
            marker = f"{_PROBE_PREFIX}sync-{self._probes}"
            with suppress(httpx.HTTPError):
                httpx.get(self.url + marker, timeout=2, verify=self.verify)
        deadline = time.monotonic() + 2.0
        while True:
            entries = self._read_access_log()
            if marker is None or any(e.path == marker for e in entries):
                break
            if time.monotonic() > deadline:
                raise RuntimeError(f"access log never showed probe {marker}: {self.log_path}")
            time.sleep(0.01)
        return [e for e in entries if not e.path.startswith(_PROBE_PREFIX)][since:]

    def _read_access_log(self) -> list[AccessLogEntry]:
        entries = []
        with self.log_path.open(encoding="utf-8", errors="replace") as log:
            for line in log:
                match = _ACCESS_RE.match(line)
                if match:
                    entries.append(AccessLogEntry(match[1], match[2], int(match[3])))
        return entries

    @property
    def verify(self) -> ssl.SSLContext | bool:
        """What an ``httpx`` client needs to trust this registry."""
        if self.ca_file is None:
            return True
        context = ssl.create_default_context(cafile=str(self.ca_file))
        if self.client_cert is not None:
            context.load_cert_chain(str(self.client_cert[0]), str(self.client_cert[1]))
        return context

    def default_user(self) -> str | None:
        """The user pushes run as: the first admin that has a password, else any user."""
        if self.auth == "none" or not self.users:
            return None
        for admin in self.admins:
            if admin in self.users:
                return admin
        return next(iter(self.users))

    def pusher(self, username: str | None = None) -> Pusher:
        """A ``Pusher`` authenticated as ``username`` (default: ``default_user()``)."""
        user = username or self.default_user()
        if user is None or self.auth == "none":
            return Pusher(self.url)
        return Pusher(self.url, user, self.users[user])

    def creds(self, username: str | None = None) -> str | None:
        """``user:password`` for skopeo's ``--creds``; None on a registry without auth."""
        user = username or self.default_user()
        return None if user is None else f"{user}:{self.users[user]}"

    def ref(self, name: str) -> str:
        """``host:port/name[:tag|@digest]`` for ``name`` on this registry (skopeo style)."""
        return f"{self.host}/{name}"


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _write_htpasswd(path: Path, users: Mapping[str, str]) -> None:
    # bcrypt is the only hash registry 2.8's htpasswd accepts. Cost 4 (the minimum)
    # because the registry re-checks the hash on every request: cost 10 would add tens
    # of milliseconds to each of the thousands of requests a benchmark push makes.
    lines = []
    for user, password in users.items():
        salt = bcrypt.gensalt(rounds=4, prefix=b"2a")
        lines.append(f"{user}:{bcrypt.hashpw(password.encode(), salt).decode()}")
    path.write_text("\n".join(lines) + "\n")


def write_self_signed(directory: Path, host: str = "127.0.0.1") -> tuple[Path, Path]:
    """A self-signed certificate (and its key) for ``host``; returns (cert, key) paths."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, f"sitegen-lab {host}")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=30))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.IPAddress(ipaddress.ip_address(host)), x509.DNSName("localhost")]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = directory / "tls-cert.pem", directory / "tls-key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


def _log_tail(path: Path, lines: int = 30) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


def start_registry(
    workdir: Path,
    auth: AuthMode = "none",
    users: Mapping[str, str] | None = None,
    anonymous_pull: Sequence[str] = ("public/*",),
    admins: Sequence[str] = ("admin",),
    port: int = 0,
    *,
    log_level: str = "info",
    tls: bool = False,
    client_tls: bool = False,
) -> RunningRegistry:
    """Start a registry; the caller must call ``stop()``. See ``running_registry``.

    ``client_tls=True`` (with ``tls``) demands a client certificate: a fresh one is
    made and offered as ``RunningRegistry.client_cert``.
    """
    if auth not in ("none", "basic", "token"):
        raise ValueError(f"auth must be 'none', 'basic' or 'token', not {auth!r}")
    for check in before_start:
        check()
    workdir.mkdir(parents=True, exist_ok=True)
    base = Path(tempfile.mkdtemp(prefix="registry-", dir=workdir))
    root = base / "storage"
    root.mkdir()
    user_map = dict(DEFAULT_USERS if users is None else users) if auth != "none" else {}

    config: dict[str, object] = {
        "version": "0.1",
        "log": {"level": log_level, "formatter": "text", "accesslog": {"disabled": False}},
        "storage": {
            "filesystem": {"rootdirectory": str(root)},
            "delete": {"enabled": True},
            # A fresh directory has no stale uploads: skip the purger's start-up walk.
            "maintenance": {"uploadpurging": {"enabled": False}},
        },
    }
    token_server: TokenServer | None = None
    if auth == "basic":
        htpasswd = base / "htpasswd"
        _write_htpasswd(htpasswd, user_map)
        config["auth"] = {"htpasswd": {"realm": BASIC_REALM, "path": str(htpasswd)}}
    elif auth == "token":
        token_server = TokenServer(
            base / "token", user_map, admins=admins, anonymous_pull=anonymous_pull
        )
        config["auth"] = {
            "token": {
                "realm": token_server.realm,
                "service": token_server.service,
                "issuer": token_server.issuer,
                "rootcertbundle": str(token_server.cert_path),
            }
        }

    tls_files = write_self_signed(base) if tls else None
    client_files = None
    if tls and client_tls:
        (base / "client").mkdir()
        client_files = write_self_signed(base / "client")
    scheme = "https" if tls else "http"
    log_path = base / "registry.log"
    attempts = _PORT_ATTEMPTS if port == 0 else 1
    try:
        for attempt in range(attempts):
            chosen = port or _free_port()
            # A fixed secret: without one the registry invents a random one and warns.
            http: dict[str, object] = {"addr": f"127.0.0.1:{chosen}", "secret": HTTP_SECRET}
            if tls_files is not None:
                http["tls"] = {"certificate": str(tls_files[0]), "key": str(tls_files[1])}
            if tls_files is not None and client_files is not None:
                http["tls"] = {**http["tls"], "clientcas": [str(client_files[0])]}  # type: ignore[dict-item]
            config["http"] = http
            config_path = base / "config.yml"
            config_path.write_text(yaml.safe_dump(config, sort_keys=False))
            process, log_file = _launch(config_path, log_path)
            host = f"127.0.0.1:{chosen}"
            registry = RunningRegistry(
                url=f"{scheme}://{host}",
                host=host,
                auth=auth,
                root=root,
                log_path=log_path,
                users=user_map,
                token_server=token_server,
                admins=tuple(admins),
                ca_file=tls_files[0] if tls_files is not None else None,
                client_cert=client_files,
                process=process,
                _log_file=log_file,
            )
            try:
                _wait_ready(registry)
            except RegistryStartError:
                registry.token_server = None  # still ours to stop below, or to reuse
                registry.stop()
                if attempt + 1 < attempts and "address already in use" in _log_tail(log_path):
                    continue
                raise
            return registry
    except BaseException:
        if token_server is not None:
            token_server.stop()
        raise
    raise AssertionError("unreachable")


def _launch(config_path: Path, log_path: Path) -> tuple[subprocess.Popen[bytes], IO[bytes]]:
    log_file = log_path.open("ab")
    try:
        process = subprocess.Popen(
            [REGISTRY_BINARY, "serve", str(config_path)],
            stdin=subprocess.DEVNULL,
            stdout=log_file,
            stderr=log_file,
            cwd=config_path.parent,
        )
    except BaseException:
        log_file.close()
        raise
    return process, log_file


def _wait_ready(registry: RunningRegistry) -> None:
    """Poll ``GET /v2/`` (bounded) until it answers 200 or a 401 challenge."""
    assert registry.process is not None
    deadline = time.monotonic() + START_TIMEOUT
    with httpx.Client(timeout=1.0, verify=registry.verify) as client:
        while time.monotonic() < deadline:
            if registry.process.poll() is not None:
                break
            try:
                response = client.get(f"{registry.url}{_PROBE_PREFIX}ready")
            except httpx.TransportError:
                time.sleep(0.05)
                continue
            if response.status_code == 200 or (
                response.status_code == 401 and "WWW-Authenticate" in response.headers
            ):
                return
            time.sleep(0.05)
    status = registry.process.poll()
    state = "still running" if status is None else f"exited with {status}"
    raise RegistryStartError(
        f"registry at {registry.url} not ready after {START_TIMEOUT:.0f} s ({state}); "
        f"log {registry.log_path}:\n{_log_tail(registry.log_path)}"
    )


@contextmanager
def running_registry(
    workdir: Path,
    auth: AuthMode = "none",
    users: Mapping[str, str] | None = None,
    anonymous_pull: Sequence[str] = ("public/*",),
    admins: Sequence[str] = ("admin",),
    port: int = 0,
    *,
    log_level: str = "info",
    tls: bool = False,
    client_tls: bool = False,
) -> Iterator[RunningRegistry]:
    """A registry on 127.0.0.1 for the duration of the ``with`` block.

    ``auth``: ``"none"``, ``"basic"`` (htpasswd, realm ``sitegen-lab``) or ``"token"``
    (a ``TokenServer``; anonymous callers may pull repositories matching
    ``anonymous_pull``, ``admins`` may list the catalog). ``users`` defaults to
    ``DEFAULT_USERS``. ``port=0`` picks a free port. ``tls=True`` serves HTTPS with a
    self-signed certificate (``ca_file``).
    """
    registry = start_registry(
        workdir,
        auth,
        users,
        anonymous_pull,
        admins,
        port,
        log_level=log_level,
        tls=tls,
        client_tls=client_tls,
    )
    try:
        yield registry
    finally:
        registry.stop()
