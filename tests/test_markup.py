"""Descriptions rendered one after another: each is rendered as if it were the only one."""

from __future__ import annotations

from sitegen.site.markup import excerpt, render_markdown


def test_a_description_shows_nothing_of_the_one_before() -> None:
    first = render_markdown(
        "Uses the HTML API.[^1]\n\n[^1]: See the docs.\n\n*[HTML]: HyperText Markup Language"
    )
    assert "See the docs." in first and "HyperText Markup Language" in first
    second = render_markdown("Uses HTML too.")
    assert second == "<p>Uses HTML too.</p>"
    again = render_markdown("Uses the HTML API.[^1]\n\n[^1]: Other docs.")
    assert "Other docs." in again and "See the docs." not in again


def test_excerpts_are_the_first_paragraph_of_each_description() -> None:
    assert excerpt("# Name\n\nFirst *words*.\n\nMore.") == "First words."
    assert excerpt("Another [link](https://example.com) here.") == "Another link here."
