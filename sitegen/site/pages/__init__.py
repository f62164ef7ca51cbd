"""One pure data builder per kind of page: the data is both the template's context
and the ``index.json`` beside the page. ``catalog`` (home, search, registry, and which
pages the site has), ``repository`` (tag lists, the platform matrix), ``manifest`` and
``image`` (tag and digest pages), ``history`` (changes, diffs, health); ``shapes`` and
``history_shapes`` declare the data's shape, ``views`` what templates show of it in
another form, and ``page`` holds the ``Page`` they all return."""
