"""Streaming reader: one `t_*.xml` file -> a typed Arrow table, applying DESIGN section 6.

lxml `iterparse` walks the file once, clearing rows as it goes; each row becomes a dict built in C,
rows are gathered into Arrow arrays every `batch_rows`, and the conversions of the liberal formats
(`12,50`, `22/11/2026`, `oui`) are done column-wise by Arrow compute, never value by value in Python.
A large file is cut at row boundaries and its parts read on the other cores (`xmlparts`).
Anything wrong stops the read with a `BadTableFile` naming the file, the row and the column.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from operator import attrgetter
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
from lxml import etree

from .contracts import Contract, contract_for
from .errors import BadTableFile
from .textcodec import ESCAPE, apply_to_matching, decode_text

DEFAULT_MAX_MB = 2048
BATCH_ROWS = 16_384  # a batch of rows as Python dicts costs about 2.5 KB a row
SUPPORTED_ENCODINGS = {"utf-8", "utf8", "iso-8859-1", "latin-1", "latin1", "iso-8859-15", "windows-1252",
                       "cp1252", "us-ascii", "ascii"}
_DECL = re.compile(rb"""^<\?xml[^>]*?encoding\s*=\s*["']([A-Za-z0-9._-]+)["']""")
_TRUE = pa.array(["1", "true", "vrai", "oui", "o", "yes", "y"])
_FALSE = pa.array(["0", "false", "faux", "non", "n", "no"])
_TAG_TEXT = attrgetter("tag", "text")

TYPE_WORDS = {
    "INT": "un nombre entier",
    "DEC": "un montant (12.50 ou 12,50, deux décimales au plus)",
    "QTY": "une quantité (trois décimales au plus)",
    "DATE": "une date (2026-11-22, 22/11/2026 ou 20261122)",
    "TS": "un horodatage (2026-11-22T10:15:00 ou 20261122101500)",
    "BOOL": "un booléen (1/0, true/false, oui/non)",
}


def read_table(path: str | Path, contract: Contract | None = None, *, max_mb: float = DEFAULT_MAX_MB,
               batch_rows: int = BATCH_ROWS, parts: int | None = None):
    """Read one table file into a pandas frame of Arrow-backed columns; raises BadTableFile."""
    import pandas as pd  # only here: the part readers start without pandas
    table = read_arrow(path, contract, max_mb=max_mb, batch_rows=batch_rows, parts=parts)
    return table.to_pandas(types_mapper=pd.ArrowDtype)


def read_arrow(path: str | Path, contract: Contract | None = None, *, max_mb: float = DEFAULT_MAX_MB,
               batch_rows: int = BATCH_ROWS, parts: int | None = None) -> pa.Table:
    """Read one table file into one typed Arrow table (contract columns first, extras as text).

    `parts`: how many processes share a large file (None: one per core when the file is big enough)."""
    path = Path(path)
    contract = contract or contract_for(path.stem)
    if contract is None:
        raise BadTableFile(path.name, f"la table {path.stem} n'est pas connue du serveur caisse")
    batches = list(iter_batches(path, contract, max_mb=max_mb, batch_rows=batch_rows, parts=parts))
    if not batches:
        return contract.arrow_schema().empty_table()
    return pa.concat_tables(batches, promote_options="default")


def iter_batches(path: Path, contract: Contract, *, max_mb: float = DEFAULT_MAX_MB,
                 batch_rows: int = BATCH_ROWS, parts: int | None = None) -> Iterator[pa.Table]:
    """Yield typed Arrow tables of at most `batch_rows` rows, in file order; extras may grow from batch
    to batch. A large file is read in parts on every core; whenever a part cannot be trusted the rest of
    the file is read here, in one process, which also gives the exact place of any XML error."""
    from . import xmlparts  # it imports this module
    name = path.name
    size = path.stat().st_size
    if size > max_mb * 1024 * 1024:
        raise BadTableFile(name, f"il pèse {size / 1048576:.1f} Mo, plus que la limite de {max_mb:g} Mo "
                                 "(CAISSE_MAX_FILE_MB)")
    encoding = check_prolog(path)
    keys = _KeyChecker(name, contract)
    done = 0
    plan = xmlparts.plan(path, encoding, parts)
    if plan:
        try:
            for table in xmlparts.read_parts(path, contract, plan, batch_rows):
                keys.check(table, done + 1)
                done += table.num_rows
                yield table
            return
        except xmlparts.PartFailed:
            pass  # the rows yielded so far are the file's first `done`: the one-process reader goes on
    extras: list[str] = []
    rows: list[dict] = []
    for number, row in enumerate(_iter_rows(path, name, encoding), 1):
        if number <= done:
            continue
        rows.append(row)
        if len(rows) >= batch_rows:
            yield _checked(rows, done + 1, name, contract, extras, keys)
            done += len(rows)
            rows = []
    if rows:
        yield _checked(rows, done + 1, name, contract, extras, keys)


def _checked(rows, first_row, name, contract, extras, keys) -> pa.Table:
    table = to_arrow(rows, first_row, name, contract, extras)
    keys.check(table, first_row)
    return table


def check_prolog(path: Path) -> str:
    """Refuse a DTD, an entity declaration or an unsupported encoding; return the declared encoding."""
    with open(path, "rb") as f:
        head = f.read(65536)
    if head.startswith(b"\xef\xbb\xbf"):
        head = head[3:]
    elif head.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise BadTableFile(path.name, "il est encodé en UTF-16 ; seuls UTF-8, ISO-8859-1 et Windows-1252 "
                                      "sont acceptés")
    if b"<!DOCTYPE" in head or b"<!ENTITY" in head:
        raise BadTableFile(path.name, "il contient une déclaration DTD ou d'entité (<!DOCTYPE, <!ENTITY), "
                                      "interdite pour des raisons de sécurité")
    match = _DECL.match(head.lstrip())
    encoding = match.group(1).decode("ascii").lower() if match else "utf-8"
    if encoding not in SUPPORTED_ENCODINGS:
        raise BadTableFile(path.name, f"son encodage déclaré « {encoding} » n'est pas pris en charge "
                                      "(UTF-8, ISO-8859-1, ISO-8859-15 ou Windows-1252)")
    return encoding


_PARSE_OPTIONS = dict(resolve_entities=False, no_network=True, load_dtd=False, remove_comments=True,
                      remove_pis=True, huge_tree=False)


class MixedRowTags(Exception):
    """Rows of more than one tag: the fast walk hands over to the generic one."""


def _iter_rows(path: Path, name: str, encoding: str) -> Iterator[dict]:
    """Each child of the root as a dict {column: text}, whatever its tag; attributes count as columns.

    Most files use one row tag: lxml then filters on it in C and Python sees one event per row instead
    of one per value (3x faster). A file mixing row tags is read again by the generic walk."""
    etree.clear_error_log()  # the error log is per thread and keeps earlier files' errors
    row_number = 0
    try:
        tag = first_rows(path)[1]
        if tag is not None:
            try:
                for row_number, row in enumerate(walk(path, tag), 1):  # noqa: B007 (read after the loop)
                    yield row
                return
            except MixedRowTags:
                pass  # the rows read so far precede the first other tag: skip them in the generic walk
        done = row_number
        for row_number, row in enumerate(walk(path, None), 1):
            if row_number > done:
                yield row
    except etree.XMLSyntaxError as e:
        raise BadTableFile(name, _syntax_reason(e, path, encoding), row=row_number + 1) from None


def first_rows(path: Path) -> tuple[str | None, str | None]:
    """(root tag, tag of the first row); a root with attributes or namespaces reads as None."""
    depth = 0
    for event, el in etree.iterparse(str(path), events=("start", "end"), **_PARSE_OPTIONS):
        if event == "end":
            return None, None  # the root ended before any row: an empty table
        depth += 1
        if el.getroottree().docinfo.doctype:
            raise etree.XMLSyntaxError("DOCTYPE", None, 0, 0)
        if depth == 2:
            root = el.getparent()
            plain = not root.attrib and not root.nsmap
            return (root.tag if plain else None), el.tag
    return None, None


def walk(source, tag: str | None) -> Iterator[dict]:
    """The rows of a file (a path or a binary stream); with `tag`, only elements of that tag that are
    children of the root. Raises MixedRowTags when `tag` is given and the root holds other rows."""
    root = None
    source = str(source) if isinstance(source, Path) else source
    for _, el in etree.iterparse(source, events=("end",), tag=tag, **_PARSE_OPTIONS):
        parent = el.getparent()
        if parent is None:
            if el.getroottree().docinfo.doctype:
                raise BadTableFile(Path(str(getattr(source, "name", source))).name,
                                   "il contient une déclaration DTD, interdite")
            return
        if parent.getparent() is not None:
            continue  # a column (or a column named like the rows): read with its row
        root = parent
        while (previous := el.getprevious()) is not None:
            if tag is not None and previous.tag != tag:
                raise MixedRowTags
            del parent[0]
        row = dict(map(_TAG_TEXT, el))
        if el.attrib:
            row = {**el.attrib, **row}
        yield row
        el.clear()
    if tag is not None and root is not None and any(child.tag != tag for child in root):
        raise MixedRowTags


def _syntax_reason(e: etree.XMLSyntaxError, path: Path, encoding: str) -> str:
    # With resolve_entities=False lxml may raise a generic "no element found"; the parser's own log
    # (filtered on this file, since it also holds earlier files' errors) says what really went wrong.
    entries = [x for x in e.error_log if x.filename == str(path)]
    if entries:
        message, line, col = entries[0].message, entries[0].line, entries[0].column
    else:
        message, (line, col) = str(e.msg or e), (e.position or (e.lineno, 0))
    if line == 0 and path.stat().st_size < 64 and not path.read_bytes().strip():
        return "le fichier est vide (il faut au moins l'élément racine, par exemple <t_article/>)"
    where = f"ligne de texte {line}, caractère {col}"
    lowered = message.lower()
    if "encoding" in lowered or "not proper" in lowered or "invalid byte" in lowered or "bytes:" in lowered:
        return f"des octets ne sont pas dans l'encodage déclaré {encoding.upper()} ({where})"
    if "entity" in lowered:
        return f"il utilise une entité non déclarée, refusée ({where} : {message.strip()})"
    return f"le XML est mal formé ({where} : {message.strip()})"


class _KeyChecker:
    """Finds a duplicate primary key across batches, naming the row where it appears again."""

    def __init__(self, name: str, contract: Contract):
        self.name, self.key, self.seen = name, contract.primary_key, set()

    def check(self, table: pa.Table, first_row: int) -> None:
        cols = [table.column(k).to_pylist() for k in self.key]
        values = cols[0] if len(cols) == 1 else list(zip(*cols))
        batch = set(values)
        if len(batch) == len(values) and self.seen.isdisjoint(batch):
            self.seen |= batch
            return
        here = set()
        for i, v in enumerate(values):
            if v in here or v in self.seen:
                shown = v if len(self.key) == 1 else " / ".join(map(str, v))
                raise BadTableFile(self.name, f"la clé primaire « {shown} » apparaît deux fois",
                                   row=first_row + i, column=", ".join(self.key))
            here.add(v)


def to_arrow(rows: list[dict], first_row: int, name: str, contract: Contract, extras: list[str]) -> pa.Table:
    """Rows (dicts of texts) -> a typed table; `extras` collects the columns outside the contract."""
    present = set().union(*rows)
    extras.extend(sorted(present.difference(contract.by_name, extras)))
    fields = contract.column_names + extras
    struct = pa.array(rows, type=pa.struct([pa.field(str(f), pa.string()) for f in fields]))
    raw = dict(zip(fields, struct.flatten()))
    arrays, schema = [], []
    for column in contract.columns:
        values = _convert(raw[column.name], column.type, name, column.name, first_row)
        if column.required and values.null_count:
            i = pc.index(pc.is_null(values), True).as_py()
            absent = column.name not in rows[i]
            reason = (f"la colonne obligatoire {column.name} est absente" if absent
                      else f"la valeur obligatoire de {column.name} est vide")
            raise BadTableFile(name, reason, row=first_row + i, column=column.name)
        arrays.append(values)
        schema.append(pa.field(column.name, column.arrow_type))
    for extra in extras:
        arrays.append(_text(raw[extra]))
        schema.append(pa.field(extra, pa.string()))
    return pa.Table.from_arrays(arrays, schema=pa.schema(schema))


def _text(values: pa.Array) -> pa.Array:
    values = pc.if_else(pc.equal(values, ""), pa.scalar(None, pa.string()), values)
    return apply_to_matching(values, ESCAPE, decode_text)


def _convert(values: pa.Array, type_: str, name: str, column: str, first_row: int) -> pa.Array:
    if type_ == "TXT":
        return _text(values)
    try:
        return CONVERTERS[type_](values)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError, ValueError):
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
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError, ValueError):
            hi = mid
    return lo


