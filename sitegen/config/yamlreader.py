"""Read YAML into checked Python values while remembering where every value came from.

``yaml.safe_load`` forgets line numbers. We compose the node graph instead and walk it
with a :class:`Reader`, so every error says ``file:line:column: key.path: problem``
(the shape mkdocs and ruff use), and unknown keys get a "did you mean" hint.
"""

from __future__ import annotations

import difflib
import os
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import NoReturn

import yaml

from sitegen.errors import ConfigError
from sitegen.oci.patterns import Pattern, PatternError, quoted

_ENV_RE = re.compile(r"\$(?:\$|\{([^}]*)\}|\{)")
_ENV_NAME_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_DURATION_RE = re.compile(r"([0-9]+(?:\.[0-9]+)?) ?([smhd]?)")
_DURATION_UNITS = {"s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0}
_TRUE = frozenset({"true", "yes", "on"})
_FALSE = frozenset({"false", "no", "off"})


@dataclass(frozen=True, slots=True)
class Field:
    """A located YAML value: its node plus the dotted key path leading to it."""

    node: yaml.Node
    path: str


class Reader:
    """Typed accessors over a composed YAML document; every failure is a ``ConfigError``."""

    def __init__(self, display_name: str, environ: Mapping[str, str] | None = None) -> None:
        self.display_name = display_name
        self.environ = os.environ if environ is None else environ

    def load(self, text: str) -> Field:
        """Compose ``text``; a syntax error becomes a located ``ConfigError``."""
        try:
            node = yaml.compose(text, Loader=yaml.SafeLoader)
        except yaml.MarkedYAMLError as exc:
            mark = exc.problem_mark or exc.context_mark
            problem = exc.problem or exc.context or "invalid YAML"
            raise ConfigError(
                f"invalid YAML: {problem}",
                file=self.display_name,
                line=mark.line + 1 if mark else 0,
                column=mark.column + 1 if mark else 0,
            ) from None
        except yaml.YAMLError as exc:  # pragma: no cover - every PyYAML error is marked
            raise ConfigError(f"invalid YAML: {exc}", file=self.display_name) from None
        if node is None:
            node = yaml.MappingNode("tag:yaml.org,2002:map", [])
        return Field(node, "")

    # -- failures ---------------------------------------------------------------------

    def fail(self, field: Field, message: str) -> NoReturn:
        """Raise a ``ConfigError`` located at ``field``."""
        mark = field.node.start_mark
        raise ConfigError(
            message,
            file=self.display_name,
            line=mark.line + 1 if mark else 0,
            column=mark.column + 1 if mark else 0,
            key=field.path,
        )

    # -- structure --------------------------------------------------------------------

    def mapping(
        self,
        field: Field,
        known: Sequence[str],
        required: Sequence[str] = (),
    ) -> dict[str, Field]:
        """The mapping at ``field`` as key -> located value, rejecting unknown keys."""
        if not isinstance(field.node, yaml.MappingNode):
            self.fail(field, f"expected a mapping with keys {_quoted(known)}, got {_kind(field)}")
        result: dict[str, Field] = {}
        for key_node, value_node in field.node.value:
            key_field = Field(key_node, field.path)
            if not isinstance(key_node, yaml.ScalarNode):
                self.fail(key_field, "keys must be plain strings")
            key = str(key_node.value)
            path = f"{field.path}.{key}" if field.path else key
            if key not in known:
                hint = difflib.get_close_matches(key, known, n=1, cutoff=0.6)
                suffix = (
                    f"; did you mean {hint[0]!r}?" if hint else f"; known keys: {_quoted(known)}"
                )
                self.fail(Field(key_node, path), f"unknown key {key!r}{suffix}")
            if key in result:
                self.fail(Field(key_node, path), f"duplicate key {key!r}")
            result[key] = Field(value_node, path)
        for key in required:
            if key not in result:
                self.fail(field, f"missing required key {key!r}")
        return result

    def sequence(self, field: Field) -> Iterator[Field]:
        """The items of the sequence at ``field``, each with an indexed path."""
        if not isinstance(field.node, yaml.SequenceNode):
            self.fail(field, f"expected a list, got {_kind(field)}")
        for index, item in enumerate(field.node.value):
            yield Field(item, f"{field.path}[{index}]")

    def is_mapping(self, field: Field) -> bool:
        """True when the value at ``field`` is a mapping."""
        return isinstance(field.node, yaml.MappingNode)

    def is_empty_list(self, field: Field) -> bool:
        """True for ``[]``."""
        return isinstance(field.node, yaml.SequenceNode) and not field.node.value

    # -- scalars ----------------------------------------------------------------------

    def string(self, field: Field, *, expand: bool = True, allow_empty: bool = False) -> str:
        """A string; ``${VAR}`` / ``${VAR:-default}`` expand from the environment."""
        node = field.node
        if not isinstance(node, yaml.ScalarNode) or (node.tag.endswith(":null") and not node.style):
            self.fail(field, f"expected a string, got {_kind(field)}")
        # The raw scalar text keeps what the user wrote: `password: 0123` stays "0123".
        value = str(node.value)
        if expand:
            value = self._expand(field, value)
        if not value and not allow_empty:
            self.fail(field, "must not be empty")
        return value

    def integer(
        self, field: Field, *, minimum: int | None = None, maximum: int | None = None
    ) -> int:
        """An integer within the given bounds."""
        node = field.node
        if not isinstance(node, yaml.ScalarNode) or not node.tag.endswith(":int"):
            self.fail(field, f"expected an integer, got {_kind(field)}")
        try:
            value = int(str(node.value).replace("_", ""), 0)
        except ValueError:
            self.fail(field, f"expected an integer, got {node.value!r}")
        _check_range(self, field, value, minimum, maximum)
        return value

    def number(
        self, field: Field, *, minimum: float | None = None, maximum: float | None = None
    ) -> float:
        """A number (integer or float) within the given bounds."""
        node = field.node
        if not isinstance(node, yaml.ScalarNode) or not node.tag.endswith((":int", ":float")):
            self.fail(field, f"expected a number, got {_kind(field)}")
        try:
            value = float(str(node.value).replace("_", ""))
        except ValueError:
            self.fail(field, f"expected a number, got {node.value!r}")
        _check_range(self, field, value, minimum, maximum)
        return value

    def duration(self, field: Field, *, minimum: float, maximum: float) -> float:
        """Seconds: a number, or a number with ``s``, ``m``, ``h`` or ``d`` (``48h``)."""
        node = field.node
        if isinstance(node, yaml.ScalarNode) and node.tag.endswith((":int", ":float")):
            return self.number(field, minimum=minimum, maximum=maximum)
        text = str(node.value).strip() if isinstance(node, yaml.ScalarNode) else ""
        match = _DURATION_RE.fullmatch(text)
        if not match:
            self.fail(field, f"expected a duration such as 90m, 48h or 7d, got {_kind(field)}")
        value = float(match[1]) * _DURATION_UNITS[match[2] or "s"]
        if not minimum <= value <= maximum:
            self.fail(
                field,
                f"must be between {minimum:.0f} and {maximum:.0f} seconds, got {value:g} ({text})",
            )
        return value

    def boolean(self, field: Field) -> bool:
        """``true`` / ``false`` (YAML 1.1 spellings accepted)."""
        node = field.node
        text = str(node.value).lower() if isinstance(node, yaml.ScalarNode) else ""
        if isinstance(node, yaml.ScalarNode) and node.tag.endswith(":bool"):
            if text in _TRUE:
                return True
            if text in _FALSE:
                return False
        self.fail(field, f"expected true or false, got {_kind(field)}")

    def regex(
        self, field: Field, *, ignore_case: bool = False, lookaround_hint: str = ""
    ) -> Pattern:
        """A regular expression, checked and compiled for linear-time matching.

        Anything the engine cannot run (``sitegen.oci.patterns``) is an error at the value;
        ``lookaround_hint`` says what to use instead of lookaround where the value is.
        """
        text = self.string(field)
        try:
            return Pattern(text, ignore_case)
        except PatternError as exc:
            raw = str(field.node.value)
            # When the pattern came (in part) from the environment, say from where.
            origin = f" (expanded from {quoted(raw)})" if raw != text else ""
            hint = f"; {lookaround_hint}" if exc.lookaround and lookaround_hint else ""
            self.fail(
                field, f"invalid regular expression {quoted(text)}{origin}: {exc.problem}{hint}"
            )

    def regexes(
        self, field: Field, *, ignore_case: bool = False, lookaround_hint: str = ""
    ) -> list[Pattern]:
        """A regular expression or a list of them, each checked as ``regex`` does."""
        items = [field] if isinstance(field.node, yaml.ScalarNode) else list(self.sequence(field))
        return [
            self.regex(item, ignore_case=ignore_case, lookaround_hint=lookaround_hint)
            for item in items
        ]

    def strings(self, field: Field, check: Callable[[Field, str], None] | None = None) -> list[str]:
        """A string or a list of strings, each optionally checked."""
        items = [field] if isinstance(field.node, yaml.ScalarNode) else list(self.sequence(field))
        values = []
        for item in items:
            value = self.string(item)
            if check:
                check(item, value)
            values.append(value)
        return values

    def _expand(self, field: Field, value: str) -> str:
        def replace(match: re.Match[str]) -> str:
            if match.group(0) == "$$":
                return "$"
            body = match.group(1)
            if body is None:
                self.fail(field, "unterminated '${' (write '$$' for a literal '$')")
            name, sep, default = body.partition(":-")
            if not _ENV_NAME_RE.fullmatch(name):
                self.fail(field, f"invalid environment variable reference '${{{body}}}'")
            # ${VAR:-default} also applies the default when VAR is set but empty.
            if name in self.environ and (self.environ[name] or not sep):
                return self.environ[name]
            if sep:
                return default
            self.fail(field, f"environment variable {name} is not set")

        return _ENV_RE.sub(replace, value)


def _check_range(
    reader: Reader, field: Field, value: float, minimum: float | None, maximum: float | None
) -> None:
    if minimum is not None and value < minimum:
        reader.fail(field, f"must be at least {minimum:g}, got {value:g}")
    if maximum is not None and value > maximum:
        reader.fail(field, f"must be at most {maximum:g}, got {value:g}")


def _kind(field: Field) -> str:
    node = field.node
    if isinstance(node, yaml.MappingNode):
        return "a mapping"
    if isinstance(node, yaml.SequenceNode):
        return "a list"
    tag = node.tag.rsplit(":", 1)[-1]
    if tag == "null":
        return "nothing (null)"
    if tag == "str":
        return f"the string {node.value!r}"
    return f"{tag} {node.value!r}"


def _quoted(keys: Sequence[str]) -> str:
    return ", ".join(repr(k) for k in keys)
