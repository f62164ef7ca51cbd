"""The finished model -> the site: page data (``pages/``), where each page lives
(``paths``), the Jinja2 theme (``render``), sanitized markdown (``markup``), feeds,
the search index, diffs, parallel rendering (``workers``) and the staged, swapped output
(``output``, ``write``). Reads the model only: never imports ``registry`` or ``crawl``."""
