"""Streaming reader: one table file -> typed Arrow batches, applying DESIGN section 6 and docs/format.md.

The file's prolog is checked first (no DTD, an encoding read as browsers read it), then the shape of its
rows is recognised (`shapes`: child elements, attributes, mysqldump's and phpMyAdmin's named columns,
.NET's DataSet), then lxml `iterparse` walks the file once, clearing rows as it goes; each row becomes a
dict built in C, rows are gathered into Arrow arrays every `batch_rows`, and values are normalised and
typed column-wise by Arrow compute (`values`). A large file is cut at row boundaries and its parts read
on the other cores (`xmlparts`). A file may hold several tables (a whole `mysqldump --xml`).
Anything wrong stops the read with a `BadTableFile` naming the file, the row and the column.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa
from lxml import etree

from .contracts import Contract, contract_for
from .errors import BadTableFile
from .shapes import DuplicateColumn, MixedRowTags, Shape, detect, walk
from .values import to_arrow

DEFAULT_MAX_MB = 2048
BATCH_ROWS = 16_384  # a batch of rows as Python dicts costs about 2.5 KB a row
_DECL = re.compile(rb"""^<\?xml[^>]*?encoding\s*=\s*["']([A-Za-z0-9._:-]+)["']""")
# The WHATWG encoding standard's labels, as browsers read them: ISO-8859-1, latin1 and US-ASCII are decoded
# as Windows-1252 (PHP and Windows tools declare ISO-8859-1 and write "€" as 0x80).
ENCODING_LABELS = {
    "utf-8": ("utf-8", "utf8", "unicode-1-1-utf-8", "unicode11utf8", "unicode20utf8", "x-unicode20utf8"),
    "windows-1252": ("windows-1252", "cp1252", "x-cp1252", "iso-8859-1", "iso8859-1", "iso88591", "iso_8859-1",
                     "iso_8859-1:1987", "latin1", "latin-1", "l1", "cp819", "ibm819", "csisolatin1", "iso-ir-100",
                     "us-ascii", "ascii", "ansi_x3.4-1968"),
    "iso-8859-15": ("iso-8859-15", "iso8859-15", "iso885915", "iso_8859-15", "latin9", "latin-9", "l9",
                    "csisolatin9"),
}
_ENCODINGS = {label: encoding for encoding, labels in ENCODING_LABELS.items() for label in labels}
Resolve = Callable[[str], "Contract | None"]


@dataclass(frozen=True)
class Prolog:
    """How a file's bytes are decoded: `encoding` (effective), as `declared` (None: no declaration)."""

    encoding: str
    declared: str | None
    bom: bool = False


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
    """The typed batches of one table of a file (its rows, when the file holds others too)."""
    resolve = {contract.name: contract, path.stem: contract}.get
    for _, _, batch in iter_tables(path, resolve, max_mb=max_mb, batch_rows=batch_rows, parts=parts):
        yield batch


@dataclass
class _TableState:
    contract: Contract | None
    keys: _KeyChecker | None
    extras: list[str] = field(default_factory=list)
    rows: list[dict] = field(default_factory=list)
    read: int = 0  # rows of this table already converted


def iter_tables(path: Path, resolve: Resolve, *, max_mb: float = DEFAULT_MAX_MB, batch_rows: int = BATCH_ROWS,
                parts: int | None = None, notes: Callable[[str], None] | None = None
                ) -> Iterator[tuple[str, Contract, pa.Table]]:
    """(table, contract, batch) of every table a file holds, batches of at most `batch_rows` rows in file
    order; extras may grow from batch to batch. `resolve(name)` gives the contract of a table, or None to
    skip its rows (a table the register does not use); it may raise to refuse the file.

    A file named after a table holds that table; a file named otherwise holds the tables its shape names
    (`mysqldump` table_data, phpMyAdmin rows, a DataSet's row tags). A large file is read in parts on every
    core; whenever a part cannot be trusted the rest is read here, in one process, which also gives the
    exact place of any XML error. `notes(sentence)` is told how a large file was read (in parts, or why not)."""
    from . import xmlparts  # it imports this module
    name = path.name
    size = path.stat().st_size
    if size > max_mb * 1024 * 1024:
        raise BadTableFile(name, f"il pèse {size / 1048576:.1f} Mo, plus que la limite de {max_mb:g} Mo "
                                 "(CAISSE_MAX_FILE_MB)")
    prolog = check_prolog(path)
    own = resolve(path.stem)  # the table the file is named after, if it is one
    try:
        shape = detect(path, prolog.encoding, {c.lower() for c in own.column_names} if own is not None else None)
    except etree.XMLSyntaxError as e:
        raise BadTableFile(name, _syntax_reason(e, path, prolog), row=1) from None
    if shape is None:  # no row at all: an empty table
        if own is not None:
            yield own.name, own, own.arrow_schema().empty_table()
        return
    states: dict[str, _TableState] = {}

    def state(table: str) -> _TableState:
        if table not in states:
            mine = table.lower() in (path.stem.lower(), own.name if own is not None else "")
            contract = own if mine else resolve(table)
            states[table] = _TableState(contract, _KeyChecker(name, contract) if contract else None)
        return states[table]

    done = 0
    plan = xmlparts.plan(path, prolog.encoding, shape, parts) if own is not None or shape.table_from else None
    if plan:
        table = path.stem if own is not None else xmlparts.expected_table(shape)
        current = state(table)
        try:
            if current.contract is not None:
                for batch in xmlparts.read_parts(path, current.contract, shape, prolog.encoding, plan, batch_rows,
                                                 expect=None if own is not None else table):
                    current.keys.check(batch, done + 1)
                    done += batch.num_rows
                    current.read = done
                    yield table, current.contract, batch
                if notes:
                    notes(f"Fichier {name} lu en {len(plan)} parties, une par cœur.")
                return
        except xmlparts.PartFailed as e:
            if notes:  # the rows yielded so far are the file's first `done`: the one-process reader goes on
                why = str(e)[:120] or "une partie ne se lit pas"
                notes(f"Fichier {name} : la lecture en parties s'est arrêtée ({why}), le reste est lu en un seul "
                      "processus.")
    current_name, current = None, None
    number = 0
    for named, row in _iter_rows(path, name, prolog, shape):
        if row is None:  # a table's data ended (mysqldump): a table with no row is still a table
            state(own.name if own is not None else named)
            continue
        number += 1
        if number <= done:
            continue
        if own is not None:
            if named is not None and named.lower() not in (path.stem.lower(), own.name) and shape.table_from != "tag":
                raise BadTableFile(name, f"il contient des lignes de la table {named} ({shape.writer}) alors qu'il "
                                         f"porte le nom de la table {own.name}")
            table = own.name
        else:
            table = named or path.stem
        if table != current_name:
            if current is not None and current.rows:
                yield current_name, current.contract, _checked(current, name, shape)
            current_name, current = table, state(table)
        if current.contract is None:
            continue
        current.rows.append(row)
        if len(current.rows) >= batch_rows:
            yield table, current.contract, _checked(current, name, shape)
    if current is not None and current.rows:
        yield current_name, current.contract, _checked(current, name, shape)
    for table, empty in states.items():
        if empty.contract is not None and not empty.read:
            yield table, empty.contract, empty.contract.arrow_schema().empty_table()


def _checked(state: _TableState, name: str, shape: Shape) -> pa.Table:
    first_row = state.read + 1
    table = to_arrow(state.rows, first_row, name, state.contract, state.extras, shape.null_text)
    state.keys.check(table, first_row)
    state.read += len(state.rows)
    state.rows = []
    return table


def check_prolog(path: Path) -> Prolog:
    """Refuse a DTD, an entity declaration, UTF-16 or an unknown encoding; the encoding to decode with (a BOM
    wins over the declaration, labels as the WHATWG encoding standard reads them)."""
    with open(path, "rb") as f:
        head = f.read(65536)
    bom = head.startswith(b"\xef\xbb\xbf")
    if bom:
        head = head[3:]
    elif head.startswith((b"\xff\xfe", b"\xfe\xff", b"<\x00", b"\x00<")):
        raise BadTableFile(path.name, "il est encodé en UTF-16, que le serveur caisse ne lit pas : enregistrez-le en "
                                      "UTF-8 (ou Windows-1252)")
    if b"<!DOCTYPE" in head or b"<!ENTITY" in head:
        raise BadTableFile(path.name, "il contient une déclaration DTD ou d'entité (<!DOCTYPE, <!ENTITY), "
                                      "interdite pour des raisons de sécurité")
    match = _DECL.match(head.lstrip())
    declared = match.group(1).decode("ascii").lower() if match else None
    if bom:
        return Prolog("utf-8", declared, bom=True)
    if declared is None:
        return Prolog("utf-8", None)
    if declared not in _ENCODINGS:
        raise BadTableFile(path.name, f"son encodage déclaré « {declared} » n'est pas pris en charge "
                                      "(UTF-8, ISO-8859-1, ISO-8859-15 ou Windows-1252)")
    return Prolog(_ENCODINGS[declared], declared)


def _iter_rows(path: Path, name: str, prolog: Prolog, shape: Shape) -> Iterator[tuple[str | None, dict]]:
    """(table, row) of each row, whatever its tag.

    Most files use one row tag: lxml then filters on it in C and Python sees one event per row instead
    of one per value (3x faster). A file mixing row tags is read again by the generic walk."""
    etree.clear_error_log()  # the error log is per thread and keeps earlier files' errors
    row_number = 0
    try:
        if shape.row_tag is not None:
            try:
                for row_number, row in enumerate(walk(path, shape, prolog.encoding, shape.row_tag), 1):  # noqa: B007
                    yield row
                return
            except MixedRowTags:
                pass  # the rows read so far precede the first other tag: skip them in the generic walk
        done = row_number
        for row_number, row in enumerate(walk(path, shape, prolog.encoding, None), 1):
            if row_number > done:
                yield row
    except etree.XMLSyntaxError as e:
        raise BadTableFile(name, _syntax_reason(e, path, prolog), row=row_number + 1) from None
    except DuplicateColumn as e:
        raise BadTableFile(name, e.reason(), row=row_number + 1, column=e.column) from None


def _syntax_reason(e: etree.XMLSyntaxError, path: Path, prolog: Prolog) -> str:
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
    for pattern, words in LIBXML_WORDS:
        match = pattern.search(message)
        if match:
            return f"{words.format(*match.groups())} ({where})"
    if "encoding" in lowered or "not proper" in lowered or "invalid byte" in lowered or "bytes:" in lowered:
        if prolog.declared is None:
            return (f"des octets ne sont pas en UTF-8 ({where}) : le fichier ne déclare pas son encodage, UTF-8 a donc "
                    "été supposé ; s'il est écrit en Windows-1252 ou ISO-8859-1, ajoutez en tête "
                    "<?xml version=\"1.0\" encoding=\"windows-1252\"?>")
        shown = prolog.declared.upper() + ("" if _ENCODINGS[prolog.declared] == prolog.declared
                                           else f", lu comme {prolog.encoding.upper()}")
        if prolog.bom:
            shown = "UTF-8 (marque d'ordre des octets en tête)"
        return f"des octets ne sont pas dans l'encodage déclaré {shown} ({where})"
    if "entity" in lowered:
        return f"il utilise une entité non déclarée, refusée ({where})"
    return f"le XML est mal formé ({where} ; message de l'analyseur : {message.strip()})"


# libxml2's messages for what the main server's writers get wrong, said in French (the rest keep their English
# after a French sentence).
LIBXML_WORDS = [(re.compile(pattern, re.I), words) for pattern, words in (
    (r"Extra content at the end of the document", "il a plusieurs éléments racines : un fichier XML n'en a qu'un, "
     "qui contient les lignes (SQL Server : FOR XML RAW, ROOT('t_article') ; ou un fichier écrit deux fois bout à "
     "bout ?)"),
    (r"PCDATA invalid Char value (\d+)", "il contient le caractère de contrôle n°{0}, interdit en XML (un code lu "
     "par un lecteur de code-barres, un texte collé) : retirez-le, ou écrivez-le comme le dit docs/format.md"),
    (r"invalid (?:xmlChar|char) value (\d+)", "il contient le caractère de contrôle n°{0}, interdit en XML"),
    (r"StartTag: invalid element name", "un « < » ouvre un nom d'élément invalide : dans un texte, « < » s'écrit "
     "&lt; (SimpleXML addChild, une concaténation de chaînes ?)"),
    (r"Sequence '\]\]>' not allowed in content", "la suite « ]]> » est interdite dans un texte : écrivez-la "
     "]]&gt;"),
    (r"xmlParseEntityRef: no name|EntityRef: expecting ';'", "un « & » seul dans un texte : il s'écrit &amp; "
     "(SimpleXML addChild ne l'échappe pas ; htmlspecialchars() ou un nœud texte le fait)"),
    (r"Opening and ending tag mismatch: (\S+) line (\d+) and (\S+)", "la balise <{0}> ouverte à la ligne {1} est "
     "fermée par </{2}>"),
    (r"Premature end of data in tag (\S+)", "le fichier s'arrête avant la fin de la balise <{0}> : il est tronqué "
     "(envoi interrompu ?)"),
    (r"EndTag: '</' not found|expected '>'", "une balise n'est pas fermée correctement"),
    (r"Couldn't find end of Start Tag (\S+)", "la balise <{0}> n'est pas fermée correctement"),
    (r"AttValue: \" or ' expected|attributes construct error", "un attribut est mal écrit (sa valeur doit être "
     "entre guillemets)"),
    (r"Attribute (\S+) redefined", "l'attribut {0} apparaît deux fois dans le même élément"),
    (r"Document is empty|Start tag expected, '<' not found", "ce n'est pas un document XML (aucun élément)"),
    (r"Char 0x0 out of allowed range|Char 0x([0-9A-F]+) out of allowed range", "il contient un caractère interdit "
     "en XML"),
    (r"XML declaration allowed only at the start", "la déclaration <?xml ... ?> n'est pas au tout début du "
     "fichier (une ligne vide ou des espaces avant, deux fichiers bout à bout ?)"),
)]


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
