"""Hostile registry content: XSS payloads in every place a registry user controls.

Each payload, if it ever ran, would call ``pwn(id)``; the browser test defines ``pwn``
before any page script runs and fails when it is called. Payloads cover HTML, attribute,
URL, script-block and markdown contexts.
"""

from __future__ import annotations

from lab.images import Built, HistoryStep, image

PAYLOADS: tuple[str, ...] = (
    "<script>pwn('script')</script>",
    "<img src=x onerror=pwn('img')>",
    '"><svg onload=pwn("svg")>',
    "'><body onload=pwn('body')>",
    "javascript:pwn('url')",
    "JaVaScRiPt:pwn('url-case')",
    "data:text/html,<script>pwn('data')</script>",
    "</script><script>pwn('break-out')</script>",
    "</textarea><script>pwn('textarea')</script>",
    "<iframe src=\"javascript:pwn('iframe')\"></iframe>",
    "<a href=\"javascript:pwn('a')\">click</a>",
    "<div style=\"background:url(javascript:pwn('css'))\">x</div>",
    "<style>@import 'javascript:pwn(\"style\")';</style>",
    "https://example.com/\" onmouseover=\"pwn('attr')",
    "https://example.com/<script>pwn('url-script')</script>",
    "{{ pwn('jinja') }}{% raw %}",
    "${pwn('template')}",
    "\u2028\u2029<script>pwn('separators')</script>",
    "<details open ontoggle=pwn('details')>",
    "<math><mtext></mtext><mglyph><svg><mtext><style><img src=x onerror=pwn('mxss')></style>",
)

MARKDOWN_PAYLOAD = """# Hostile description <script>pwn('md-heading')</script>

[click me](javascript:pwn('md-link')) and
[data](data:text/html;base64,PHNjcmlwdD5wd24oKTwvc2NyaXB0Pg==)
![img](x" onerror="pwn('md-img'))

<img src=x onerror=pwn('md-raw-img')>
<iframe src="https://example.com"></iframe>
<style>body { display: none }</style>
<a href="https://example.com" onclick="pwn('md-onclick')">a link</a>
<form action="https://example.com"><input name=x></form>

A [safe link](https://example.com/docs) stays.
"""


def hostile_image(created: str = "2024-05-01T00:00:00Z") -> Built:
    """One image carrying every payload in labels, env, history and annotations."""
    labels = {f"org.example.payload.{n}": p for n, p in enumerate(PAYLOADS)}
    labels["org.opencontainers.image.source"] = "javascript:pwn('label-source')"
    labels["org.opencontainers.image.url"] = "https://example.com/\" onmouseover=\"pwn('src')"
    labels["org.opencontainers.image.description"] = PAYLOADS[1]
    labels[PAYLOADS[0]] = "payload as a label key"
    env = [f"PAYLOAD_{n}={p}" for n, p in enumerate(PAYLOADS)]
    history = [
        HistoryStep(created_by=f"/bin/sh -c #(nop) LABEL x={p}", empty_layer=True)
        for p in PAYLOADS[:6]
    ]
    history.append(HistoryStep(created_by=f"RUN echo {PAYLOADS[7]}"))
    return image(
        created=created,
        labels=labels,
        env=env,
        entrypoint=[PAYLOADS[0]],
        cmd=[PAYLOADS[2], PAYLOADS[4]],
        workdir=PAYLOADS[1],
        user=PAYLOADS[3],
        ports=["8080/tcp"],
        volumes=[PAYLOADS[0]],
        stop_signal=PAYLOADS[2],
        history=history,
        files=({"/payload": b"x"},),
        annotations={f"org.example.annotation.{n}": p for n, p in enumerate(PAYLOADS)},
        author=PAYLOADS[1],
    )
