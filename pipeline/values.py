"""Rows of texts -> typed Arrow columns, every value normalised once, here, for every table.

Column-wise Arrow compute, never value by value in Python (but for the few values that need it: an
offset to convert, a control character to unescape). The rules (docs/format.md):
- text: XML white space (space, tab, CR, LF) trimmed at both ends, inner spaces kept; empty is NULL; text
  nobody could mean is refused: C1 control characters (`utf8_encode()`, Windows-1252 declared ISO-8859-15),
  U+FFFD (text damaged before it was written), UTF-8 read as a single-byte encoding (`BÅ“uf`, `CrÃ¨me`);
- integers: `12`, also `12.0` (pandas writes nullable integers so), never `12.5` nor `1.000` / `1,000` (a
  thousands separator, PHP's `number_format()`);
- amounts: `12.50`, `12,50`; thousands separators only where the value says which is which (`1 234,56`,
  `1.234,56`, `1,234.56`); `1,200` (1 200 or 1,20 ?) is refused as ambiguous; never `1e3`;
- the text `null` (or `NULL`, `None`, `undefined`) in a column that is not text: refused, with its likely cause;
- dates: `2026-11-22`, `22/11/2026` (the French order; a column in which a date proves the US order, a middle
  number over 12, is refused whole), `20261122`, a midnight time with or without an offset; MySQL's zero
  date `0000-00-00` is NULL;
- timestamps: ISO 8601 or `YYYYMMDDHHMMSS`, up to 7 fraction digits (.NET's `o`, cut to microseconds), an
  offset or `Z` converted to the register server's local time; `0000-00-00 00:00:00` is NULL;
- booleans: `1/0`, `true/false`, `oui/non`, `t/f` (PostgreSQL), `-1` (Access, VB) for true.
"""

from __future__ import annotations

import functools
import re
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


class ValueRefused(ValueError):
    """A value refused for a reason of its own (not only "not of this type"): `index` in its batch."""

    def __init__(self, index: int, reason: str):
        super().__init__(reason)
        self.index, self.reason = index, reason


NULL_WORDS = ("null", "none", "nil", "undefined", "nan", "(null)")
NULL_CAUSE = ("le mot {!r} écrit à la place d'une valeur vide : le programme qui a écrit le fichier a converti un NULL "
              "en texte (json_encode, une concaténation ou un gabarit de chaînes, `${{x}}` en JavaScript) ; laissez "
              "l'élément vide ou absent")
# Text nobody could mean: C1 controls and U+FFFD, and the first letter of a UTF-8 sequence read as one byte each
# (Ã, Â, Å, â...) followed by one of the characters its continuation bytes give in Windows-1252 or Latin-1.
_CONTINUATION = (r"\x{80}-\x{bf}\x{152}\x{153}\x{160}\x{161}\x{178}\x{17d}\x{17e}\x{192}\x{2c6}\x{2dc}"
                 r"\x{2013}\x{2014}\x{2018}-\x{201a}\x{201c}-\x{201e}\x{2020}-\x{2022}\x{2026}\x{2030}"
                 r"\x{2039}\x{203a}\x{20ac}\x{2122}")
SUSPICIOUS = r"[\x{80}-\x{9f}\x{fffd}]|[\x{c2}-\x{f4}][" + _CONTINUATION + "]"

TYPE_WORDS = {
    "INT": "un nombre entier",
    "DEC": "un montant (12.50 ou 12,50, deux décimales au plus)",
    "QTY": "une quantité (trois décimales au plus)",
    "DATE": "une date (2026-11-22, 22/11/2026 ou 20261122)",
    "TS": "un horodatage (2026-11-22T10:15:00, avec ou sans fuseau, ou 20261122101500)",
    "BOOL": "un booléen (1/0, true/false, oui/non)",
}
EXTRA_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_.-]{0,63}")  # a valid XML element name, and safe quoted in SQL
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
    for extra in extras:  # kept, then exported as an element name: it must be one, and a plain one
        if not EXTRA_NAME.fullmatch(extra) or extra.lower().startswith("xml"):
            raise BadTableFile(name, f"la colonne hors contrat « {extra} » n'a pas un nom utilisable (une lettre, puis "
                                     "lettres, chiffres, _, - ou ., sans « xml » au début : il devient le nom d'un "
                                     "élément XML à l'export) : renommez-la ou "
                                     "retirez-la du fichier", row=first_row)
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
        arrays.append(_convert(raw[extra], "TXT", name, extra, first_row))
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
    """A text column: XML white space trimmed at both ends, empty as NULL, control characters unescaped; text
    nobody could mean refused (ValueRefused, with its likely cause)."""
    values = pc.utf8_trim(values, characters=XML_SPACE)
    values = pc.if_else(pc.equal(values, ""), _constants()[0], values)
    suspicious = pc.fill_null(pc.match_substring_regex(values, SUSPICIOUS), False)
    if pc.any(suspicious).as_py():
        for i in pc.indices_nonzero(suspicious).to_pylist():
            reason = garbled(values[i].as_py())
            if reason:
                raise ValueRefused(i, reason)
    return apply_to_matching(values, ESCAPE, decode_text)


