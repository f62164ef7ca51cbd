"""One pure data builder per kind of page: the data is both the template's context
and the ``index.json`` beside the page. ``catalog`` (home, search, registry,
repository, tag lists), ``manifest`` (tag and digest pages), ``history`` (changes,
diffs, health); ``page`` holds the ``Page`` they all return."""
