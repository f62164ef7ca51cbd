"""The crawl: config + one client -> the model. Failures are recorded, never raised.

``crawler.py`` runs the registries side by side within their time budgets,
``repository.py`` crawls one repository, ``loader.py`` builds its manifests (also
from the cache alone, for a registry that cannot be asked), ``context.py`` holds
what they share, ``cache.py`` the content-addressed store, ``state.py`` what earlier
builds knew, ``changes.py`` what changed since.
Imports ``config``, ``registry``, ``oci`` and the base modules; never ``site``.
"""

from sitegen.crawl.context import CrawlContext, Outcome, Progress
from sitegen.crawl.crawler import crawl, run

__all__ = ["CrawlContext", "Outcome", "Progress", "crawl", "run"]
