"""The row shapes the main server's writers produce, recognised once at the start of a file, and the walk
that turns each row into a dict {column: text} in the same streaming pass.

- columns as child elements: our writer, pandas `to_xml`, PHP's DOMDocument, .NET's `DataSet.WriteXml`
  (its inline `<xs:schema>` is skipped; with a schema, each row's tag names its table);
- columns as attributes (`<row id_article="1" code="A1"/>`);
- `<field name="col">` children: `mysqldump --xml` (rows in `mysqldump/database/table_data name="t"`, one
  file may hold a whole database) and `mysql --xml -e` (rows in `resultset`); NULL is `xsi:nil="true"`;
- `<column name="col">` children: phpMyAdmin's XML export (rows `<table name="t">` in
  `pma_xml_export/database`); it writes NULL as the text `NULL`.

Anything else is refused with a sentence naming what was seen and the shapes accepted.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import asdict, dataclass
from operator import attrgetter, methodcaller
from pathlib import Path

from lxml import etree

from .errors import BadTableFile

XSI = "http://www.w3.org/2001/XMLSchema-instance"
XS_SCHEMA = "{http://www.w3.org/2001/XMLSchema}schema"
PARSE_OPTIONS = dict(resolve_entities=False, no_network=True, load_dtd=False, remove_comments=True,
                     remove_pis=True, huge_tree=False)
ACCEPTED = ("une ligne par élément, colonnes en éléments (<row><code>A1</code></row>) ou en attributs "
            "(<row code=\"A1\"/>) ; mysqldump --xml et mysql --xml (<field name=\"code\">) ; l'export XML de "
            "phpMyAdmin (<column name=\"code\">) ; DataSet.WriteXml de .NET, avec ou sans schéma")

_TAG_TEXT = attrgetter("tag", "text")
_TEXT = attrgetter("text")
_NAME = methodcaller("get", "name")


@dataclass(frozen=True)
class Shape:
    """Where a file's rows are and how their columns are written.

    `path`: the rows' ancestors from the root, as (tag, attributes, namespace declarations); the last is
    the rows' container. `table_from`: where a row's table is named ("container": the container's `name`,
    mysqldump; "row": the row's `name`, phpMyAdmin; "tag": the row's tag, a DataSet with its schema;
    None: the file is one table, named after the file)."""

    writer: str
    path: tuple[tuple[str, tuple[tuple[str, str], ...], tuple[tuple[str, str], ...]], ...]
    row_tag: str | None
    named: str | None = None  # "field" or "column": columns are <named name="col">text</named>
    null_text: str | None = None  # a text that means NULL (phpMyAdmin's "NULL")
    table_from: str | None = None
    skip: tuple[str, ...] = ()  # children of the container that are not rows

    @property
    def depth(self) -> int:
        """The rows' depth (the root's children are at depth 2)."""
        return len(self.path) + 1

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> Shape:
        path = tuple((tag, tuple(map(tuple, attrs)), tuple(map(tuple, ns))) for tag, attrs, ns in data["path"])
        return cls(**{**data, "path": path, "skip": tuple(data["skip"])})


class DuplicateColumn(Exception):
    """A row names a column twice (a JOIN's two `code`, one label per language): the reader refuses it with
    the row's number; keeping one of them would be silently wrong."""

    def __init__(self, column: str, how: str = ""):
        super().__init__(column)
        self.column, self.how = column, how

    def reason(self) -> str:
        hint = self.how or ("deux colonnes du même nom dans une ligne : une requête qui joint deux tables ayant "
                            "chacune cette colonne (mysql --xml d'un JOIN) ? donnez-leur des alias")
        return f"la colonne {self.column} apparaît deux fois dans la même ligne ({hint})"


class MixedRowTags(Exception):
    """Rows of more than one tag: the fast walk hands over to the generic one."""


class OtherTable(Exception):
    """A row of another table than the one a part was cut for: the part reader hands over to one process."""


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _entry(el) -> tuple:
    parent_ns = el.getparent().nsmap if el.getparent() is not None else {}
    declared = tuple(sorted((p or "", uri) for p, uri in el.nsmap.items() if parent_ns.get(p) != uri))
    return el.tag, tuple(el.attrib.items()), declared


def _describe(el) -> str:
    chain = []
    while el is not None:
        chain.append(f"<{_local(el.tag)}>")
        el = el.getparent()
    return "".join(reversed(chain))


def unrecognised(name: str, seen: str) -> BadTableFile:
    return BadTableFile(name, f"sa forme n'est pas reconnue ({seen}). Formes acceptées : {ACCEPTED}")


def detect(path: Path, encoding: str, columns: set[str] | None = None) -> Shape | None:
    """The shape of a file, from its first rows; None for a table with no row. Raises BadTableFile for a
    DTD or a shape that is not recognised. `columns`: the table's column names (lower case), when known: a lone
    root whose attributes are such columns is a row without its root."""
    name = path.name
    root = None
    for event, el in etree.iterparse(str(path), events=("start", "end"), encoding=encoding, **PARSE_OPTIONS):
        if root is None:
            root = el
            if el.getroottree().docinfo.doctype:
                raise BadTableFile(name, "il contient une déclaration DTD (<!DOCTYPE), interdite pour des raisons "
                                         "de sécurité")
        if event != "end":
            wrapped = _wrapper_shape(root, el)  # mysqldump and phpMyAdmin say their shape before any row
            if wrapped is not None:
                return wrapped
            continue
        if el is root:
            if root.tag == "mysqldump":
                raise unrecognised(name, "un fichier mysqldump sans aucune <table_data> : a-t-il été écrit avec "
                                         "--no-data ?")
            if root.tag == "pma_xml_export":
                raise unrecognised(name, "un export phpMyAdmin sans <database> de données : cochez « Données » "
                                         "dans ses options d'export")
            named = [k for k in root.attrib if k[0] != "{" and (columns is None or k.lower() in columns)]
            if named and _local(root.tag).lower() != path.stem.lower() and (columns is not None or len(named) > 1):
                raise unrecognised(name, f"un seul élément <{_local(root.tag)}> dont les attributs "
                                         f"({', '.join(named[:4])}) sont des colonnes : c'est une ligne sans "
                                         "élément racine autour (SQL Server FOR XML RAW sans ROOT('table') ?)")
            continue  # an empty table: read to the end, so that a second root (rows without a root) is seen
        shape = _shape_of_row(name, root, el)
        if shape is not None:
            return shape
    return None  # a table with no row (nothing after its root: a second root is an XML error, said in French)


def _wrapper_shape(root, el) -> Shape | None:
    """The shape of a mysqldump or phpMyAdmin file, known at the start of its first data container."""
    parent = el.getparent()
    if root.tag == "mysqldump" and el.tag == "table_data" and parent is not None and parent.getparent() is root:
        return Shape("mysqldump --xml", (_entry(root), _entry(parent), _entry(el)), "row", "field",
                     table_from="container")
    if root.tag == "pma_xml_export" and el.tag == "database" and parent is root:
        return Shape("phpMyAdmin", (_entry(root), _entry(el)), "table", "column", null_text="NULL",
                     table_from="row")
    return None


def _shape_of_row(name: str, root, el) -> Shape | None:
    """The shape when `el`, just ended, is the file's first row; None when it is not a row (yet)."""
    parent = el.getparent()
    if root.tag in ("mysqldump", "pma_xml_export"):
        return None  # their rows are found from their data containers
    top = el
    while top.getparent() is not root:
        top = top.getparent()
    if top.tag == XS_SCHEMA:
        return None  # .NET's inline schema: skipped
    if parent is not root:
        if parent.getparent() is not root:
            raise unrecognised(name, f"des éléments imbriqués sur plus de deux niveaux : {_describe(el)}")
        return None  # a column of the first row
    children = list(el)
    for child in children:
        if len(child):
            raise unrecognised(name, f"des éléments imbriqués sur plus de deux niveaux : {_describe(child[0])}")
    dataset = any(sibling.tag == XS_SCHEMA for sibling in root)
    writer = "DataSet .NET" if dataset else ("mysql --xml" if root.tag == "resultset" else "éléments")
    named = next((c.tag for c in children if c.tag in ("field", "column")), None)
    if named:
        _check_named(name, el, named)
    elif not children:
        if not [k for k in el.attrib if k[0] != "{"]:
            raise unrecognised(name, f"des lignes <{_local(el.tag)}> sans aucune colonne (ni élément enfant, ni "
                                     "attribut) : le fichier n'est-il qu'une ligne, sans élément racine autour "
                                     "(SQL Server FOR XML PATH sans ROOT('table') ?)")
        writer = "attributs"
    return Shape(writer, (_entry(root),), el.tag, named, table_from="tag" if dataset else None,
                 skip=(XS_SCHEMA,) if dataset else ())


def _check_named(name: str, row, tag: str) -> None:
    for child in row:
        if child.tag != tag or child.get("name") is None:
            raise unrecognised(name, f"la ligne {_describe(row)} mêle <{tag} name=\"...\"> et "
                                     f"<{_local(child.tag)}>{'' if child.get('name') else ' sans attribut name'}")


def _row_builder(shape: Shape):
    if shape.named:
        def build(el):
            row = dict(zip(map(_NAME, el), map(_TEXT, el)))
            if len(row) != len(el):
                _twice([c.get("name") for c in el])
            return row
        return build

    def build(el):
        row = dict(map(_TAG_TEXT, el))
        if len(row) != len(el):
            _twice([c.tag for c in el], el)
        if el.attrib:  # attributes are columns; namespaced ones (.NET's msdata:rowOrder...) are not
            attributes = {k: v for k, v in el.attrib.items() if k[0] != "{"}
            if not attributes.keys().isdisjoint(row):
                raise DuplicateColumn(next(iter(attributes.keys() & row.keys())), "en attribut et en élément")
            row = {**attributes, **row}
        if row and next(iter(row))[0] == "{":  # columns in a namespace: their local names
            local = {_local(k): v for k, v in row.items()}
            if len(local) != len(row):
                _twice([_local(k) for k in row])
            row = local
        return row
    return build


def _twice(names: list[str], row=None) -> None:
    seen = set()
    for column in names:
        if column in seen:
            languages = [c.get("{http://www.w3.org/XML/1998/namespace}lang") for c in row if c.tag == column] \
                if row is not None else []
            how = (f"une par langue, xml:lang {' et '.join(repr(x) for x in languages if x)} : une seule est lue "
                   "par le serveur caisse, donnez aux autres un autre nom (libelle_en)") if any(languages) else ""
            raise DuplicateColumn(_local(column) if column else "sans nom", how)
        seen.add(column)


def _is_container(parent, shape: Shape) -> bool:
    if len(shape.path) == 1:
        return parent.getparent() is None
    if parent.tag != shape.path[-1][0]:
        return False
    return sum(1 for _ in parent.iterancestors()) == len(shape.path) - 1


def walk(source, shape: Shape, encoding: str, tag: str | None, expect: str | None = None
         ) -> Iterator[tuple[str | None, dict]]:
    """(table, row) of each row of a file (a path or a binary stream), in order; table is None when the
    file's shape names none. A mysqldump table also gives (table, None) when its data ends, so that a table
    with no row is seen. With `tag`, only elements of that tag are considered (one Python event per row
    instead of one per value) and MixedRowTags is raised at the first row of another tag. With `expect`,
    OtherTable is raised at the first row of another table."""
    build = _row_builder(shape)
    skip = shape.skip
    table_from = shape.table_from
    container = None
    table = None
    marker = shape.path[-1][0] if table_from == "container" else None
    tags = (tag, marker) if tag is not None and marker is not None else tag
    source = str(source) if isinstance(source, Path) else source
    for _, el in etree.iterparse(source, events=("end",), tag=tags, encoding=encoding, **PARSE_OPTIONS):
        parent = el.getparent()
        if parent is None:
            break
        if el.tag == marker and _is_container(el, shape):
            if expect is None or el.get("name") == expect:
                yield el.get("name"), None
            el.clear()
            continue
        if parent is not container:
            if not _is_container(parent, shape):
                continue  # a column (or a column named like the rows), or inside a skipped element
            if container is not None and container is not parent:
                container.clear()  # the previous table of a mysqldump file
            container = parent
            if table_from == "container":
                table = parent.get("name")
        if el.tag in skip:
            continue
        while (previous := el.getprevious()) is not None:
            if tag is not None and previous.tag != tag and previous.tag not in skip:
                raise MixedRowTags
            del container[0]
        if table_from == "row":
            table = el.get("name")
        elif table_from == "tag":
            table = _local(el.tag)
        if expect is not None and table != expect:
            raise OtherTable(table)
        yield table, build(el)
        el.clear()
    if tag is not None and container is not None and any(c.tag != tag and c.tag not in skip for c in container):
        raise MixedRowTags
