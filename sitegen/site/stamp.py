"""``api/stamp.js``: when the catalog was built, the one file that changes with every build.

Every page loads it (``<script src>``, which works from disk too, where ``fetch()`` does
not) and ``static/site.js`` fills in "Catalog built <time>", warns when the catalog is
older than ``site.stale_after``, and shows each registry's last successful crawl on the
health page. The pages themselves hold no build time, so a rebuild with nothing changed
rewrites no page: only this file.

The file is one line of JavaScript, ``window.sitegenStamp = {...};``, whose object is
JSON (``docs/json.md``): a script reads it by cutting at the first ``{`` and the last
``}``.
"""

from __future__ import annotations

import json

from sitegen.model import Catalog
from sitegen.site.pages.history_shapes import StampDocument
from sitegen.site.pages.page import SCHEMA_VERSION

PREFIX = "window.sitegenStamp = "


def stamp_document(catalog: Catalog, stale_after: float) -> StampDocument:
    """The stamp's data: the build time, the warning age and each registry's last success."""
    return {
        "schema": SCHEMA_VERSION,
        "built": catalog.built,
        "stale_after": round(stale_after),
        "registries": [
            {
                "name": registry.name,
                "status": registry.status,
                "last_success": registry.last_success,
                "seconds": registry.last_success_seconds,
            }
            for registry in catalog.registries
        ],
    }


def stamp_script(catalog: Catalog, stale_after: float) -> str:
    """The text of ``api/stamp.js``: ASCII JSON, so no character can end the statement."""
    document = json.dumps(stamp_document(catalog, stale_after), sort_keys=True, ensure_ascii=True)
    return f"{PREFIX}{document};\n"
