"""Vendor listing APIs: a repository's tags WITH their digests, a page of 100 at a time.

``api.py`` detects the vendor and pages through its API with the session's transport
and credentials; ``common.py`` holds what the adapters share; ``harbor.py``, ``hub.py``,
``quay.py``, ``ghcr.py`` and ``acr.py`` build each vendor's URLs and parse its pages (pure). A
listing the API cannot vouch for raises ``Doubt``: the crawl then lists with
``tags/list`` and sends a HEAD per tag, as without an API. ``discovery.py`` lists a
registry's repositories through GitHub's, GitLab's (``gitlab.py``) or Docker Hub's API
where ``/v2/_catalog`` is refused.
"""

from sitegen.registry.vendors.api import VendorAPI, detect
from sitegen.registry.vendors.common import Doubt, ListedTag
from sitegen.registry.vendors.discovery import discover

__all__ = ["Doubt", "ListedTag", "VendorAPI", "detect", "discover"]
