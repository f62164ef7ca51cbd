"""``python -m bench``: see ``bench.run``.

Benchmarks that run on their own (bench/README.md describes each): ``bench.scale``,
``bench.profile``, ``bench.split``, ``bench.catalog_size``, ``bench.vendor`` (a warm
rebuild through a vendor listing API against a HEAD per tag), ``bench.packages`` (the
package index), ``bench.bases``, ``bench.stream``, ``bench.slots``, ``bench.tail``,
``bench.shards``, ``bench.network`` (httpx's transport against sitegen's) and
``bench.searchindex`` (Pagefind on digests whole and cut).
"""

import sys

from bench.run import main

sys.exit(main())
