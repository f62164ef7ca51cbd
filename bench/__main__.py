"""``python -m bench``: see ``bench.run``.

Benchmarks run on their own: ``python -m bench.scale``, ``python -m bench.profile``,
``python -m bench.catalog_size`` and ``python -m bench.vendor`` (a warm rebuild through
a vendor listing API against a HEAD per tag); bench/README.md describes each.
"""

import sys

from bench.run import main

sys.exit(main())
