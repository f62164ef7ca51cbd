"""Regular expressions from the config, matched against registry data in linear time.

Tag filters (``tags.include`` / ``tags.exclude``) and ``site.secret_env_patterns`` are
written by the user but run against text the registry controls: tags, and the names of
image environment variables (which can be megabytes long). Python's ``re`` backtracks:
``^(\\d+\\.?)+$`` against the tag ``1111111111111111111111111111111x`` doubles its work
with every digit and holds a nightly build for hours. So these patterns run on RE2
(the ``google-re2`` package), whose time grows linearly with the text, whatever the
pattern and whatever the text.

The syntax is RE2's, which for the patterns people write is the same as ``re``'s.
What RE2 cannot do, or would read differently from ``re`` (the documented syntax until
now), is refused when the config is loaded, with a message that says what to write
instead (``docs/configuration.md``, "Regular expressions", lists it all):

- lookahead, lookbehind and backreferences: RE2 has none (that is what keeps it
  linear); atomic groups and possessive quantifiers: RE2 never backtracks, so they are
  not needed;
- repeat counts above 1000, RE2's limit (nested counts multiplied), and the braces
  ``re`` reads as a repeat but RE2 as literal text: ``{,n}``, counts with leading zeros
  and counts of 100,000,000 and more. ``re`` itself raises ``OverflowError`` (not
  ``re.error``) for ``a{4294967296}``;
- ``\\Z``, Python's ``\\u``, ``\\U`` and ``\\N{...}`` escapes, ``(?#...)`` comments,
  conditionals, inline flags other than ``i``, ``m``, ``s`` and ``U``, and a ``\\Q``
  without its ``\\E``;
- patterns that compile to more than ``MAX_PROGRAM`` instructions, and lists (such as
  ``secret_env_patterns``) to more than ``MAX_LIST_PROGRAM`` together. RE2's time is
  linear in the text, times a factor that can grow with the program: ordinary patterns
  match a megabyte in milliseconds, while the worst patterns under the cap (such as
  ``(.*a){180}``) take up to a millisecond per 128-character tag and some tens of
  seconds per megabyte. The cap leaves room for any pattern seen in practice (tens of
  instructions).

Text is matched as UTF-8 bytes, lone surrogates included (a JSON config may hold
``"\\ud800"``): RE2 reads one as a single character that no letter, digit or space
matches, as ``re`` does, and nothing a registry sends makes matching raise.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import re2

MAX_REPEAT = 1000  # RE2's kMaxRepeat: the largest {n}, also for nested repeats multiplied
MAX_PROGRAM = 2000  # instructions: a{1000} fits; realistic patterns compile to fewer than 150
MAX_LIST_PROGRAM = 20_000  # a list together (any_of): hundreds of names to mask
_RE2_FLAGS = frozenset("imsU")
# A brace that ``re`` reads as a repeat: {n}, {n,}, {n,m}, and also {,m} and {,}.
_BRACES = re.compile(r"\{(\d*)(,(\d*))?\}")
_OCTAL = re.compile(r"\\[0-3][0-7]{2}")  # \101: a character code in both re and RE2
_LOOKAROUND = (
    ("<=", "lookbehind '(?<='"),
    ("<!", "negative lookbehind '(?<!'"),
    ("=", "lookahead '(?='"),
    ("!", "negative lookahead '(?!'"),
)


class PatternError(ValueError):
    """A pattern that cannot be used: ``problem`` says why and what to write instead.

    ``lookaround`` is true when the pattern used lookahead or lookbehind, so that the
    caller can add a hint that fits where the pattern came from (``tags.exclude``).
    """

    def __init__(self, pattern: str, problem: str, *, lookaround: bool = False) -> None:
        super().__init__(f"invalid regular expression {quoted(pattern)}: {problem}")
        self.pattern = pattern
        self.problem = problem
        self.lookaround = lookaround


@dataclass(frozen=True, slots=True)
class Pattern:
    """A checked, compiled regular expression that finds matches in linear time.

    Construction raises ``PatternError`` for anything RE2 cannot run, or would read
    differently from Python's ``re``. Two patterns are equal when their text and case
    handling are.
    """

    pattern: str
    ignore_case: bool = False
    max_program: int | None = field(default=MAX_PROGRAM, repr=False, compare=False)
    _program: Any = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        program = _compile(self.pattern, self.ignore_case, self.max_program)
        object.__setattr__(self, "_program", program)

    def search(self, text: str) -> bool:
        """Whether the pattern matches anywhere in ``text`` (like ``re.search``)."""
        return self._program.search(encode(text)) is not None


def any_of(patterns: Sequence[str], *, ignore_case: bool = False) -> Pattern:
    """One pattern that matches where any of ``patterns`` does.

    Each is checked on its own, so that an error names the one at fault; then the
    whole, which may be too large (``MAX_LIST_PROGRAM``) even when no part is.
    """
    for pattern in patterns:
        Pattern(pattern, ignore_case)
    # RE2 scopes an inline flag such as (?i) to its group, so one pattern's flags do
    # not leak into the next.
    joined = "|".join(f"(?:{p})" for p in patterns)
    advice = "use fewer or smaller patterns"
    try:
        combined = Pattern(joined, ignore_case, max_program=None)
    except PatternError:  # each part compiled alone: only RE2's memory limit is left
        raise PatternError(joined, _too_large(None, None, advice)) from None
    size = combined._program.programsize
    if size > MAX_LIST_PROGRAM:
        raise PatternError(joined, _too_large(size, MAX_LIST_PROGRAM, advice))
    return combined


def quoted(pattern: str) -> str:
    """``pattern`` in quotes as written in YAML: backslashes not doubled, unless the
    pattern holds a quote or an unprintable character (then ``repr``)."""
    return f"'{pattern}'" if pattern.isprintable() and "'" not in pattern else repr(pattern)


def encode(text: str) -> bytes:
    """``text`` as UTF-8 for RE2, a lone surrogate included (RE2 reads it as one
    character, which no letter, digit or space matches)."""
    return text.encode("utf-8", "surrogatepass")


def _compile(pattern: str, ignore_case: bool, max_program: int | None) -> Any:
    _check(pattern)
    try:
        source = pattern.encode("utf-8")
    except UnicodeEncodeError:
        raise PatternError(pattern, "it contains a lone surrogate, which is not text") from None
    options = re2.Options()
    options.log_errors = False  # RE2 would print every refused pattern on stderr
    options.case_sensitive = not ignore_case
    try:
        program = re2.compile(source, options)
    except re2.error as exc:
        raise PatternError(pattern, _explain(exc)) from None
    if max_program is not None and program.programsize > max_program:
        raise PatternError(pattern, _too_large(program.programsize, max_program))
    return program


def _explain(exc: Exception) -> str:
    """What is wrong with a pattern RE2 refused and ``_check`` let through."""
    detail = exc.args[0] if exc.args else ""
    text = detail.decode("utf-8", "replace") if isinstance(detail, bytes) else str(detail)
    code, _, where = text.partition(": ")
    if code == "invalid repetition size":
        # _check refused every single count above the limit: this is a product.
        return (
            f"the repeat {where} multiplies the repeats inside it to more than "
            f"{MAX_REPEAT}, the most supported; use smaller counts, or + or * for "
            "'any number'"
        )
    if code.startswith("pattern too large"):
        return _too_large(None, None)
    return f"{code} at {quoted(where)}" if where else code


def _too_large(size: int | None, limit: int | None, advice: str = "") -> str:
    compiled = f" ({size} instructions, more than {limit})" if size else ""
    advice = advice or (
        "use smaller repeat counts (a repeat copies what it repeats, and '.' is up to 8 "
        "instructions)"
    )
    return f"too large{compiled}, which would make every match slow; {advice}"


_NO_BACKTRACKING = "patterns run in linear time, which rules it out"


def _check(pattern: str) -> None:
    """Refuse what RE2 lacks or reads differently from ``re``, naming the construct.

    Walks the pattern as RE2 parses it: escapes, character classes (inside which
    nothing is an operator) and ``\\Q...\\E`` literal text are stepped over whole.
    """
    i, end = 0, len(pattern)
    while i < end:
        char = pattern[i]
        if char == "\\":
            if pattern.startswith("\\Q", i):
                close = pattern.find("\\E", i + 2)
                if close < 0:
                    # RE2 would run the literal text to the end, and swallow the ) that
                    # any_of puts after it.
                    raise PatternError(pattern, "'\\Q' needs a closing '\\E'")
                i = close + 2
                continue
            _check_escape(pattern, i)
            i += 2
            if pattern[i - 1] in "xpP" and pattern.startswith("{", i):
                # \x{2014}, \p{Greek}: the braces belong to the escape; they are no repeat
                close = pattern.find("}", i)
                i = end if close < 0 else close + 1
            continue
        if char == "[":
            i = _class_end(pattern, i)
            continue
        if char == "(" and pattern.startswith("?", i + 1):
            _check_group(pattern, i)
            i += 2  # the ? of (? is not a quantifier
            continue
        if char == "{":
            _check_braces(pattern, i)
        elif char in "*+?" and pattern.startswith("+", i + 1):
            _refuse_possessive(pattern, char + "+")
        i += 1


def _check_escape(pattern: str, i: int) -> None:
    """Refuse the escapes at ``i`` that RE2 lacks: backreferences, \\Z, \\u, \\U, \\N."""
    letter = pattern[i + 1 : i + 2]
    if letter and letter in "123456789" and not _OCTAL.match(pattern, i):
        # re reads up to two digits as a group number
        reference = pattern[i : i + 3] if pattern[i + 2 : i + 3].isdigit() else pattern[i : i + 2]
        raise PatternError(
            pattern, f"backreference '{reference}' is not supported ({_NO_BACKTRACKING})"
        )
    if letter == "Z":
        raise PatternError(
            pattern,
            "'\\Z' is not supported; write '$', which here matches only at the very end "
            "as '\\Z' does (or '\\z')",
        )
    if letter in ("u", "U", "N"):
        raise PatternError(
            pattern,
            f"Python's '\\{letter}' escape is not supported; write the character itself, "
            "or '\\x{...}' with its code in hex",
        )


def _check_group(pattern: str, i: int) -> None:
    """Refuse the ``(?...)`` forms RE2 lacks; ``i`` is the index of the ``(``."""
    rest = pattern[i + 2 : i + 4]
    for opener, name in _LOOKAROUND:
        if rest.startswith(opener):
            raise PatternError(
                pattern, f"{name} is not supported ({_NO_BACKTRACKING})", lookaround=True
            )
    refused = {
        "P=": f"backreference '(?P=' is not supported ({_NO_BACKTRACKING})",
        ">": "atomic group '(?>' is not supported, nor needed: matching never backtracks; "
        "write '(?:' instead",
        "#": "comment '(?#' is not supported",
        "(": "conditional group '(?(' is not supported",
    }
    for opener, problem in refused.items():
        if rest.startswith(opener):
            raise PatternError(pattern, problem)
    # Inline flags: (?i), (?-s), (?im:...). Named groups, (?: and the rest go to RE2.
    flags = re.match(r"[A-Za-z-]*(?=[:)])", pattern[i + 2 :])
    unknown = sorted(set(flags.group(0)) - _RE2_FLAGS - {"-"}) if flags else []
    if unknown:
        raise PatternError(
            pattern,
            f"inline flag {', '.join(map(repr, unknown))} is not supported; the flags are "
            "i (ignore case), m (multi-line), s (. matches newline) and U (ungreedy)",
        )


def _check_braces(pattern: str, i: int) -> None:
    """Refuse braces at ``i`` that ``re`` reads as a repeat and RE2 would not, or not
    the same: RE2 reads {,n}, leading zeros and counts of 100,000,000 and more as
    literal text."""
    match = _BRACES.match(pattern, i)
    if not match or match.group(0) == "{}":
        return  # literal text for both
    text, low, comma, high = match.group(0, 1, 2, 3)
    for count in (low, high):
        if count and _count(count) is None:
            raise PatternError(
                pattern,
                f"repeat count {count} in {text!r} is more than {MAX_REPEAT}, the most "
                "supported; use a smaller count, or + or * for 'any number'",
            )
    if not low:
        better = f"{{0,{high}}}" if high else "*"
        raise PatternError(
            pattern,
            f"write {better!r} for {text!r}, which would otherwise be literal text here",
        )
    if any(len(count) > 1 and count.startswith("0") for count in (low, high) if count):
        upper = f",{_count(high) if high else ''}" if comma else ""
        better = f"{{{_count(low)}{upper}}}"
        raise PatternError(
            pattern,
            f"write {better!r} for {text!r}, which would otherwise be literal text here",
        )
    if high and (_count(low) or 0) > (_count(high) or 0):
        raise PatternError(pattern, f"the smaller count must come first in {text!r}")
    if pattern.startswith("+", match.end()):
        _refuse_possessive(pattern, text + "+")


def _count(digits: str) -> int | None:
    """A repeat count's value, or None above ``MAX_REPEAT`` (without asking ``int``
    to convert a string of thousands of digits)."""
    significant = digits.lstrip("0") or "0"
    if len(significant) > len(str(MAX_REPEAT)) or int(significant) > MAX_REPEAT:
        return None
    return int(significant)


def _refuse_possessive(pattern: str, quantifier: str) -> None:
    raise PatternError(
        pattern,
        f"possessive quantifier {quantifier!r} is not supported, nor needed: matching "
        f"never backtracks; write {quantifier[:-1]!r} instead",
    )


def _class_end(pattern: str, i: int) -> int:
    """The index just past the character class that opens at ``i`` (as RE2 reads it)."""
    j, end = i + 1, len(pattern)
    if pattern.startswith("^", j):
        j += 1
    if pattern.startswith("]", j):
        j += 1  # a ] first in the class is a literal
    while j < end:
        if pattern[j] == "\\":
            j += 2
        elif pattern.startswith("[:", j) and (close := pattern.find(":]", j + 2)) >= 0:
            j = close + 2  # [:alpha:]
        elif pattern[j] == "]":
            return j + 1
        else:
            j += 1
    return end  # unterminated: RE2 says so
