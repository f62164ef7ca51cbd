"""Repository names, tags, digests and registry hosts.

Grammar from the OCI distribution-spec ("Pulling manifests" / "Pulling blobs"):

* name:   ``[a-z0-9]+((\\.|_|__|-+)[a-z0-9]+)*(/[a-z0-9]+((\\.|_|__|-+)[a-z0-9]+)*)*``
* tag:    ``[a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}``
* digest: ``algorithm ":" encoded``; we accept the registered ``sha256`` and ``sha512``.

Anything a registry sends that does not match is hostile or broken and never becomes
a path on disk or a link in a page.
"""

from __future__ import annotations

import hashlib
import re

_COMPONENT = r"[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*"
NAME_RE = re.compile(rf"{_COMPONENT}(?:/{_COMPONENT})*")
TAG_RE = re.compile(r"[A-Za-z0-9_][A-Za-z0-9._-]{0,127}")
DIGEST_RE = re.compile(r"(sha256:[a-f0-9]{64}|sha512:[a-f0-9]{128})")
# A host is a DNS name or IPv4 with an optional port, or a bracketed IPv6 literal.
HOST_RE = re.compile(
    r"(?:[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*"
    r"|\[[0-9A-Fa-f:.]+\])(?::[0-9]{1,5})?"
)
MAX_NAME_LENGTH = 255

DOCKER_HUB_API_HOST = "registry-1.docker.io"
DOCKER_HUB_PULL_HOST = "docker.io"
# Every name Docker Hub's registry answers to; auth files are searched in this order.
DOCKER_HUB_HOSTS = (DOCKER_HUB_PULL_HOST, "index.docker.io", DOCKER_HUB_API_HOST)


def is_name(value: str) -> bool:
    """True when ``value`` is a valid repository name."""
    return len(value) <= MAX_NAME_LENGTH and NAME_RE.fullmatch(value) is not None


def is_tag(value: str) -> bool:
    """True when ``value`` is a valid tag."""
    return TAG_RE.fullmatch(value) is not None


def is_digest(value: str) -> bool:
    """True when ``value`` is a ``sha256:`` or ``sha512:`` digest in canonical (lowercase) form."""
    return DIGEST_RE.fullmatch(value) is not None


def digest_of(data: bytes, algorithm: str = "sha256") -> str:
    """The digest of ``data`` in ``algorithm:hex`` form."""
    return f"{algorithm}:{hashlib.new(algorithm, data).hexdigest()}"


def verify_digest(data: bytes, digest: str) -> bool:
    """True when ``data`` hashes to ``digest`` (with the digest's own algorithm)."""
    if not is_digest(digest):
        return False
    algorithm = digest.partition(":")[0]
    return digest_of(data, algorithm) == digest


def is_docker_hub(host: str) -> bool:
    """True for any of the names Docker Hub's registry answers to."""
    return host.lower() in DOCKER_HUB_HOSTS


def api_host(host: str) -> str:
    """The host to send API requests to: Docker Hub's aliases map to ``registry-1.docker.io``."""
    return DOCKER_HUB_API_HOST if is_docker_hub(host) else host


def normalize_name(host: str, name: str) -> str:
    """Docker Hub puts one-segment names under ``library/`` (``alpine`` is ``library/alpine``)."""
    if is_docker_hub(host) and "/" not in name:
        return f"library/{name}"
    return name
