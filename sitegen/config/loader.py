"""``registries.yaml`` -> the validated, frozen configuration of ``schema.py``.

Everything is checked here, before any network call: unknown keys, types, ranges,
regular expressions, repository names, URLs, environment variables, description
files, the theme directory and TLS files (loaded into an ``ssl.SSLContext``). Every
error names file, line, column and key path. Every file named is read only if it is a
regular file, and only up to a bound (``sitegen.files``): a FIFO or ``/dev/zero`` is an
error, not a hang. ``docs/configuration.md`` documents each key; keep the two in step.
"""

from __future__ import annotations

import ipaddress
import os
import re
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path
from urllib.parse import urlsplit

from sitegen.config import secrets, tls
from sitegen.config.schema import (
    DEFAULT_CONCURRENCY,
    DEFAULT_PLATFORM,
    DEFAULT_RETRIES,
    DEFAULT_STALE_AFTER,
    DEFAULT_TIME_BUDGET,
    DEFAULT_TIMEOUT,
    DEFAULT_TITLE,
    LIMIT_KEYS,
    LIMIT_MAXIMA,
    Auth,
    Config,
    Limits,
    RegistryConfig,
    RepositoryConfig,
    Secret,
    SiteConfig,
    TagFilter,
)
from sitegen.config.vendorapi import discovery, vendor_api
from sitegen.config.yamlreader import Field, Reader
from sitegen.errors import ConfigError, FileRefused
from sitegen.files import read_limited, reason, require_regular
from sitegen.oci.references import (
    DOCKER_HUB_PULL_HOST,
    HOST_RE,
    api_host,
    is_docker_hub,
    is_name,
    is_tag,
    normalize_name,
)

PLATFORM_RE = re.compile(r"[a-z0-9._-]+/[a-z0-9._-]+(?:/[a-z0-9._-]+)?")
SLUG_RE = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?")
DESCRIPTION_SUFFIXES = (".md", ".markdown", ".txt")
MAX_DESCRIPTION_BYTES = 1 << 20
REPOSITORY_KEYS = ("name", "description", "tags", "platforms", "recommended_tag")
MAX_CONFIG_BYTES = 16 << 20
MAX_THEME_FILES = 10_000
# What to write instead of lookaround, which the pattern engine cannot run.
TAGS_HINT = (
    "a tag is shown when include matches it and exclude does not: match the tags to "
    "hide with exclude instead"
)


def load_config(path: Path, environ: Mapping[str, str] | None = None) -> Config:
    """Read and validate ``path``. Raises ``ConfigError`` naming file, line and key."""
    display = path.name if path.parent == Path() else str(path)
    try:
        text = read_limited(path, MAX_CONFIG_BYTES).decode("utf-8")
    except FileNotFoundError:
        raise ConfigError(f"{display}: file not found") from None
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{display}: cannot read: {exc}") from None
    except (OSError, FileRefused) as exc:
        raise ConfigError(f"{display}: cannot read: {reason(exc)}") from None
    reader = Reader(display, environ)
    return _Builder(reader, path.resolve().parent).config(reader.load(text), path)


