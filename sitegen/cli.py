"""Command line: ``sitegen build | check | serve``. The only module that exits.

Exit codes (documented in README and docs/cli.md):
  0  success (also when some registries or repositories failed, unless --strict)
  1  config error, output error, every registry failed, or any failure with --strict
  2  usage error (unknown option, bad argument)
"""

from __future__ import annotations

import asyncio
import functools
import http.server
import json
import logging
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from sitegen import __version__
from sitegen.build import build, report
from sitegen.config import Config, load_config
from sitegen.crawl import Progress
from sitegen.crawl.context import Shard
from sitegen.crawl.state import DEFAULT_KEEP_BUILDS
from sitegen.errors import SitegenError
from sitegen.model import Catalog
from sitegen.oci.masking import Masker
from sitegen.registry.check import check_registries
from sitegen.registry.transport import Stats
from sitegen.shards import crawl_shard, render
from sitegen.site import paths

log = logging.getLogger("sitegen")

_Result = TypeVar("_Result")
EXIT_OK, EXIT_ERROR = 0, 1  # a usage error exits with 2, click's own code for it


def _setup_logging(verbose: int, quiet: int) -> None:
    # Default: progress and the summary. -v adds a line per repository (VERBOSE),
    # -vv every request (DEBUG). -q keeps warnings, -qq errors.
    level = logging.INFO - 5 * verbose + 10 * quiet
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(_Formatter())
    handler.addFilter(_mask_record)
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(max(logging.DEBUG, min(level, logging.ERROR)))
    # httpx/httpcore debug lines would repeat ours; they never need to be louder.
    for noisy in ("httpx", "httpcore", "hpack", "markdown"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


_LOG_MASKER = Masker()


def _mask_record(record: logging.LogRecord) -> bool:
    """Mask secret shapes in every log line: CI logs are often as public as the site,
    and messages quote registry text (error bodies, names that were skipped)."""
    message = record.getMessage()
    masked = _LOG_MASKER.text(message)
    if masked != message:
        record.msg, record.args = masked, None
    return True


class _Formatter(logging.Formatter):
    def __init__(self) -> None:
        super().__init__()
        self.color = sys.stderr.isatty() and not os.environ.get("NO_COLOR")

    def format(self, record: logging.LogRecord) -> str:
        message = record.getMessage()
        if record.exc_info and logging.getLogger().isEnabledFor(logging.DEBUG):
            message += "\n" + self.formatException(record.exc_info)
        if record.levelno >= logging.WARNING:
            label = record.levelname.lower()
            if self.color:
                code = "31" if record.levelno >= logging.ERROR else "33"
                label = f"\033[{code}m{label}\033[0m"
            return f"{label}: {message}"
        return message


def _load(config_path: Path) -> Config:
    try:
        return load_config(config_path)
    except SitegenError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(EXIT_ERROR)


CONFIG_OPTION = click.option(
    "-c",
    "--config",
    "config_path",
    type=click.Path(path_type=Path),
    default="registries.yaml",
    show_default=True,
    help="The registries file.",
)
OUTPUT_OPTION = click.option(
    "-o",
    "--output",
    type=click.Path(path_type=Path, file_okay=False),
    default="site",
    show_default=True,
    help="The site directory (replaced as a whole on every build).",
)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="sitegen")
def main() -> None:
    """Build a static, browsable catalog of container registries."""


CACHE_DIR_OPTION = click.option(
    "--cache-dir",
    type=click.Path(path_type=Path, file_okay=False),
    default=".sitegen-cache",
    show_default=True,
    help="Where manifests, configs and the crawl state are kept between builds.",
)
NO_CACHE_OPTION = click.option(
    "--no-cache", is_flag=True, help="Do not read or write the cache directory."
)
KEEP_BUILDS_OPTION = click.option(
    "--keep-builds",
    type=click.IntRange(1, 1000),
    default=DEFAULT_KEEP_BUILDS,
    show_default=True,
    help="Drop cache entries no build has used for this many builds.",
)