def garbled(value: str) -> str | None:
    """Why a text nobody could mean is refused, or None when it is plausible after all."""
    shown = "".join(f"<U+{ord(ch):04X}>" if "\x80" <= ch <= "\x9f" else ch for ch in value)
    shown = shown if len(shown) <= 48 else shown[:48] + "…"
    if any("\x80" <= ch <= "\x9f" for ch in value):
        code = next(f"U+{ord(ch):04X}" for ch in value if "\x80" <= ch <= "\x9f")
        return (f"le texte « {shown} » contient le caractère de contrôle {code}, qu'aucun texte ne contient : des "
                "octets Windows-1252 (€ œ ’) ont été lus comme de l'ISO-8859-1 ou de l'ISO-8859-15, ou le texte est "
                "passé par utf8_encode() de PHP ; déclarez encoding=\"windows-1252\" ou écrivez le fichier en UTF-8")
    if "\ufffd" in value:
        return (f"le texte « {shown} » contient le caractère de remplacement �, laissé là où un caractère a été "
                "perdu avant l'écriture du fichier (htmlspecialchars() ou une conversion sur du texte latin1 ?) : "
                "corrigez la donnée sur le serveur principal")
    try:
        meant = value.encode("cp1252").decode("utf-8")
    except UnicodeError:
        try:
            meant = value.encode("latin-1").decode("utf-8")
        except UnicodeError:
            return None
    if meant == value:
        return None
    return (f"le texte « {shown} » est de l'UTF-8 lu octet par octet (il fallait lire « {meant[:40]} ») : le "
            "fichier déclare un encodage sur un octet (windows-1252, iso-8859-1) mais ses octets sont en UTF-8, ou "
            "une table latin1 contient de l'UTF-8 (connexion en latin1) ; déclarez encoding=\"UTF-8\" ou corrigez "
            "la table")


def _convert(values: pa.Array, type_: str, name: str, column: str, first_row: int) -> pa.Array:
    try:
        if type_ == "TXT":
            return text(values)
        return CONVERTERS[type_](values)
    except ValueRefused as refused:
        raise BadTableFile(name, refused.reason, row=first_row + refused.index, column=column) from None
    except _CONVERSION_ERRORS:
        i = _first_failure(values, CONVERTERS[type_])
        raise BadTableFile(name, _refusal(values[i].as_py(), type_), row=first_row + i, column=column) from None


def _refusal(value: str, type_: str) -> str:
    """Why a value of another type than a text is refused, with its likely cause when one is known."""
    plain = (value or "").strip()
    if plain.lower() in NULL_WORDS:
        return NULL_CAUSE.format(plain)
    if type_ in ("DEC", "QTY") and _TOO_LONG.match(plain):
        return (f"la valeur « {plain} » est trop grande pour un montant ou une quantité (au plus 16 chiffres avant "
                "la virgule)")
    return f"la valeur « {value} » n'est pas {TYPE_WORDS[type_]}"


_TOO_LONG = re.compile(r"^[+-]?\d{17,}([.,]\d*)?$")


def _first_failure(values: pa.Array, convert) -> int:
    """Bisect to the first value the converter refuses (the same function, so the same rules)."""
    lo, hi = 0, len(values)
    while hi - lo > 1:
        mid = (lo + hi) // 2
        try:
            convert(values.slice(lo, mid - lo))
            lo = mid
        except ValueRefused as refused:
            return lo + refused.index
        except _CONVERSION_ERRORS:
            hi = mid
    return lo


def _blank_to_null(values: pa.Array) -> pa.Array:
    values = pc.utf8_trim_whitespace(values)
    return pc.if_else(pc.equal(values, ""), _constants()[0], values)


def _first(mask: pa.Array) -> int | None:
    mask = pc.fill_null(mask, False)
    return pc.index(mask, True).as_py() if pc.any(mask).as_py() else None


