"""Hostile registry content never runs: a payload corpus in a real registry, every page
of the built site loaded in Chromium with a tripwire."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import html5lib
import pytest
from playwright.sync_api import Browser

from lab.images import index
from lab.payloads import MARKDOWN_PAYLOAD, PAYLOADS, hostile_image
from lab.registry import running_registry
from lab.website import serve_directory
from sitegen.site.render import NOT_FOUND_SCRIPT
from tests.helpers import run_cli, write_config

pytestmark = pytest.mark.browser

# Defined before any page script: a payload that runs calls pwn(), a dialog, or trips CSP.
TRIPWIRE = """
window.__pwned = [];
window.pwn = function (id) { window.__pwned.push("pwn:" + id); };
window.alert = window.confirm = window.prompt = function (m) { window.__pwned.push("dialog:" + m); };
document.addEventListener("securitypolicyviolation", function (e) {
  window.__pwned.push("csp:" + e.violatedDirective + " " + e.blockedURI);
});
"""
# After load: what a successful injection would have left in the DOM.
INSPECT = """(inline) => {
  const found = [];
  for (const el of document.querySelectorAll("*")) {
    for (const attr of el.attributes) {
      if (/^on/i.test(attr.name)) found.push(el.tagName + " " + attr.name);
      if (/^\\s*(javascript|data|vbscript):/i.test(attr.value) && /^(href|src|action|formaction)$/i.test(attr.name))
        found.push(el.tagName + " " + attr.name + "=" + attr.value.slice(0, 40));
    }
  }
  for (const s of document.scripts) {
    // Ours: site.js, a repository's _tags.js, the build's stamp, and the 404 page's one
    // inline script (exactly that text; its hash is all its CSP allows).
    if (s.src ? !/(static\\/site\\.js|_tags\\.js|api\\/stamp\\.js)$/.test(s.src) : s.textContent !== inline)
      found.push("script " + (s.src || s.textContent.slice(0, 40)));
  }
  for (const tag of ["iframe", "object", "embed", "form:not(.search-form)", "style", "base", "meta[http-equiv=refresh]"])
    for (const el of document.querySelectorAll("main " + tag)) found.push("element " + tag);
  return found.concat(window.__pwned || []);
}"""


@pytest.fixture(scope="module")
def hostile_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    work = tmp_path_factory.mktemp("hostile")
    with running_registry(work / "registry") as registry:
        pusher = registry.pusher()
        evil = hostile_image()
        pusher.push("evil/app", evil, ["latest", "1.0"])
        arm = hostile_image(created="2024-05-02T00:00:00Z")
        pusher.push("evil/multi", index([evil, arm], annotations={"x": PAYLOADS[0]}), ["2.0"])
        write_config(
            work,
            f"""
            site:
              title: "Catalog {PAYLOADS[1]}"
              description: |
{_indent(MARKDOWN_PAYLOAD, 16)}
            registries:
              - name: lab
                url: {registry.url}
                repositories:
                  - name: evil/app
                    description: |
{_indent(MARKDOWN_PAYLOAD, 22)}
                  - evil/multi
            """,
        )
        result = run_cli(["build"], work)
        assert result.exit_code == 0, result.output
    yield work / "site"


def _indent(text: str, spaces: int) -> str:
    return "\n".join(" " * spaces + line for line in text.splitlines())


@pytest.fixture(scope="module")
def served(hostile_site: Path) -> Iterator[str]:
    with serve_directory(hostile_site) as url:
        yield url


def test_no_payload_runs_on_any_page(hostile_site: Path, served: str, browser: Browser) -> None:
    pages = sorted(p.relative_to(hostile_site).as_posix() for p in hostile_site.rglob("*.html"))
    pages = [p for p in pages if not p.startswith("pagefind/")]
    pages.append("search/index.html?q=pwn")
    assert len(pages) > 10
    context = browser.new_context()
    context.add_init_script(TRIPWIRE)
    page = context.new_page()
    failures = {}
    for path in pages:
        page.goto(served + path)
        page.wait_for_load_state("networkidle")
        # Hover and click nothing: payloads would need attributes, which INSPECT finds.
        found = page.evaluate(INSPECT, NOT_FOUND_SCRIPT)
        if found:
            failures[path] = found
    context.close()
    assert failures == {}


def test_payload_text_is_shown_escaped(hostile_site: Path) -> None:
    page = (hostile_site / "lab/evil/app/_tags/latest/index.html").read_text()
    assert "&lt;script&gt;pwn(&#39;script&#39;)&lt;/script&gt;" in page
    assert "<script>pwn(" not in page
    # A javascript: value is shown as text, never as a link.
    assert 'href="javascript:' not in page.lower()
    assert "javascript:pwn(&#39;label-source&#39;)" in page


def test_markdown_description_is_sanitized(hostile_site: Path) -> None:
    page = (hostile_site / "lab/evil/app/index.html").read_text()
    section = page.split('<section class="prose description">')[1].split("</section>")[0]
    document = html5lib.parseFragment(section, namespaceHTMLElements=False)
    elements = list(document.iter())
    tags = {e.tag for e in elements if isinstance(e.tag, str)}
    assert not tags & {"script", "style", "iframe", "form", "input", "object", "embed"}
    for element in elements:
        for name, value in element.attrib.items():
            assert not name.lower().startswith("on"), (element.tag, name)
            if name in ("href", "src"):
                assert not value.strip().lower().startswith(("javascript:", "data:")), value
    links = [(e.get("href"), e.text) for e in elements if e.tag == "a"]
    assert ("https://example.com/docs", "safe link") in links


def test_data_files_cannot_break_out_of_their_script(hostile_site: Path) -> None:
    data = (hostile_site / "lab/evil/app/_tags.js").read_text()
    assert "</script" not in data.lower() and "<" not in data