@main.command("build")
@CONFIG_OPTION
@OUTPUT_OPTION
@CACHE_DIR_OPTION
@NO_CACHE_OPTION
@KEEP_BUILDS_OPTION
@click.option("-v", "--verbose", count=True, help="More detail (-vv for every request).")
@click.option("-q", "--quiet", count=True, help="Only warnings (-qq: only errors).")
@click.option("--strict", is_flag=True, help="Exit 1 if any registry, repository or tag failed.")
@click.option(
    "--report",
    "report_path",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    help="Also write the build's numbers (requests by kind, bytes, pages, times) as JSON.",
)
def build_command(
    config_path: Path,
    output: Path,
    cache_dir: Path,
    no_cache: bool,
    keep_builds: int,
    verbose: int,
    quiet: int,
    strict: bool,
    report_path: Path | None,
) -> None:
    """Crawl the registries and write the site."""
    _setup_logging(verbose, quiet)
    config = _load(config_path)
    result = _with_progress(
        verbose,
        quiet,
        lambda display: build(
            config,
            output,
            cache_dir=None if no_cache else cache_dir,
            keep_builds=keep_builds,
            on_progress=display if quiet == 0 else None,
            progress_interval=display.interval,
        ),
    )
    log.info("%s", result.summary())
    if report_path is not None:
        try:
            report_path.write_text(json.dumps(report(result), indent=2, sort_keys=True) + "\n")
        except OSError as exc:
            click.echo(f"error: cannot write the report {report_path}: {exc.strerror}", err=True)
            sys.exit(EXIT_ERROR)
    log.info(
        "site written to %s/ (open %s/index.html, or run: sitegen serve -o %s)",
        output,
        output,
        output,
    )
    _exit_on_failures(config, result.catalog, result.failures, strict, "the site")


def _shard(ctx: click.Context, param: click.Parameter, value: str) -> Shard:
    try:
        return Shard.parse(value)
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from None


@main.command("crawl")
@CONFIG_OPTION
@click.option(
    "--shard",
    required=True,
    callback=_shard,
    help="I/N: crawl the I-th of N shares of the repositories (1 to N; a repository "
    "always falls in the same share).",
)
@click.option(
    "--out",
    type=click.Path(path_type=Path, file_okay=False),
    required=True,
    help="Where to write this share's crawl (catalog.json), for sitegen render.",
)
@CACHE_DIR_OPTION
@NO_CACHE_OPTION
@KEEP_BUILDS_OPTION
@click.option("-v", "--verbose", count=True, help="More detail (-vv for every request).")
@click.option("-q", "--quiet", count=True, help="Only warnings (-qq: only errors).")
@click.option("--strict", is_flag=True, help="Exit 1 if any registry, repository or tag failed.")
def crawl_command(
    config_path: Path,
    shard: Shard,
    out: Path,
    cache_dir: Path,
    no_cache: bool,
    keep_builds: int,
    verbose: int,
    quiet: int,
    strict: bool,
) -> None:
    """Crawl one share of the repositories, for sitegen render (a CI matrix job)."""
    _setup_logging(verbose, quiet)
    config = _load(config_path)
    result = _with_progress(
        verbose,
        quiet,
        lambda display: crawl_shard(
            config,
            out,
            shard,
            cache_dir=None if no_cache else cache_dir,
            keep_builds=keep_builds,
            on_progress=display if quiet == 0 else None,
        ),
    )
    catalog = result.catalog
    log.info(
        "shard %s: %d repositories, %d tags in %.1fs; requests: %s; written to %s/",
        shard,
        catalog.repository_count,
        catalog.tag_count,
        result.seconds,
        result.stats.summary(),
        out,
    )
    _exit_on_failures(config, catalog, result.failures, strict, "this share")


@main.command("render")
@CONFIG_OPTION
@OUTPUT_OPTION
@click.argument("parts", nargs=-1, required=True, type=click.Path(path_type=Path, file_okay=False))
@click.option("-v", "--verbose", count=True, help="More detail.")
@click.option("-q", "--quiet", count=True, help="Only warnings (-qq: only errors).")
def render_command(
    config_path: Path, output: Path, parts: tuple[Path, ...], verbose: int, quiet: int
) -> None:
    """Write the site from the shares sitegen crawl wrote (PARTS: their --out directories)."""
    _setup_logging(verbose, quiet)
    config = _load(config_path)
    try:
        catalog, pages = render(config, output, parts)
    except SitegenError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(EXIT_ERROR)
    log.info(
        "rendered %d pages from %d shares: %d repositories, %d tags; site written to %s/",
        pages,
        len(parts),
        catalog.repository_count,
        catalog.tag_count,
        output,
    )


def _with_progress(verbose: int, quiet: int, run: Callable[[_ProgressDisplay], _Result]) -> _Result:
    """``run`` with a progress display; an error it raises ends the command (exit 1)."""
    display = _ProgressDisplay(live=sys.stderr.isatty() and quiet == 0 and verbose == 0)
    try:
        result = run(display)
    except SitegenError as exc:
        display.clear()
        click.echo(f"error: {exc}", err=True)
        sys.exit(EXIT_ERROR)
    display.clear()
    return result


