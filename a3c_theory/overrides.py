"""Values typed on the command line: one rule for ``--set SECTION.KEY=VALUE`` (run, diagnose, sweep) and for
each value of ``--grid SECTION.KEY=V1,V2,...``.

A value is read with TOML value syntax: ``4`` (integer), ``0.5``, ``1e-3``, ``inf``, ``nan`` (floats), ``true``
(boolean), ``"a,b"`` or ``'x'`` (strings), ``[1, 2]`` (an array, which no config key takes). Text that is not
valid TOML is a bare string, e.g. ``markov``, ``FrozenLake-v1`` or ``data/my mdp.npz``, unless it is empty or
begins with a quote, a bracket or a brace (then it is malformed TOML, and an error); a value holds no line
break. Surrounding spaces are dropped. ``--grid`` first splits its text on the commas outside quotes and brackets, so a grid value holding
a comma must be quoted (``--grid 'problem.path="a,b.npz",c.npz'``).
"""

import tomllib

from .errors import ValidationError

MALFORMED_START = "\"'[{"
"""A value that begins with one of these and is not valid TOML is an error, not a bare string."""


def parse_value(field: str, text: str):
    """The value of ``text`` under the module's rule; a ValidationError naming ``field`` if it has none."""
    text = text.strip()
    if "\n" not in text and "\r" not in text:
        try:
            return tomllib.loads(f"value = {text}")["value"]
        except tomllib.TOMLDecodeError:
            if text and text[0] not in MALFORMED_START:
                return text
    raise ValidationError(field, f"cannot read value {text!r}: use TOML value syntax (4, 0.5, true, \"text\") or a "
                          "bare string that does not start with a quote or bracket")


def parse_assignment(text: str, form: str, field: str | None = None) -> tuple[str, str]:
    """``"name=value"`` -> ``(name, raw value text)``, split at the first ``=``, the name stripped; else a
    ValidationError naming ``field`` (default: the text) that says the ``form`` expected."""
    name, sep, raw = str(text).partition("=")
    name = name.strip()
    if not sep or not name:
        raise ValidationError(field or str(text), f"expected {form}, got {text!r}")
    return name, raw


def split_values(text: str) -> list[str]:
    """Split on commas outside quotes and brackets: ``'"a,b",c'`` → ``['"a,b"', 'c']``; empty text → ``[]``."""
    if not text.strip():
        return []
    items, start, depth, quote_char, escaped = [], 0, 0, None, False
    for i, char in enumerate(text):
        if quote_char:
            if escaped:
                escaped = False
            elif char == "\\" and quote_char == '"':
                escaped = True
            elif char == quote_char:
                quote_char = None
        elif char in "\"'":
            quote_char = char
        elif char in "[{":
            depth += 1
        elif char in "]}":
            depth -= 1
        elif char == "," and depth == 0:
            items.append(text[start:i])
            start = i + 1
    items.append(text[start:])
    return items


def parse_values(field: str, text: str) -> list:
    """The values of a ``--grid`` axis: :func:`split_values`, then :func:`parse_value` for each."""
    return [parse_value(field, item) for item in split_values(text)]
