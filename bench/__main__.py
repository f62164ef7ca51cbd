"""``python -m bench``: see ``bench.run``.

Standalone measures, each against its budget (bench/README.md): ``python -m
bench.catalog_size`` (``api/catalog.json``) and ``python -m bench.packages`` (the package
index: 10,000 images x 300 packages)."""

import sys

from bench.run import main

sys.exit(main())
