"""The exceptions sitegen raises.

Every expected failure is one of these; ``cli.py`` turns them into a one-line message
and an exit code. Messages name what a person needs to act on (file and line, registry,
repository, URL) and never contain a credential or token.

::

    SitegenError
    ├── ConfigError            registries.yaml is wrong (names file:line:column and key path)
    ├── RegistryError          talking to one registry failed (names registry, repository, URL)
    │   ├── TransportError     connection refused, reset, timed out, TLS failure
    │   ├── AuthError          401/403 after one fresh token; token server failed
    │   │   └── CredentialsRefused  the token service or registry refused our credentials
    │   ├── NotFoundError      404 / NAME_UNKNOWN / MANIFEST_UNKNOWN
    │   ├── RateLimitedError   429 still after the allowed retries
    │   ├── ServerError        5xx still after the allowed retries
    │   ├── CatalogUnavailable /v2/_catalog refused or missing: list repositories instead
    │   └── ProtocolError      the registry answered something we must not trust
    │       ├── DigestMismatch bytes do not hash to the digest asked for or announced
    │       └── TooLarge       a body is over its size cap
    ├── OutputError            the output or cache directory is unsafe, or writing it failed
    │   └── BusyError          another build is using the same output or cache directory
    └── FileRefused            a file a user named is not a regular file, or too large
                               (callers catch it and say where the file was named)
"""

from __future__ import annotations


class SitegenError(Exception):
    """Base class of every error sitegen reports to the user."""


class ConfigError(SitegenError):
    """The configuration is invalid; the message starts with ``file:line:column: key.path:``."""

    def __init__(
        self, message: str, *, file: str = "", line: int = 0, column: int = 0, key: str = ""
    ) -> None:
        self.file = file
        self.line = line
        self.column = column
        self.key = key
        self.detail = message
        where = file
        if line:
            where += f":{line}:{column}"
        prefix = ": ".join(part for part in (where, key) if part)
        super().__init__(f"{prefix}: {message}" if prefix else message)


class RegistryError(SitegenError):
    """A request to a registry failed.

    ``url`` must already be free of credentials (the client never puts any in a URL).
    """

    def __init__(
        self,
        message: str,
        *,
        registry: str = "",
        repository: str = "",
        url: str = "",
        status: int | None = None,
        code: str = "",
    ) -> None:
        self.registry = registry
        self.repository = repository
        self.url = url
        self.status = status
        self.code = code
        self.detail = message
        super().__init__(self._compose())

    def _compose(self) -> str:
        who = self.registry
        if self.repository:
            who = f"{who}/{self.repository}" if who else self.repository
        text = f"{who}: {self.detail}" if who else self.detail
        return f"{text} ({self.url})" if self.url else text

    def __reduce__(self) -> tuple[object, ...]:
        # Keyword-only constructors do not pickle by default; keep errors portable
        # between processes (rendering may run in a worker pool).
        return (
            _rebuild_registry_error,
            (
                type(self),
                self.detail,
                self.registry,
                self.repository,
                self.url,
                self.status,
                self.code,
            ),
        )


def _rebuild_registry_error(
    cls: type[RegistryError],
    message: str,
    registry: str,
    repository: str,
    url: str,
    status: int | None,
    code: str,
) -> RegistryError:
    return cls(message, registry=registry, repository=repository, url=url, status=status, code=code)


class TransportError(RegistryError):
    """The registry could not be reached or the connection broke."""


class AuthError(RegistryError):
    """Authentication or authorization failed."""


class CredentialsRefused(AuthError):
    """The token service (or a Basic-auth registry) refused the credentials we sent.

    Nothing else at that registry can succeed with them, so the registry as a whole is
    failed, and no further request carries them (a wrong password retried for every
    tag can lock the account).
    """


class NotFoundError(RegistryError):
    """The repository, tag, manifest or blob does not exist (or is hidden from us)."""


class RateLimitedError(RegistryError):
    """The registry kept answering 429 Too Many Requests."""


class ServerError(RegistryError):
    """The registry kept failing with a 5xx status."""


class CatalogUnavailable(RegistryError):
    """The registry does not let us list its repositories through ``/v2/_catalog``."""


class ProtocolError(RegistryError):
    """The registry answered with something malformed or untrustworthy."""


class DigestMismatch(ProtocolError):
    """Content does not hash to the digest it was requested by or announced with."""


class TooLarge(ProtocolError):
    """A response body is larger than the cap for its kind."""


class OutputError(SitegenError):
    """The output or cache directory is unsafe to use, or writing it failed.

    The message names the path and the reason (``No space left on device``); the site
    in place is left as it was.
    """


class BusyError(OutputError):
    """Another build holds the lock on the output or the cache directory."""


class FileRefused(SitegenError):
    """A file a user named is a FIFO, a device or a directory, or is over its size bound."""
