"""How text that XML 1.0 cannot carry travels anyway.

XML 1.0 forbids most control characters (U+0000-U+001F but tab, newline and carriage return) and
U+FFFE/U+FFFF, even as character references. A register may still receive them (a barcode scanner
sends U+001D, a label pasted from elsewhere), so the writer replaces each by ESCAPE followed by a
private-use character, and ESCAPE itself by ESCAPE twice; the reader undoes it. `\\r` is written as
`&#13;`, which XML keeps. Both sides of the exchange must apply this (docs/format.md).
"""

from __future__ import annotations

import re
from collections.abc import Callable

import pyarrow as pa
import pyarrow.compute as pc

ESCAPE = "\uf8ff"
_BASE = 0xF700
FORBIDDEN = [c for c in range(0x20) if c not in (0x09, 0x0A, 0x0D)] + [0xFFFE, 0xFFFF]


def _stand_in(code: int) -> str:
    return chr(_BASE + (code & 0xFF))


ENCODE = {chr(c): ESCAPE + _stand_in(c) for c in FORBIDDEN} | {ESCAPE: ESCAPE + ESCAPE}
DECODE = {_stand_in(c): chr(c) for c in FORBIDDEN} | {ESCAPE: ESCAPE}
FORBIDDEN_PATTERN = "[" + "".join(f"\\x{{{c:04x}}}" for c in FORBIDDEN) + "\\x{f8ff}]"
_DECODE_RE = re.compile(ESCAPE + "(.)", re.S)


def apply_to_matching(values: pa.Array, pattern: str, fn: Callable[[str], str]) -> pa.Array:
    """`fn` on the values matching the regex `pattern`, in Python, and only on those: a file where one label
    in a thousand holds a control character must not send every value through Python."""
    mask = pc.fill_null(pc.match_substring_regex(values, pattern), False)
    if not pc.any(mask).as_py():
        return values
    changed = pa.array([fn(v) for v in pc.filter(values, mask).to_pylist()], values.type)
    return pc.replace_with_mask(values, mask, changed)


def encode_text(value: str) -> str:
    return "".join(ENCODE.get(ch, ch) for ch in value)


def decode_text(value: str | None) -> str | None:
    if value is None or ESCAPE not in value:
        return value
    return _DECODE_RE.sub(lambda m: DECODE.get(m.group(1), m.group(1)), value)
