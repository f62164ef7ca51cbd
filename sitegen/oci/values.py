"""Values taken out of parsed registry documents: each only when it has the type a
reader expects (anything else reads as empty, never as an exception), and text cut to
a length. What the document readers of ``sitegen.oci`` share."""

from __future__ import annotations

from typing import Any


def as_text(value: Any) -> str:
    """``value`` when it is a string, else ``""``."""
    return value if isinstance(value, str) else ""


def as_dict(value: Any) -> dict[str, Any]:
    """``value`` when it is a JSON object, else ``{}``."""
    return value if isinstance(value, dict) else {}


def as_list(value: Any) -> list[Any]:
    """``value`` when it is a JSON array, else ``[]``."""
    return value if isinstance(value, list) else []


def cut(value: str, limit: int) -> str:
    """``value``, at most ``limit`` characters long: an ellipsis ends a cut one."""
    return value if len(value) <= limit else value[: limit - 1] + "…"
