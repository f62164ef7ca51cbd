"""``Link`` header pagination (RFC 8288) for ``_catalog``, ``tags/list`` and referrers.

docs/protocol.md item 22: follow ``Link: <...>; rel="next"`` exactly as given - relative URLs
resolve against the request URL, opaque cursors (Quay's ``next_page``), extra empty
parameters (ACR's ``orderby=``) and percent-encoded slashes (Fedora's ``last=f35%2F...``)
are kept verbatim. We never rebuild ``last=`` ourselves.
"""

from __future__ import annotations

from urllib.parse import urljoin

DEFAULT_PAGE_SIZE = 100  # Quay answers 413 above 100; ECR errors above 1000


def parse_link_header(value: str) -> list[tuple[str, dict[str, str]]]:
    """Split a ``Link`` header into (target, params) pairs.

    Commas inside ``<...>`` or quoted strings do not split links.
    """
    links: list[tuple[str, dict[str, str]]] = []
    pos, length = 0, len(value)
    while pos < length:
        start = value.find("<", pos)
        if start < 0:
            break
        end = value.find(">", start + 1)
        if end < 0:
            break
        target = value[start + 1 : end].strip()
        pos = end + 1
        params: dict[str, str] = {}
        # Parameters run until a comma outside quotes.
        while pos < length:
            while pos < length and value[pos] in " \t":
                pos += 1
            if pos >= length or value[pos] == ",":
                pos += 1
                break
            if value[pos] != ";":
                pos += 1
                continue
            pos += 1
            name_end = pos
            while name_end < length and value[name_end] not in "=;,":
                name_end += 1
            name = value[pos:name_end].strip().lower()
            pos = name_end
            param_value = ""
            if pos < length and value[pos] == "=":
                pos += 1
                while pos < length and value[pos] in " \t":
                    pos += 1
                if pos < length and value[pos] == '"':
                    close = value.find('"', pos + 1)
                    close = length if close < 0 else close
                    param_value = value[pos + 1 : close]
                    pos = close + 1
                else:
                    value_end = pos
                    while value_end < length and value[value_end] not in ";,":
                        value_end += 1
                    param_value = value[pos:value_end].strip()
                    pos = value_end
            if name:
                params.setdefault(name, param_value)
        links.append((target, params))
    return links


def next_link(headers: list[str], request_url: str) -> str | None:
    """The absolute URL of the ``rel="next"`` link among ``headers``, if any."""
    for header in headers:
        for target, params in parse_link_header(header):
            if "next" in params.get("rel", "").lower().split():
                return urljoin(request_url, target)
    return None
