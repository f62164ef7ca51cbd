"""The ``api`` and ``api_url`` keys of a registry: which vendor listing API to use.

A vendor API lists a repository's tags with their digests in pages of 100, so a warm
rebuild needs no HEAD per tag (docs/configuration.md#vendor-apis). ``auto`` uses one
only where the registry is recognised; the detection itself lives in
``sitegen.registry.vendors``, since part of it reads the registry's answer to its ping.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable
from urllib.parse import urlsplit

from sitegen.config.schema import API_CHOICES
from sitegen.config.yamlreader import Field, Reader
from sitegen.oci.references import HOST_RE

# GitLab's REST API lists tag names without digests: a digest costs one request per
# tag, as a HEAD does, so it can never make a crawl cheaper.
GITLAB_HINT = (
    "GitLab's API lists tags without their digests (one request per tag, like a HEAD), "
    "so it cannot make a crawl cheaper; use api: none or auto"
)


def vendor_api(
    reader: Reader,
    keys: dict[str, Field],
    *,
    insecure: bool,
    loopback: Callable[[str], bool],
) -> tuple[str, str | None]:
    """(``api``, ``api_url``) of one registry, each checked where it is written;
    ``loopback`` tells whether a host name is a loopback address."""
    api = "auto"
    if "api" in keys:
        api = reader.string(keys["api"]).strip().lower()
        if api == "gitlab":
            reader.fail(keys["api"], GITLAB_HINT)
        if api not in API_CHOICES:
            hint = difflib.get_close_matches(api, API_CHOICES, n=1, cutoff=0.6)
            choices = ", ".join(API_CHOICES)
            suffix = f"; did you mean {hint[0]!r}?" if hint else ""
            reader.fail(keys["api"], f"{api[:40]!r} is not one of {choices}{suffix}")
    if "api_url" not in keys:
        return api, None
    node = keys["api_url"]
    if api in ("auto", "none"):
        reader.fail(
            node, "api_url needs the vendor it belongs to: set api (harbor, hub, quay, ghcr or acr)"
        )
    url = reader.string(node).strip().rstrip("/")
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        reader.fail(node, f"expected an http(s) URL, got {url[:100]!r}")
    if parts.username is not None or parts.password is not None:
        reader.fail(node, "do not put credentials in the URL; use the auth key")
    if parts.query or parts.fragment:
        reader.fail(node, "must not have a query or fragment")
    if not HOST_RE.fullmatch(parts.netloc):
        reader.fail(node, f"invalid host in {url[:100]!r}")
    if parts.scheme == "http" and not (insecure or loopback(parts.hostname or "")):
        reader.fail(
            node,
            "plain http to a host other than loopback sends credentials in clear text; "
            "use https, or set insecure: true on this registry",
        )
    return api, url