def _blank_to_null(values: pa.Array) -> pa.Array:
    values = pc.utf8_trim_whitespace(values)
    return pc.if_else(pc.equal(values, ""), pa.scalar(None, pa.string()), values)


def _to_int(values):
    return pc.cast(_blank_to_null(values), pa.int64())


def _to_decimal(scale):
    def convert(values):
        values = pc.replace_substring_regex(_blank_to_null(values), r"[\s\x{00a0}\x{202f}]", "")
        values = pc.replace_substring(values, ",", ".")
        if pc.any(pc.match_substring_regex(values, r"[eE]|^\.|\.$")).as_py():
            raise ValueError("not a plain decimal")
        return pc.cast(values, pa.decimal128(18, scale))
    return convert


def _to_date(values):
    values = _blank_to_null(values)
    values = pc.replace_substring_regex(values, r"^(\d{2})/(\d{2})/(\d{4})$", r"\3-\2-\1")
    values = pc.replace_substring_regex(values, r"^(\d{4})(\d{2})(\d{2})$", r"\1-\2-\3")
    values = pc.replace_substring_regex(values, r"^(\d{4}-\d{2}-\d{2})[T ]00:00(:00(\.0+)?)?$", r"\1")
    if pc.any(pc.invert(pc.match_substring_regex(values, r"^\d{4}-\d{2}-\d{2}$"))).as_py():
        raise ValueError("not a date")
    return pc.cast(values, pa.date32())


