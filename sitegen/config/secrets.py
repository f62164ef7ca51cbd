"""The ``site`` keys that decide what the site masks: ``secret_env_patterns`` (env names
whose values are secret), ``show_secret_env`` (turns that off) and ``secret_shapes``
(which known secret shapes are looked for in every string). See ``sitegen.oci.masking``.
"""

from __future__ import annotations

import difflib

from sitegen.config.yamlreader import Field, Reader
from sitegen.oci.masking import DEFAULT_PATTERNS, SHAPE_NAMES, Masker
from sitegen.oci.patterns import PatternError

MASKING_HINT = "list patterns that match the names to mask instead"


def masker(r: Reader, keys: dict[str, Field]) -> Masker:
    """The masker the ``site`` keys ask for, every value checked with file:line:col."""
    patterns = DEFAULT_PATTERNS
    if "secret_env_patterns" in keys:
        # Matched case-insensitively against env names, as the masker will.
        found = r.regexes(
            keys["secret_env_patterns"], ignore_case=True, lookaround_hint=MASKING_HINT
        )
        patterns = tuple(p.pattern for p in found)
    show = r.boolean(keys["show_secret_env"]) if "show_secret_env" in keys else False
    shapes = SHAPE_NAMES
    if "secret_shapes" in keys:

        def known_shape(item: Field, value: str) -> None:
            if value not in SHAPE_NAMES:
                hint = difflib.get_close_matches(value, SHAPE_NAMES, n=1, cutoff=0.6)
                r.fail(
                    item,
                    f"unknown secret shape {value!r}; "
                    + (
                        f"did you mean {hint[0]!r}?"
                        if hint
                        else f"known shapes: {', '.join(SHAPE_NAMES)}"
                    ),
                )

        node = keys["secret_shapes"]
        shapes = () if r.is_empty_list(node) else tuple(r.strings(node, known_shape))
    try:
        made = Masker(patterns=patterns, env_names=not show, shapes=shapes)
    except PatternError as exc:  # each pattern passed: only all of them together fail
        r.fail(keys["secret_env_patterns"], f"the patterns together are {exc.problem}")
    return made
