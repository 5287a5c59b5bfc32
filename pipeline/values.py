"""Rows of texts -> typed Arrow columns, every value normalised once, here, for every table.

Column-wise Arrow compute, never value by value in Python (but for the few values that need it: an
offset to convert, a control character to unescape). The rules (docs/format.md):
- text: XML white space (space, tab, CR, LF) trimmed at both ends, inner spaces kept; empty is NULL;
- integers: `12`, also `12.0` (pandas writes nullable integers so), never `12.5`;
- amounts: `12.50`, `12,50`, `1 234,56`; never `1e3`;
- dates: `2026-11-22`, `22/11/2026`, `20261122`, a midnight time with or without an offset; MySQL's zero
  date `0000-00-00` is NULL;
- timestamps: ISO 8601 or `YYYYMMDDHHMMSS`, up to 7 fraction digits (.NET's `o`, cut to microseconds), an
  offset or `Z` converted to the register server's local time; `0000-00-00 00:00:00` is NULL;
- booleans: `1/0`, `true/false`, `oui/non`, `t/f` (PostgreSQL), `-1` (Access, VB) for true.
"""

from __future__ import annotations

import functools
from datetime import datetime
from decimal import Decimal

import pyarrow as pa
import pyarrow.compute as pc

from .contracts import Contract
from .errors import BadTableFile
from .names import IDENTIFIER, IDENTIFIER_WORDS, is_identifier
from .textcodec import ESCAPE, apply_to_matching, decode_text

XML_SPACE = " \t\r\n"


@functools.cache
def _constants() -> tuple[pa.Scalar, pa.Array, pa.Array]:
    """NULL text, true and false words: made at first use, since building Arrow values from Python objects
    imports pandas (a quarter of a second), which a command that reads no file does not need."""
    return (pa.scalar(None, pa.string()), pa.array(["1", "true", "vrai", "oui", "o", "yes", "y", "t", "-1"]),
            pa.array(["0", "false", "faux", "non", "n", "no", "f"]))
_OFFSET = r"(Z|[+-]\d{2}:?\d{2})$"
_CONVERSION_ERRORS = (pa.ArrowInvalid, pa.ArrowNotImplementedError, ValueError)

TYPE_WORDS = {
    "INT": "un nombre entier",
    "DEC": "un montant (12.50 ou 12,50, deux décimales au plus)",
    "QTY": "une quantité (trois décimales au plus)",
    "DATE": "une date (2026-11-22, 22/11/2026 ou 20261122)",
    "TS": "un horodatage (2026-11-22T10:15:00, avec ou sans fuseau, ou 20261122101500)",
    "BOOL": "un booléen (1/0, true/false, oui/non)",
}
RULE_WORDS = {
    "identifiant": f"un identifiant valide ({IDENTIFIER_WORDS})",
    "taux": "un taux entre 0 et 100",
}


def to_arrow(rows: list[dict], first_row: int, name: str, contract: Contract, extras: list[str],
             null_text: str | None = None) -> pa.Table:
    """Rows (dicts of texts) -> a typed table; `extras` collects the columns outside the contract.
    `null_text`: a text the file's writer uses for NULL (phpMyAdmin's "NULL")."""
    present = set().union(*rows)
    if None in present:
        i = next(i for i, row in enumerate(rows) if None in row)
        raise BadTableFile(name, "une colonne n'a pas de nom (attribut name absent)", row=first_row + i)
    renames = _names_checked(present, contract, extras, name, first_row)
    if renames:
        rows = [{renames.get(k, k): v for k, v in row.items()} for row in rows]
        present = {renames.get(k, k) for k in present}
    extras.extend(sorted(present.difference(contract.by_name, extras)))
    if len(extras) > contract.max_extras:
        raise BadTableFile(name, f"il apporte {len(extras)} colonnes inconnues du serveur caisse "
                                 f"({', '.join(extras[:5])}...), au plus {contract.max_extras} sont gardées "
                                 "(réglage max_unknown_columns) : retirez-les du fichier", row=first_row)
    fields = contract.column_names + extras
    struct = pa.array(rows, type=pa.struct([pa.field(str(f), pa.string()) for f in fields]))
    raw = dict(zip(fields, struct.flatten()))
    if null_text is not None:
        raw = {k: pc.if_else(pc.equal(v, null_text), _constants()[0], v) for k, v in raw.items()}
    arrays, schema = [], []
    for column in contract.columns:
        values = _convert(raw[column.name], column.type, name, column.name, first_row)
        if column.required and values.null_count:
            i = pc.index(pc.is_null(values), True).as_py()
            absent = column.name not in rows[i]
            reason = (f"la colonne obligatoire {column.name} est absente" if absent
                      else f"la valeur obligatoire de {column.name} est vide")
            raise BadTableFile(name, reason, row=first_row + i, column=column.name)
        if column.rule:
            _check_rule(values, column.rule, name, column.name, first_row)
        arrays.append(values)
        schema.append(pa.field(column.name, column.arrow_type))
    for extra in extras:
        arrays.append(text(raw[extra]))
        schema.append(pa.field(extra, pa.string()))
    return pa.Table.from_arrays(arrays, schema=pa.schema(schema))