def _to_timestamp(values):
    values = _blank_to_null(values)
    values = pc.replace_substring_regex(values, r"^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})$",
                                        r"\1-\2-\3T\4:\5:\6")
    values = pc.replace_substring_regex(values, r"^(\d{2})/(\d{2})/(\d{4})", r"\3-\2-\1")
    values = pc.replace_substring_regex(values, r"^(\d{4}-\d{2}-\d{2})$", r"\1T00:00:00")
    values = pc.replace_substring_regex(values, r"Z$", "")
    if pc.any(pc.invert(pc.match_substring_regex(
            values, r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?$"))).as_py():
        raise ValueError("not a timestamp")
    return pc.cast(values, pa.timestamp("us"))


def _to_bool(values):
    values = pc.utf8_lower(_blank_to_null(values))
    true, false = pc.is_in(values, value_set=_TRUE), pc.is_in(values, value_set=_FALSE)
    if pc.any(pc.and_(pc.is_valid(values), pc.invert(pc.or_(true, false)))).as_py():
        raise ValueError("not a boolean")
    return pc.if_else(pc.is_null(values), pa.scalar(None, pa.bool_()), true)


CONVERTERS = {"INT": _to_int, "DEC": _to_decimal(2), "QTY": _to_decimal(3), "DATE": _to_date,
              "TS": _to_timestamp, "BOOL": _to_bool}
