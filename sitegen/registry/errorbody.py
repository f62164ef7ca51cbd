"""Registry error bodies -> typed exceptions, with secrets scrubbed from every message.

docs/protocol.md item 25: parse ``errors[].code`` (NAME_UNKNOWN, MANIFEST_UNKNOWN, UNAUTHORIZED,
DENIED, TOOMANYREQUESTS) into typed errors naming registry, repository and URL. Real
registries also send ``{"error": "..."}`` (Quay mirror-registry), code ``"404"``
(Red Hat), ``NOT_FOUND`` (Harbor, ECR Public), HTML-escaped JSON (Nexus), plain text
(Akamai) and S3 XML: match on codes and status, never on message wording.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable

from sitegen.errors import (
    AuthError,
    NotFoundError,
    RateLimitedError,
    RegistryError,
    ServerError,
)
from sitegen.oci import jsonload

NOT_FOUND_CODES = frozenset(
    {"NAME_UNKNOWN", "MANIFEST_UNKNOWN", "BLOB_UNKNOWN", "NOT_FOUND", "404"}
)
AUTH_CODES = frozenset({"UNAUTHORIZED", "DENIED"})
_XML_CODE_RE = re.compile(r"<Code>([^<]{1,64})</Code>")
# Codes are identifiers (NAME_UNKNOWN, "404"); anything else is not one, and would
# not fit the one-line message it ends up in.
_CODE_RE = re.compile(r"[A-Za-z0-9_]{1,64}")
_MAX_MESSAGE = 200


class Redactor:
    """Replaces every known secret in a text with ``***``.

    Credentials are registered when the client is built and every token as it is
    received, so a registry that echoes our ``Authorization`` header back in an error
    body (S3 does, in ``ArgumentValue``) cannot leak it into a message or log.
    """

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        self._secrets: set[str] = set()
        self.add(*secrets)

    def add(self, *secrets: str) -> None:
        """Remember more secret values (short ones would redact ordinary words)."""
        self._secrets.update(s for s in secrets if len(s) >= 4)

    def __call__(self, text: str) -> str:
        for secret in sorted(self._secrets, key=len, reverse=True):
            if secret in text:
                text = text.replace(secret, "***")
        return text


def parse_error_body(body: bytes) -> tuple[str, str]:
    """(code, message) from an error body of any of the shapes registries send."""
    text = body.decode("utf-8", errors="replace").strip()
    if not text:
        return "", ""
    document = _json(text)
    if isinstance(document, jsonload.JSONRefused) and "&quot;" in text:
        document = _json(html.unescape(text))
    if isinstance(document, jsonload.JSONRefused) and text.startswith(("{", "[")):
        return "", f"the error body is not usable JSON: {document}"
    if isinstance(document, dict):
        errors = document.get("errors")
        if isinstance(errors, list) and errors and isinstance(errors[0], dict):
            first = errors[0]
            return _code(first.get("code")), str(first.get("message") or "")
        if isinstance(document.get("error"), str):
            return "", document["error"]
        if isinstance(document.get("message"), str):
            return _code(document.get("code")), document["message"]
        return "", ""
    match = _XML_CODE_RE.search(text)
    if match:
        return match.group(1).upper(), ""
    return "", text if len(text) < 120 and "<" not in text else ""


def error_for(
    status: int,
    body: bytes,
    *,
    what: str,
    registry: str,
    repository: str,
    url: str,
    redact: Redactor,
) -> RegistryError:
    """The typed exception for a failed reply."""
    code, message = parse_error_body(body)
    message = _clean(redact(message))
    label = f"HTTP {status}" + (f" {code}" if code and code != str(status) else "")
    detail = f"{what}: {label}" + (f": {message}" if message else "")
    cls: type[RegistryError] = RegistryError
    if code in NOT_FOUND_CODES or (status == 404 and code not in AUTH_CODES):
        cls = NotFoundError
    elif status in (401, 403) or code in AUTH_CODES:
        cls = AuthError
    elif status == 429 or code == "TOOMANYREQUESTS":
        cls = RateLimitedError
    elif status >= 500:
        cls = ServerError
    return cls(detail, registry=registry, repository=repository, url=url, status=status, code=code)


def _code(value: object) -> str:
    """An error code (a string, or a number like Red Hat's 404), uppercased; else ''."""
    if isinstance(value, bool) or not isinstance(value, str | int):
        return ""
    text = str(value)
    return text.upper() if _CODE_RE.fullmatch(text) else ""


def _json(text: str) -> object:
    """The document, or why it is refused."""
    try:
        return jsonload.load(text)
    except jsonload.JSONRefused as exc:
        return exc


def _clean(text: str) -> str:
    text = " ".join("".join(c if c.isprintable() else " " for c in text).split())
    return text if len(text) <= _MAX_MESSAGE else text[: _MAX_MESSAGE - 3] + "..."
