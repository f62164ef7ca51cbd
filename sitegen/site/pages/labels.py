"""What an image's OCI labels answer: where its source is, which commit it was built
from, its home page, documentation, licence and vendor (the ``org.opencontainers.image.*``
keys of the OCI image spec, annotations.md).

Label values are registry data, written by whoever built the image: a link is made
only from an ``http``/``https`` URL without credentials or white space, and everything
else is shown as text (autoescaped by the templates).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from urllib.parse import urlsplit

from sitegen.model import Manifest, images_of
from sitegen.site.pages.shapes import About

PREFIX = "org.opencontainers.image."
MAX_URL = 2048  # longer is no address a person would follow
_HEX_REVISION = re.compile(r"[0-9a-fA-F]{7,64}")
_UNSAFE = re.compile(r"[\x00-\x20\x7f<>\"'`\\]")
# git@host:owner/repo(.git): the scp-like form git and forges print for SSH clones.
_SCP_LIKE = re.compile(r"[\w.-]+@(?P<host>[\w.-]+):(?!//)(?P<path>[^\s]+)")


def safe_url(value: str) -> str:
    """``value`` when it is an http(s) URL fit for a link, else ``""``.

    Refused: other schemes (``javascript:``, ``data:``, ``file:``), no host, user
    names or passwords in it, white space, control or quote characters, over
    ``MAX_URL`` characters.
    """
    if len(value) > MAX_URL or _UNSAFE.search(value):
        return ""
    try:
        parts = urlsplit(value)
        parts.port  # noqa: B018 - raises for a port that is not a number
    except ValueError:
        return ""
    if parts.scheme not in ("http", "https") or not parts.hostname or "@" in parts.netloc:
        return ""
    return value


def repository_url(source: str) -> str:
    """The web address of a source repository as labels name it: an http(s) URL, or
    ``git@host:owner/repo.git``, ``ssh://git@host/owner/repo``, ``git://``,
    ``git+https://``; without ``.git``, trailing slashes, query or fragment.
    ``""`` when it is none of these."""
    text = source.strip()
    scp = _SCP_LIKE.fullmatch(text)
    if scp:
        text = f"https://{scp['host']}/{scp['path']}"
    elif text.startswith(("ssh://", "git://", "git+ssh://", "git+https://", "git+http://")):
        parts = urlsplit(text.removeprefix("git+"))
        scheme = "http" if parts.scheme == "http" else "https"
        text = f"{scheme}://{parts.hostname or ''}{parts.path}"
    url = safe_url(text)
    if not url:
        return ""
    parts = urlsplit(url)
    path = parts.path.rstrip("/").removesuffix(".git").rstrip("/")
    return f"{parts.scheme}://{parts.netloc}{path}"


def commit_url(source: str, revision: str) -> str:
    """The page of commit ``revision`` at the forge ``source`` names (GitHub, GitLab,
    Bitbucket, Gitea, Forgejo, Codeberg); ``""`` for another host or a revision that
    is not a commit id."""
    base = repository_url(source)
    if not base or not _HEX_REVISION.fullmatch(revision):
        return ""
    parts = urlsplit(base)
    host = (parts.hostname or "").lower()
    segments = [s for s in parts.path.split("/") if s]
    if "gitlab" in host:
        # Subgroups nest (group/sub/project); a /-/ starts the project's own pages.
        if "-" in segments:
            segments = segments[: segments.index("-")]
        if len(segments) < 2:
            return ""
        return f"{parts.scheme}://{parts.netloc}/{'/'.join(segments)}/-/commit/{revision}"
    if len(segments) < 2:
        return ""
    project = f"{parts.scheme}://{parts.netloc}/{segments[0]}/{segments[1]}"
    if host in ("github.com", "www.github.com"):
        return f"{project}/commit/{revision}"
    if host in ("bitbucket.org", "www.bitbucket.org"):
        return f"{project}/commits/{revision}"
    if host in ("codeberg.org", "gitea.com") or "gitea" in host or "forgejo" in host:
        return f"{project}/commit/{revision}"
    return ""


def image_labels(manifest: Manifest) -> dict[str, str]:
    """The ``org.opencontainers.image.*`` values of a manifest, by short key: the
    manifest's annotations first, then each image's annotations and config labels."""
    sources: list[Mapping[str, str]] = [manifest.annotations]
    for image in images_of(manifest):
        sources.append(image.annotations)
        if image.config is not None:
            sources.append(image.config.labels)
    found: dict[str, str] = {}
    for source in sources:
        for key, value in source.items():
            if key.startswith(PREFIX) and value.strip():
                found.setdefault(key.removeprefix(PREFIX), value.strip())
    return found


def about(manifest: Manifest | None) -> About:
    """What the header of a repository page says about its recommended image."""
    labels = image_labels(manifest) if manifest is not None else {}
    source = labels.get("source", "")
    revision = labels.get("revision", "")
    return {
        "source": source,
        "source_url": repository_url(source) if source else "",
        "revision": revision,
        "commit_url": commit_url(source, revision) if source and revision else "",
        "url": safe_url(labels.get("url", "")),
        "documentation": safe_url(labels.get("documentation", "")),
        "licenses": labels.get("licenses", ""),
        "vendor": labels.get("vendor", ""),
    }
