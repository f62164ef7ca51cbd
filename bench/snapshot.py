"""Save and load a crawled catalog (``sitegen.model.Catalog``) with pickle.

The model's read-only ``MappingProxyType`` fields cannot be pickled by default; they
are stored as plain dicts and wrapped again on load. This lives in its own module so
the reducer has an importable name however the benchmark's steps are started.
"""

from __future__ import annotations

import copyreg
import pickle
import types
from pathlib import Path
from typing import Any

from sitegen.model import Catalog


def mapping_proxy(items: dict[Any, Any]) -> types.MappingProxyType[Any, Any]:
    """A read-only view of ``items`` (what the model holds)."""
    return types.MappingProxyType(items)


copyreg.pickle(types.MappingProxyType, lambda proxy: (mapping_proxy, (dict(proxy),)))


def save(catalog: Catalog, path: Path) -> None:
    """Write ``catalog`` to ``path``."""
    with path.open("wb") as handle:
        pickle.dump(catalog, handle, protocol=pickle.HIGHEST_PROTOCOL)


def load(path: Path) -> Catalog:
    """Read a catalog written by :func:`save` (trusted input: our own file)."""
    with path.open("rb") as handle:
        catalog = pickle.load(handle)
    assert isinstance(catalog, Catalog)
    return catalog
