"""``python -m bench``: see ``bench.run``.

Benchmarks run on their own: ``python -m bench.scale``, ``python -m bench.profile``,
``python -m bench.catalog_size``, ``python -m bench.vendor`` (a warm rebuild through
a vendor listing API against a HEAD per tag) and ``python -m bench.packages`` (the
package index: 10,000 images x 300 packages); bench/README.md describes each.
"""

import sys

from bench.run import main

sys.exit(main())