def _exit_on_failures(
    config: Config, catalog: Catalog, failures: tuple[str, ...], strict: bool, what: str
) -> None:
    """Exit 1 when every registry failed (``what`` then holds only errors), or with
    ``--strict`` when anything did."""
    if config.registries and all(r.error for r in catalog.registries):
        click.echo(f"error: every registry failed; {what} holds only errors", err=True)
        sys.exit(EXIT_ERROR)
    if strict and failures:
        click.echo(f"error: --strict: {len(failures)} failures", err=True)
        sys.exit(EXIT_ERROR)


class _ProgressDisplay:
    """A live status line on a terminal; a plain log line every 10 s otherwise (CI logs)."""

    def __init__(self, live: bool) -> None:
        self.live = live
        self.interval = 0.2 if live else 10.0
        self._last = (time.monotonic(), 0)
        self._shown = False

    def __call__(self, progress: Progress, stats: Stats) -> None:
        now, sent = time.monotonic(), sum(stats.requests.values())
        then, before = self._last
        rate = (sent - before) / (now - then) if now > then else 0.0
        self._last = (now, sent)
        line = (
            f"registries {progress.registries_done}/{progress.registries_total} · "
            f"repositories {progress.repositories_done}/{progress.repositories_total} · "
            f"tags {progress.tags_done}/{progress.tags_total} · "
            f"{sent} requests ({rate:.0f}/s)"
        )
        if progress.failures:
            line += f" · {len(progress.failures)} failures"
        if self.live:
            sys.stderr.write(f"\r{line}\x1b[K")
            sys.stderr.flush()
            self._shown = True
        else:
            log.info("%s", line)

    def clear(self) -> None:
        """Remove the live line before normal output continues."""
        if self.live and self._shown:
            sys.stderr.write("\r\x1b[K")
            sys.stderr.flush()
            self._shown = False


@main.command("check")
@CONFIG_OPTION
@click.option("-v", "--verbose", count=True, help="More detail.")
def check_command(config_path: Path, verbose: int) -> None:
    """Validate the config, then ask each registry what we can see. Writes nothing."""
    _setup_logging(verbose, 1)
    config = _load(config_path)
    click.echo(f"{config_path}: valid ({len(config.registries)} registries)")
    try:
        ok, lines = asyncio.run(check_registries(config))
    except SitegenError as exc:  # an unreadable docker/podman auth file
        click.echo(f"error: {exc}", err=True)
        sys.exit(EXIT_ERROR)
    # Registry text (error messages) is masked like the log: CI output is often public.
    click.echo(_LOG_MASKER.text("\n".join(lines)))
    sys.exit(EXIT_OK if ok else EXIT_ERROR)


@main.command("serve")
@OUTPUT_OPTION
@click.option("--port", type=click.IntRange(0, 65535), default=8000, show_default=True)
def serve_command(output: Path, port: int) -> None:
    """Preview the built site on http://127.0.0.1:PORT/ (Ctrl-C stops)."""
    home = output / paths.PAGE_HTML
    if not home.is_file():
        click.echo(f"error: {home} not found; run sitegen build first", err=True)
        sys.exit(EXIT_ERROR)
    try:
        server = site_server(output, port)
    except OSError as exc:
        click.echo(f"error: cannot listen on 127.0.0.1:{port}: {exc.strerror}", err=True)
        sys.exit(EXIT_ERROR)
    host, bound = server.server_address[:2]
    click.echo(f"Serving {output}/ at http://{host!s}:{bound}/ (Ctrl-C to stop)")
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


def site_server(output: Path, port: int) -> http.server.ThreadingHTTPServer:
    """An HTTP server for the site in ``output`` on 127.0.0.1:``port`` (0: any free port),
    answering a missing path with the site's ``404.html``, as GitHub Pages does."""
    handler: Any = functools.partial(_SiteHandler, directory=str(output))
    return http.server.ThreadingHTTPServer(("127.0.0.1", port), handler)


class _SiteHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        log.debug(format, *args)

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        page = Path(str(self.directory)) / paths.NOT_FOUND_FILE
        if code != 404 or not page.is_file():
            super().send_error(code, message, explain)
            return
        body = page.read_bytes()
        self.send_response(404, message)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Connection", "close")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)


if __name__ == "__main__":  # pragma: no cover
    main()