def _to_int(values):
    try:
        return pc.cast(values, pa.int64())  # the usual case, in one pass
    except _CONVERSION_ERRORS:
        pass
    values = _blank_to_null(values)
    grouped = _first(pc.match_substring_regex(values, r"^[+-]?\d{1,3}([.,]\d{3})+$"))
    if grouped is not None:
        raise ValueRefused(grouped, f"la valeur « {values[grouped].as_py()} » porte un séparateur de milliers "
                                    "(number_format() de PHP ?) : un nombre entier s'écrit sans, 1000")
    values = pc.replace_substring_regex(values, r"^([+-]?\d+)[.,]0{1,2}$", r"\1")  # 12.0: pandas' nullable ints
    return pc.cast(values, pa.int64())


_SPACES = r"[\s\x{00a0}\x{202f}]"
# A value whose own characters say which separator is which: groups of three, then another decimal separator.
_GROUPED = [(r"^[+-]?\d{1,3}(" + _SPACES + r"\d{3})+([.,]\d+)?$", _SPACES, None),  # 1 234,56  1 234.56
            (r"^[+-]?\d{1,3}(\.\d{3})+,\d+$", r"\.", ","),  # 1.234,56
            (r"^[+-]?\d{1,3}(,\d{3})+\.\d+$", ",", None),  # 1,234.56
            (r"^[+-]?\d{1,3}(\.\d{3}){2,}$", r"\.", None),  # 1.234.567
            (r"^[+-]?\d{1,3}(,\d{3}){2,}$", ",", None)]  # 1,234,567


def _to_decimal(scale):
    plain = r"^[+-]?\d{1,16}([.,]\d{1," + str(scale) + r"})?$"

    def convert(values):
        values = _blank_to_null(values)
        if not pc.all(pc.fill_null(pc.match_substring_regex(values, plain), True)).as_py():
            values = _ungrouped(values, scale)
        return pc.cast(pc.replace_substring(values, ",", "."), pa.decimal128(18, scale))
    return convert


def _ungrouped(values: pa.Array, scale: int) -> pa.Array:
    """Thousands separators removed where the value says which is which; an ambiguous one refused."""
    if scale < 3:  # 1,200 or 1.200: a thousand and two hundred, or one and two tenths (three decimals)?
        ambiguous = _first(pc.match_substring_regex(values, r"^[+-]?\d{1,3}[.,]\d{3}$"))
        if ambiguous is not None:
            value = values[ambiguous].as_py()
            sep = "," if "," in value else "."
            other = "." if sep == "," else ","
            decimals = r"^[+-]?\d+" + re.escape(other) + r"\d{1,2}$"
            dotted = pc.any(pc.fill_null(pc.match_substring_regex(values, decimals), False)).as_py()
            also = (f" Les autres montants de la colonne ont la décimale en « {other} », mais cette valeur-ci ne "
                    "le dit pas.") if dotted else ""
            whole, part = value.lstrip("+-").split(sep)
            raise ValueRefused(ambiguous, f"la valeur « {value} » est ambiguë : {int(whole + part)} (« {sep} » "
                                          f"séparant les milliers, comme l'écrit number_format() de PHP) ou "
                                          f"{whole},{part.rstrip('0') or '0'} ?{also} Écrivez les montants sans "
                                          "séparateur de milliers (1200.00 ou 1200,00)")
    for pattern, thousands, decimal in _GROUPED:
        mask = pc.fill_null(pc.match_substring_regex(values, pattern), False)
        if pc.any(mask).as_py():
            fixed = pc.replace_substring_regex(values, thousands, "")
            if decimal:
                fixed = pc.replace_substring(fixed, decimal, ".")
            values = pc.if_else(mask, fixed, values)
    return values


def _zero_to_null(values, pattern: str):
    """MySQL's zero dates (`0000-00-00`, `0000-00-00 00:00:00`) are NULL."""
    return pc.if_else(pc.fill_null(pc.match_substring_regex(values, pattern), False), _constants()[0], values)


def _not_us(values) -> None:
    """A column of dd/mm/yyyy dates is read the French way; one whose dates prove the US order (a middle number
    over 12) is refused whole: its other dates cannot be told apart (11/02/2026)."""
    us = _first(pc.match_substring_regex(values, r"^\d{1,2}/(1[3-9]|[23]\d)/\d{4}"))
    if us is not None:
        raise ValueRefused(us, f"la date « {values[us].as_py()} » est au format américain (mois/jour/année, "
                               "date('m/d/Y') de PHP) : toute la colonne est refusée, car une date comme 11/02/2026 "
                               "y serait le 2 novembre et non le 11 février ; écrivez les dates en 2026-11-25 "
                               "(date('Y-m-d'))")


def _to_date(values):
    values = _zero_to_null(_blank_to_null(values), r"^0000-00-00([T ]00:00:00)?$")
    _not_us(values)
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
    _not_us(values)
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