def _names_checked(present: set[str], contract: Contract, extras: list[str], name: str, first_row: int) -> dict:
    """Column names are compared without case, as DuckDB and MySQL compare them: `LIBELLE` is the contract's
    `libelle` (the renames returned), a case-only twin in the same file is refused naming both, and a
    column outside the contract must have a name that is an identifier (it becomes a column of the store)."""
    known = {c.lower(): c for c in contract.by_name}
    known.update({e.lower(): e for e in extras})
    seen: dict[str, str] = {}
    renames = {}
    for column in sorted(present):
        key = column.lower()
        if key in seen:
            raise BadTableFile(name, f"les colonnes {seen[key]} et {column} ne diffèrent que par les majuscules : "
                                     "gardez-en une", row=first_row)
        seen[key] = column
        if column not in contract.by_name and column not in extras:
            if key in known:
                renames[column] = known[key]
            elif not is_identifier(column):
                raise BadTableFile(name, f"le nom de colonne « {column[:64]} » est refusé : il doit compter "
                                         f"{IDENTIFIER_WORDS}", row=first_row)
    return renames


def _check_rule(values: pa.Array, rule: str, name: str, column: str, first_row: int) -> None:
    if rule == "identifiant":
        good = pc.and_(pc.match_substring_regex(values, IDENTIFIER), pc.invert(pc.match_substring(values, "..")))
    else:
        good = pc.and_(pc.greater_equal(values, pa.scalar(Decimal(0), values.type)),
                       pc.less_equal(values, pa.scalar(Decimal(100), values.type)))
    bad = pc.invert(pc.fill_null(good, True))
    if pc.any(bad).as_py():
        i = pc.index(bad, True).as_py()
        raise BadTableFile(name, f"la valeur « {values[i].as_py()} » n'est pas {RULE_WORDS[rule]}",
                           row=first_row + i, column=column)


def text(values: pa.Array) -> pa.Array:
    """A text column: XML white space trimmed at both ends, empty as NULL, control characters unescaped."""
    values = pc.utf8_trim(values, characters=XML_SPACE)
    values = pc.if_else(pc.equal(values, ""), _constants()[0], values)
    return apply_to_matching(values, ESCAPE, decode_text)


def _convert(values: pa.Array, type_: str, name: str, column: str, first_row: int) -> pa.Array:
    if type_ == "TXT":
        return text(values)
    try:
        return CONVERTERS[type_](values)
    except _CONVERSION_ERRORS:
        i = _first_failure(values, CONVERTERS[type_])
        raise BadTableFile(name, f"la valeur « {values[i].as_py()} » n'est pas {TYPE_WORDS[type_]}",
                           row=first_row + i, column=column) from None


def _first_failure(values: pa.Array, convert) -> int:
    """Bisect to the first value the converter refuses (the same function, so the same rules)."""
    lo, hi = 0, len(values)
    while hi - lo > 1:
        mid = (lo + hi) // 2
        try:
            convert(values.slice(lo, mid - lo))
            lo = mid
        except _CONVERSION_ERRORS:
            hi = mid
    return lo


