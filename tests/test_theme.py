"""A theme replaces templates by name, the partials that are drawn once per manifest too:
what such a partial shows is right on every page, because it is given exactly what it
may show (docs/site.md, Theming)."""

from __future__ import annotations

import json
from pathlib import Path

import jinja2
import pytest

from lab.fakeregistry import from_samples
from sitegen.build import build
from sitegen.config import load_config
from sitegen.site import paths
from tests.helpers import write_config

REGISTRIES = ("one", "two")  # the same images in both: equal manifests in two places


def build_with_theme(tmp_path: Path, templates: dict[str, str]) -> Path:
    theme = tmp_path / "theme"
    for name, text in templates.items():
        (theme / name).parent.mkdir(parents=True, exist_ok=True)
        (theme / name).write_text(text)
    registries = "".join(
        f"  - name: {name}\n    url: https://registry.test\n" for name in REGISTRIES
    )
    config = write_config(tmp_path, f"site:\n  theme_dir: theme\nregistries:\n{registries}")
    build(
        load_config(config, environ={}),
        tmp_path / "site",
        cache_dir=None,
        transport=from_samples().transport,
    )
    return tmp_path / "site"


def manifest_pages(site: Path) -> list[tuple[Path, dict[str, object]]]:
    """(HTML file, data) of every tag and digest page."""
    found = []
    for document in sorted(site.rglob(paths.PAGE_JSON)):
        data = json.loads(document.read_text())
        if data["kind"] in ("tag", "digest"):
            found.append((document.parent / paths.PAGE_HTML, data))
    return found


def test_a_themes_manifest_partials_show_each_pages_own_manifest(tmp_path: Path) -> None:
    site = build_with_theme(
        tmp_path,
        {
            "_partials/manifest_body.html": (
                '<p class="body">{{ data.registry }}/{{ data.repository }}@{{ data.digest }}'
                ' <a href="{{ data.digest_path|href }}">permalink</a></p>\n'
                "{% if data.image %}{{ image_section(data.image, view.image) }}{% endif %}\n"
            ),
            "_partials/image.html": (
                '<p class="image">{{ image.digest }}: {{ view.env|length }} variables</p>\n'
            ),
        },
    )
    pages = manifest_pages(site)
    assert len(pages) > 20
    for html_file, data in pages:
        html = html_file.read_text()
        where = f"{data['registry']}/{data['repository']}@{data['digest']}"
        assert f'<p class="body">{where} ' in html, html_file
        # The link is relative to this page, wherever it is.
        target = html_file.parent / html.split('">permalink')[0].rsplit('href="', 1)[1]
        assert target.resolve() == (site / str(data["digest_path"]) / paths.PAGE_HTML).resolve()
        image = data["image"]
        if isinstance(image, dict):
            config = image["config"]
            count = len(config["env"]) if isinstance(config, dict) else 0
            assert f'<p class="image">{data["digest"]}: {count} variables</p>' in html


@pytest.mark.parametrize("name", ["tag", "kind", "aliases", "path"])
def test_a_themes_manifest_body_cannot_show_one_pages_values_on_another(
    tmp_path: Path, name: str
) -> None:
    """The partial is drawn once for every page of a manifest: a value that differs from
    one of those pages to another is not given to it, and using one fails the build
    (rather than showing the first page's value on all of them)."""
    with pytest.raises(jinja2.UndefinedError, match=name):
        build_with_theme(tmp_path, {"_partials/manifest_body.html": f"{{{{ data.{name} }}}}"})


def test_a_theme_template_that_does_not_compile_fails_only_where_it_is_used(
    tmp_path: Path,
) -> None:
    # Templates are loaded during the crawl: one no page uses is never an error.
    site = build_with_theme(tmp_path / "unused", {"notes.html": "{% if %}"})
    assert (site / paths.PAGE_HTML).is_file()
    with pytest.raises(jinja2.TemplateSyntaxError) as raised:
        build_with_theme(tmp_path / "used", {"404.html": "{% for x in %}"})
    assert raised.value.name == "404.html"