class _Builder:
    """Turns located YAML values into the frozen dataclasses above."""

    def __init__(self, reader: Reader, base_dir: Path) -> None:
        self.r = reader
        self.base_dir = base_dir

    def config(self, root: Field, path: Path) -> Config:
        keys = self.r.mapping(root, ("site", "registries", "limits"), required=("registries",))
        site = self.site(keys["site"]) if "site" in keys else SiteConfig()
        registries: list[RegistryConfig] = []
        seen: dict[str, Field] = {}
        for item in self.r.sequence(keys["registries"]):
            registry = self.registry(item)
            if registry.name in seen:
                self.r.fail(item, f"duplicate registry name {registry.name!r}")
            seen[registry.name] = item
            registries.append(registry)
        if not registries:
            self.r.fail(keys["registries"], "list at least one registry")
        limits = self.limits(keys["limits"]) if "limits" in keys else Limits()
        hidden = tuple((a, r.pull_host) for r in registries for a in r.hidden_addresses)
        site = replace(site, masker=replace(site.masker, addresses=hidden))
        return Config(path=path, site=site, registries=tuple(registries), limits=limits)

    def limits(self, node: Field) -> Limits:
        keys = self.r.mapping(node, tuple(LIMIT_KEYS))
        values = {
            LIMIT_KEYS[key]: self.r.integer(
                field_, minimum=0 if key == "redirects" else 1, maximum=LIMIT_MAXIMA.get(key)
            )
            for key, field_ in keys.items()
        }
        return replace(Limits(), **values)

    def site(self, node: Field) -> SiteConfig:
        keys = self.r.mapping(
            node,
            (
                "title",
                "url",
                "description",
                "theme_dir",
                "stale_after",
                "secret_env_patterns",
                "show_secret_env",
                "secret_shapes",
                "default_platform",
            ),
        )
        default_platform = DEFAULT_PLATFORM
        if "default_platform" in keys:
            default_platform = self.r.string(keys["default_platform"])
            if not PLATFORM_RE.fullmatch(default_platform):
                self.r.fail(
                    keys["default_platform"],
                    f"{default_platform!r} is not a platform like linux/amd64 or linux/arm/v7",
                )
        url = None
        if "url" in keys:
            url = self.r.string(keys["url"])
            parts = urlsplit(url)
            if parts.scheme not in ("http", "https") or not parts.netloc:
                self.r.fail(keys["url"], f"expected an http(s) URL, got {url!r}")
            if parts.query or parts.fragment:
                self.r.fail(keys["url"], "must not have a query or fragment")
            url = url if url.endswith("/") else url + "/"
        theme_dir = None
        if "theme_dir" in keys:
            theme_dir = self.theme_dir(keys["theme_dir"])
        return SiteConfig(
            masker=secrets.masker(self.r, keys),
            title=self.r.string(keys["title"]) if "title" in keys else DEFAULT_TITLE,
            url=url,
            description=self.description(keys["description"]) if "description" in keys else None,
            theme_dir=theme_dir,
            default_platform=default_platform,
            stale_after=(
                self.r.duration(keys["stale_after"], minimum=60, maximum=366 * 86400)
                if "stale_after" in keys
                else DEFAULT_STALE_AFTER
            ),
        )

    def registry(self, node: Field) -> RegistryConfig:
        keys = self.r.mapping(
            node,
            (
                "name",
                "url",
                "pull_host",
                "auth",
                "repositories",
                "include",
                "exclude",
                "tags",
                "platforms",
                "concurrency",
                "timeout",
                "ca_file",
                "client_cert",
                "client_key",
                "insecure",
                "http2",
                "retries",
                "time_budget",
                "show_url",
                "api",
                "api_url",
                "discover",
            ),
            required=("name", "url"),
        )
        name = self.r.string(keys["name"])
        if not SLUG_RE.fullmatch(name):
            self.r.fail(
                keys["name"],
                f"{name!r} is not a slug: use lowercase letters, digits and inner '-' "
                "(at most 64 characters); it becomes part of page paths",
            )
        insecure = self.r.boolean(keys["insecure"]) if "insecure" in keys else False
        url, host, prefix = self.url(keys["url"], insecure)
        pull_host = DOCKER_HUB_PULL_HOST if is_docker_hub(host) else host + prefix
        if "pull_host" in keys:
            pull_host = self.r.string(keys["pull_host"]).rstrip("/")
            if not HOST_RE.fullmatch(pull_host.partition("/")[0]):
                self.r.fail(keys["pull_host"], f"{pull_host!r} is not a host name")
        tags = self.tag_filter(keys["tags"]) if "tags" in keys else TagFilter()
        repositories = None
        if "repositories" in keys:
            repositories = self.repositories(keys["repositories"], host)
        for key in ("include", "exclude"):
            if key in keys and repositories is not None:
                self.r.fail(
                    keys[key],
                    f"{key} filters discovered repositories; it has no "
                    "effect with an explicit repositories list",
                )
        ca_file, client_cert, client_key = (
            self.file(keys[key]) if key in keys else None
            for key in ("ca_file", "client_cert", "client_key")
        )
        if client_key is not None and client_cert is None:
            self.r.fail(keys["client_key"], "client_key needs client_cert")
        if ca_file is not None or client_cert is not None:
            try:
                tls.context(ca_file, client_cert, client_key, insecure)
            except ConfigError as exc:
                self.r.fail(keys[exc.key], exc.detail)
        api, api_url = vendor_api(self.r, keys, insecure=insecure, loopback=_is_loopback)
        return RegistryConfig(
            name=name,
            url=url,
            host=host,
            pull_host=pull_host,
            auth=self.auth(keys["auth"]) if "auth" in keys else Auth(),
            repositories=repositories,
            tags=tags,
            include=tuple(self.r.strings(keys["include"])) if "include" in keys else (),
            exclude=tuple(self.r.strings(keys["exclude"])) if "exclude" in keys else (),
            platforms=self.platforms(keys["platforms"]) if "platforms" in keys else (),
            concurrency=(
                self.r.integer(keys["concurrency"], minimum=1, maximum=64)
                if "concurrency" in keys
                else DEFAULT_CONCURRENCY
            ),
            timeout=(
                self.r.number(keys["timeout"], minimum=1, maximum=600)
                if "timeout" in keys
                else DEFAULT_TIMEOUT
            ),
            ca_file=ca_file,
            client_cert=client_cert,
            client_key=client_key,
            insecure=insecure,
            http2=self.r.boolean(keys["http2"]) if "http2" in keys else False,
            retries=(
                self.r.integer(keys["retries"], minimum=0, maximum=10)
                if "retries" in keys
                else DEFAULT_RETRIES
            ),
            time_budget=(
                self.r.number(keys["time_budget"], minimum=1, maximum=86400)
                if "time_budget" in keys
                else DEFAULT_TIME_BUDGET
            ),
            show_url=self.r.boolean(keys["show_url"]) if "show_url" in keys else False,
            api=api,
            api_url=api_url,
            discover=discovery(self.r, keys, api, api_url, host),
        )

    def url(self, node: Field, insecure: bool) -> tuple[str, str, str]:
        """Validate a registry URL; return (base URL, host[:port], path prefix)."""
        text = self.r.string(node).strip()
        if "://" not in text:
            text = "https://" + text
        parts = urlsplit(text)
        if parts.scheme not in ("http", "https"):
            self.r.fail(node, f"scheme must be http or https, got {parts.scheme!r}")
        if parts.username is not None or parts.password is not None:
            self.r.fail(node, "do not put credentials in the URL; use the auth key")
        if parts.query or parts.fragment:
            self.r.fail(node, "must not have a query or fragment")
        if not parts.netloc or not HOST_RE.fullmatch(parts.netloc):
            self.r.fail(node, f"invalid host in {text!r}")
        try:
            port = parts.port
        except ValueError:
            self.r.fail(node, f"invalid port in {text!r}")
        if port == 0:
            self.r.fail(node, f"invalid port in {text!r}")
        prefix = parts.path.rstrip("/")
        if prefix.endswith("/v2"):
            prefix = prefix[: -len("/v2")]
        host = api_host(parts.netloc.lower())
        if parts.scheme == "http" and not insecure and not _is_loopback(parts.hostname or ""):
            self.r.fail(
                node,
                "plain http to a host other than loopback sends credentials in clear text; "
                "use https, or set insecure: true on this registry",
            )
        return f"{parts.scheme}://{host}{prefix}", host, prefix

    def file(self, node: Field) -> Path:
        """An existing regular file, relative to the config's directory."""
        path = self.base_dir / self.r.string(node)
        try:
            require_regular(path)
        except FileNotFoundError:
            self.r.fail(node, f"file not found: {path}")
        except (OSError, FileRefused) as exc:
            self.r.fail(node, f"{path}: {reason(exc)}")
        return path

    def theme_dir(self, node: Field) -> Path:
        """A directory of templates and static files: regular files only (a template
        that is a FIFO would hang the build, ``/dev/zero`` would fill the disk)."""
        theme_dir = self.base_dir / self.r.string(node)
        if not theme_dir.is_dir():
            self.r.fail(node, f"directory not found: {theme_dir}")
        count = 0
        # Symlinks are followed as the template loader and the copy follow them; the
        # count bounds a walk that a symlink loop would make endless.
        for folder, _, names in os.walk(theme_dir, followlinks=True):
            for name in names:
                count += 1
                if count > MAX_THEME_FILES:
                    self.r.fail(node, f"{theme_dir} holds more than {MAX_THEME_FILES} files")
                path = Path(folder, name)
                try:
                    require_regular(path)
                except (OSError, FileRefused) as exc:
                    self.r.fail(node, f"{path.relative_to(theme_dir)}: {reason(exc)}")
        return theme_dir

    def auth(self, node: Field) -> Auth:
        keys = self.r.mapping(node, ("username", "password"))
        username = self.r.string(keys["username"]) if "username" in keys else None
        password = Secret(self.r.string(keys["password"])) if "password" in keys else None
        if (username is None) != (password is None):
            missing = "password" if password is None else "username"
            self.r.fail(node, f"give both username and password ({missing} is missing)")
        return Auth(username=username, password=password)

    def repositories(self, node: Field, host: str) -> tuple[RepositoryConfig, ...]:
        result: list[RepositoryConfig] = []
        seen: set[str] = set()
        for item in self.r.sequence(node):
            platforms = None
            recommended = None
            if self.r.is_mapping(item):
                keys = self.r.mapping(item, REPOSITORY_KEYS, required=("name",))
                name_field = keys["name"]
                description = (
                    self.description(keys["description"]) if "description" in keys else None
                )
                tags = self.tag_filter(keys["tags"]) if "tags" in keys else TagFilter()
                if "platforms" in keys:
                    platforms = self.platforms(keys["platforms"])
                if "recommended_tag" in keys:
                    recommended = self.tag(keys["recommended_tag"])
            else:
                name_field, description, tags = item, None, TagFilter()
            name = normalize_name(host, self.r.string(name_field))
            if not is_name(name):
                self.r.fail(
                    name_field,
                    f"{name!r} is not a valid repository name (lowercase letters, digits, "
                    "separators '.', '_', '__', '-' and '/' between components)",
                )
            if name in seen:
                self.r.fail(name_field, f"repository {name!r} is listed twice")
            seen.add(name)
            result.append(RepositoryConfig(name, description, tags, platforms, recommended))
        return tuple(result)

    def platforms(self, node: Field) -> tuple[str, ...]:
        """``[linux/amd64, linux/arm64/v8]``: os/architecture[/variant] strings."""

        def check(item: Field, value: str) -> None:
            if not PLATFORM_RE.fullmatch(value):
                self.r.fail(item, f"{value!r} is not a platform like linux/amd64 or linux/arm/v7")

        return tuple(self.r.strings(node, check))

    def tag(self, node: Field) -> str:
        value = self.r.string(node)
        if not is_tag(value):
            self.r.fail(node, f"{value!r} is not a tag (letters, digits, _ . -; up to 128)")
        return value

    def tag_filter(self, node: Field) -> TagFilter:
        keys = self.r.mapping(node, ("include", "exclude", "latest"))
        return TagFilter(
            include=(
                self.r.regex(keys["include"], lookaround_hint=TAGS_HINT)
                if "include" in keys
                else None
            ),
            exclude=(
                self.r.regex(keys["exclude"], lookaround_hint=TAGS_HINT)
                if "exclude" in keys
                else None
            ),
            latest=self.r.integer(keys["latest"], minimum=1) if "latest" in keys else None,
        )

    def description(self, node: Field) -> str:
        """Inline markdown, or the contents of a markdown file next to the config."""
        text = self.r.string(node, allow_empty=True)
        if "\n" in text or not text.strip().lower().endswith(DESCRIPTION_SUFFIXES):
            return text
        path = self.base_dir / text.strip()
        try:
            return read_limited(path, MAX_DESCRIPTION_BYTES).decode("utf-8")
        except FileNotFoundError:
            self.r.fail(node, f"description file not found: {text} (relative to the config)")
        except UnicodeDecodeError as exc:
            self.r.fail(node, f"cannot read description file {text}: {exc}")
        except (OSError, FileRefused) as exc:
            self.r.fail(node, f"cannot read description file {text}: {reason(exc)}")


def _is_loopback(hostname: str) -> bool:
    if hostname == "localhost":
        return True
    try:
        return ipaddress.ip_address(hostname).is_loopback
    except ValueError:
        return False