def _blank_to_null(values: pa.Array) -> pa.Array:
    values = pc.utf8_trim_whitespace(values)
    return pc.if_else(pc.equal(values, ""), _constants()[0], values)


def _to_int(values):
    try:
        return pc.cast(values, pa.int64())  # the usual case, in one pass
    except _CONVERSION_ERRORS:
        pass
    values = pc.replace_substring_regex(_blank_to_null(values), r"^([+-]?\d+)[.,]0+$", r"\1")
    return pc.cast(values, pa.int64())


def _to_decimal(scale):
    def convert(values):
        values = pc.replace_substring_regex(_blank_to_null(values), r"[\s\x{00a0}\x{202f}]", "")
        values = pc.replace_substring(values, ",", ".")
        if pc.any(pc.match_substring_regex(values, r"[eE]|^\.|\.$")).as_py():
            raise ValueError("not a plain decimal")
        return pc.cast(values, pa.decimal128(18, scale))
    return convert


def _zero_to_null(values, pattern: str):
    """MySQL's zero dates (`0000-00-00`, `0000-00-00 00:00:00`) are NULL."""
    return pc.if_else(pc.fill_null(pc.match_substring_regex(values, pattern), False), _constants()[0], values)


def _to_date(values):
    values = _zero_to_null(_blank_to_null(values), r"^0000-00-00([T ]00:00:00)?$")
    values = pc.replace_substring_regex(values, r"^(\d{2})/(\d{2})/(\d{4})$", r"\3-\2-\1")
    values = pc.replace_substring_regex(values, r"^(\d{4})(\d{2})(\d{2})$", r"\1-\2-\3")
    values = pc.replace_substring_regex(values, r"^(\d{4}-\d{2}-\d{2})[T ]00:00(:00(\.0+)?)?" + _OFFSET[:-1] + "?$",
                                        r"\1")
    if pc.any(pc.invert(pc.match_substring_regex(values, r"^\d{4}-\d{2}-\d{2}$"))).as_py():
        raise ValueError("not a date")
    return pc.cast(values, pa.date32())


def local_time(value: str) -> str:
    """An ISO timestamp with an offset or `Z` as the register server's local time (unchanged if unreadable:
    the pattern check that follows refuses it)."""
    try:
        return datetime.fromisoformat(value).astimezone().replace(tzinfo=None).isoformat()
    except ValueError:
        return value


def _to_timestamp(values):
    values = _zero_to_null(_blank_to_null(values), r"^0000-00-00[T ]00:00:00$")
    values = pc.replace_substring_regex(values, r"^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})$",
                                        r"\1-\2-\3T\4:\5:\6")
    values = pc.replace_substring_regex(values, r"^(\d{2})/(\d{2})/(\d{4})", r"\3-\2-\1")
    values = pc.replace_substring_regex(values, r"^(\d{4}-\d{2}-\d{2})$", r"\1T00:00:00")
    values = pc.replace_substring_regex(values, r"(\.\d{6})\d+", r"\1")
    values = apply_to_matching(values, r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?" + _OFFSET, local_time)
    if pc.any(pc.invert(pc.match_substring_regex(
            values, r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?$"))).as_py():
        raise ValueError("not a timestamp")
    return pc.cast(values, pa.timestamp("us"))


def _to_bool(values):
    values = pc.utf8_lower(_blank_to_null(values))
    true, false = pc.is_in(values, value_set=_constants()[1]), pc.is_in(values, value_set=_constants()[2])
    if pc.any(pc.and_(pc.is_valid(values), pc.invert(pc.or_(true, false)))).as_py():
        raise ValueError("not a boolean")
    return pc.if_else(pc.is_null(values), pa.scalar(None, pa.bool_()), true)


CONVERTERS = {"INT": _to_int, "DEC": _to_decimal(2), "QTY": _to_decimal(3), "DATE": _to_date,
              "TS": _to_timestamp, "BOOL": _to_bool}
