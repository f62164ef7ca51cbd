"""What differs between two manifests: env, labels, entrypoint and command, layers,
history and size, per platform for multi-platform images. Pure functions."""

from __future__ import annotations

import difflib
from collections.abc import Mapping, Sequence

from sitegen.model import Image, Index, Manifest, platform_label
from sitegen.site.pages.history_shapes import (
    ImageDiff,
    ManifestDiff,
    MappingDiff,
    StepDiff,
    ValueDiff,
)


def images_by_platform(manifest: Manifest) -> dict[str, Image]:
    """``linux/amd64`` -> image; a single image under its own platform (or ``image``)."""
    if isinstance(manifest, Index):
        found: dict[str, Image] = {}
        for entry in manifest.entries:
            if entry.image is not None:
                found.setdefault(platform_label(entry.platform), entry.image)
        return found
    return {platform_label(manifest.platform) if manifest.platform else "image": manifest}


def compare(old: Manifest, new: Manifest) -> ManifestDiff:
    """The differences from ``old`` to ``new``, as plain data for a page and its JSON."""
    before, after = images_by_platform(old), images_by_platform(new)
    shared = [p for p in after if p in before]
    if not shared and len(before) == 1 and len(after) == 1:
        # A single image rebuilt for another platform: still compare the two.
        shared_pairs = [
            (next(iter(after)), next(iter(before.values())), next(iter(after.values())))
        ]
    else:
        shared_pairs = [(p, before[p], after[p]) for p in shared]
    return {
        "size": {"old": old.size, "new": new.size, "delta": new.size - old.size},
        "created": {"old": old.created, "new": new.created},
        "platforms_added": sorted(set(after) - set(before)),
        "platforms_removed": sorted(set(before) - set(after)),
        "platforms": [
            {"platform": platform, **compare_images(a, b)} for platform, a, b in shared_pairs
        ],
    }


def compare_images(old: Image, new: Image) -> ImageDiff:
    """Differences between two single-platform images."""
    old_config, new_config = old.config, new.config
    old_layers = [layer.digest for layer in old.layers]
    new_layers = [layer.digest for layer in new.layers]
    sizes = {layer.digest: layer.size for layer in (*old.layers, *new.layers)}
    return {
        "old_digest": old.digest,
        "new_digest": new.digest,
        "identical": old.digest == new.digest,
        "size": {"old": old.size, "new": new.size, "delta": new.size - old.size},
        "env": _mapping_diff(
            _env(old_config.env if old_config else ()), _env(new_config.env if new_config else ())
        ),
        "labels": _mapping_diff(
            old_config.labels if old_config else {}, new_config.labels if new_config else {}
        ),
        "entrypoint": _value_diff(
            old_config.entrypoint if old_config else None,
            new_config.entrypoint if new_config else None,
        ),
        "cmd": _value_diff(
            old_config.cmd if old_config else None, new_config.cmd if new_config else None
        ),
        "layers": {
            "shared": [{"digest": d, "size": sizes[d]} for d in old_layers if d in new_layers],
            "added": [{"digest": d, "size": sizes[d]} for d in new_layers if d not in old_layers],
            "removed": [{"digest": d, "size": sizes[d]} for d in old_layers if d not in new_layers],
        },
        "history": _history_diff(
            [s.created_by for s in old_config.history] if old_config else [],
            [s.created_by for s in new_config.history] if new_config else [],
        ),
    }


def _env(entries: Sequence[str]) -> dict[str, str]:
    return {name: value for name, _, value in (e.partition("=") for e in entries)}


def _mapping_diff(old: Mapping[str, str], new: Mapping[str, str]) -> MappingDiff:
    return {
        "added": {k: new[k] for k in sorted(new) if k not in old},
        "removed": {k: old[k] for k in sorted(old) if k not in new},
        "changed": {
            k: {"old": old[k], "new": new[k]} for k in sorted(old) if k in new and old[k] != new[k]
        },
        "unchanged": sum(1 for k in old if k in new and old[k] == new[k]),
    }


def _value_diff(old: Sequence[str] | None, new: Sequence[str] | None) -> ValueDiff:
    return {
        "old": None if old is None else list(old),
        "new": None if new is None else list(new),
        "changed": (None if old is None else list(old)) != (None if new is None else list(new)),
    }


def _history_diff(old: list[str], new: list[str]) -> list[StepDiff]:
    """Build steps aligned like a text diff: ``same``, ``added`` or ``removed`` per step."""
    steps: list[StepDiff] = []
    matcher = difflib.SequenceMatcher(a=old, b=new, autojunk=False)
    for op, a1, a2, b1, b2 in matcher.get_opcodes():
        if op == "equal":
            steps.extend({"op": "same", "step": s} for s in old[a1:a2])
            continue
        steps.extend({"op": "removed", "step": s} for s in old[a1:a2])
        steps.extend({"op": "added", "step": s} for s in new[b1:b2])
    return steps
