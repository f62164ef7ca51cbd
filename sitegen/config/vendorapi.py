"""The ``api``, ``api_url`` and ``discover`` keys of a registry: which vendor API to use.

A vendor API lists a repository's tags with their digests in pages of 100, so a warm
rebuild needs no HEAD per tag (docs/configuration.md#vendor-apis). ``auto`` uses one
only where the registry is recognised; the detection itself lives in
``sitegen.registry.vendors``, since part of it reads the registry's answer to its ping.
``discover`` names where GitHub's, GitLab's or Docker Hub's API lists the repositories of
a registry whose ``_catalog`` is refused (docs/configuration.md#discovery).
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable
from urllib.parse import urlsplit

from sitegen.config.schema import API_CHOICES, Discovery
from sitegen.config.yamlreader import Field, Reader
from sitegen.oci.references import HOST_RE, is_docker_hub

# A GitHub login: letters, digits and inner single hyphens, at most 39 characters.
GITHUB_LOGIN_RE = re.compile(r"[A-Za-z0-9](?:-?[A-Za-z0-9]){0,38}")
# A GitLab namespace or project path (segments of letters, digits, ``_ . + -``, not
# starting with ``-`` or ``.``) or a numeric id.
GITLAB_PATH_RE = re.compile(
    r"[A-Za-z0-9_][A-Za-z0-9_.+-]{0,254}(?:/[A-Za-z0-9_][A-Za-z0-9_.+-]{0,254}){0,19}"
)
GITLAB_COM = ("registry.gitlab.com", "https://gitlab.com/api/v4")
# A Docker Hub namespace: a repository name component (distribution's grammar).
HUB_NAMESPACE_RE = re.compile(r"[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*")
# A Harbor project: lower-case letters and digits, single ``. _ -`` between them.
HARBOR_PROJECT_RE = re.compile(r"(?=.{1,255}$)[a-z0-9]+(?:[._-][a-z0-9]+)*")


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
            node,
            "api_url needs the vendor it belongs to: set api "
            "(harbor, hub, quay, ghcr, acr or gitlab)",
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


def discovery(
    reader: Reader, keys: dict[str, Field], api: str, api_url: str | None, host: str
) -> Discovery | None:
    """The ``discover`` key of a registry of ``host`` with ``api`` and ``api_url``."""
    if "discover" not in keys:
        return None
    node = keys["discover"]
    if "repositories" in keys:
        reader.fail(node, "discover finds repositories; it has no effect with a repositories list")
    parts = reader.mapping(node, ("owners", "groups", "projects", "namespaces"))

    def names(key: str, pattern: re.Pattern[str], what: str) -> tuple[str, ...]:
        def check(item: Field, value: str) -> None:
            if not pattern.fullmatch(value) or ".." in value or value.endswith((".git", ".")):
                reader.fail(item, f"{value[:100]!r} is not {what}")

        return tuple(reader.strings(parts[key], check)) if key in parts else ()

    found = Discovery(
        owners=names("owners", GITHUB_LOGIN_RE, "a GitHub organisation or user name"),
        groups=names("groups", GITLAB_PATH_RE, "a GitLab group path or id"),
        projects=names("projects", HARBOR_PROJECT_RE, "a Harbor project name")
        if api == "harbor"
        else names("projects", GITLAB_PATH_RE, "a GitLab project path or id"),
        namespaces=names("namespaces", HUB_NAMESPACE_RE, "a Docker Hub namespace"),
        harbor=api == "harbor",
    )
    kinds = [bool(found.owners), bool(found.groups or found.projects), bool(found.namespaces)]
    if not any(kinds):
        reader.fail(
            node,
            "name at least one owner (ghcr.io), group or project (GitLab), project (Harbor, "
            "with api: harbor), or namespace (Docker Hub)",
        )
    if sum(kinds) > 1:
        reader.fail(
            node,
            "owners are GitHub's, groups and projects GitLab's, namespaces Docker Hub's: "
            "choose one",
        )
    if found.namespaces and not (api == "hub" or (api == "auto" and is_docker_hub(host))):
        reader.fail(
            node, "namespaces are listed through Docker Hub's API: for docker.io, or set api: hub"
        )
    if found.owners and not (api == "ghcr" or (api == "auto" and host == "ghcr.io")):
        reader.fail(
            node, "owners are listed through GitHub's packages API: for ghcr.io, or set api: ghcr"
        )
    if found.harbor and found.groups:
        reader.fail(node, "groups are GitLab's: a Harbor's repositories are listed by project")
    elif found.groups or (found.projects and not found.harbor):
        if not (api == "gitlab" or (api == "auto" and host == GITLAB_COM[0])):
            reader.fail(
                node,
                "groups and projects are listed through GitLab's API (set api: gitlab), or "
                "projects through Harbor's (set api: harbor)",
            )
        if api_url is None and host != GITLAB_COM[0]:
            reader.fail(
                node,
                "a self-managed GitLab's API is not on its registry's host: set api_url to "
                "its root (https://gitlab.example.com/api/v4)",
            )
    return found
