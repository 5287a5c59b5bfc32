"""One large table file read on every core.

lxml takes the GIL for every element it parses, so threads do not add up (two parsing threads took 4x
one thread's time, measured); processes do. The file is cut just before a `<row` start tag near each
1/n of its size. The first part is read here, by the caller's process; each other part is read by a
child process (`python -m pipeline.xmlparts`) with the same code and written as Arrow batches to a
temporary file, which is read back once the parts before it are done, so batches come in file order.

A cut is trusted only if both sides parse: a `<row` inside a comment or a CDATA section, a column named
like the rows, rows of another tag... make a part fail to parse, and then the caller reads the rest of
the file in one process (`PartFailed`), which also gives the exact line of a genuine XML error. The
parts can only speed up a file, never read it differently. Conversion errors (a bad amount, a missing
required value) come back from a child with the row counted from its part, and are given the row of
the file.
"""

from __future__ import annotations

import ctypes
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from xml.sax.saxutils import quoteattr

import pyarrow as pa

from .contracts import Column, Contract
from .errors import BadTableFile
from .shapes import DuplicateColumn, MixedRowTags, OtherTable, Shape, walk
from .values import to_arrow

MIN_PART_BYTES = 4 * 1024 * 1024  # below this, starting a process costs more than it saves
# A child needs about 0.5 s to start (Python, pyarrow, lxml): the caller's process, already running, reads
# about this many more bytes meanwhile, so its part is that much longer and every part ends together.
HEAD_START_BYTES = 10 * 1024 * 1024
MAX_PARTS = 8
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_.-]*")
_WINDOW = 1 << 20
_ROOT = Path(__file__).resolve().parent.parent
BAD_ROWS_EXIT = 2  # a child found a value or a row that refuses the file: its JSON is on stderr


class PartFailed(Exception):
    """A part could not be read as cut: the caller reads the rest of the file in one process."""


@dataclass(frozen=True)
class Part:
    start: int
    end: int
    prefix: bytes  # what the parser reads before the part's bytes: a declaration and the rows' ancestors' start tags
    suffix: bytes  # and after them: their end tags
    tag: str  # the rows' tag


def _openings(shape: Shape) -> tuple[bytes, bytes] | None:
    """The start tags of the rows' ancestors (attributes and namespace declarations included) and their end
    tags, or None when a tag or an attribute is in a namespace (not worth the care)."""
    opening, closing = [], []
    for tag, attributes, declared in shape.path:
        if not _NAME.fullmatch(tag) or any(not _NAME.fullmatch(k) for k, _ in attributes):
            return None
        names = "".join(f" xmlns:{p}={quoteattr(uri)}" if p else f" xmlns={quoteattr(uri)}" for p, uri in declared)
        values = "".join(f" {k}={quoteattr(v)}" for k, v in attributes)
        opening.append(f"<{tag}{names}{values}>")
        closing.insert(0, f"</{tag}>")
    try:
        return "".join(opening).encode("ascii"), "".join(closing).encode("ascii")
    except UnicodeEncodeError:
        return None


def expected_table(shape: Shape) -> str | None:
    """The table of a part's rows, when the shape names tables on the rows' container (mysqldump)."""
    return dict(shape.path[-1][1]).get("name") if shape.table_from == "container" else None


def plan(path: Path, encoding: str, shape: Shape, parts: int | None = None) -> list[Part] | None:
    """Where to cut the file, or None to read it in one process."""
    size = path.stat().st_size
    head = HEAD_START_BYTES if size > 4 * HEAD_START_BYTES else 0
    if parts is None:
        cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
        parts = min(cores, MAX_PARTS, max(size - HEAD_START_BYTES, 0) // MIN_PART_BYTES)
    if parts < 2 or shape.table_from == "row":
        return None  # phpMyAdmin names the table on every row: read in one process
    row = shape.row_tag
    tags = _openings(shape)
    if row is None or tags is None or not _NAME.fullmatch(row):
        return None
    cuts = [0]
    with open(path, "rb") as f:
        for k in range(1, parts):
            cut = _next_row_start(f, max(head + (size - head) * k // parts, cuts[-1] + 1), row.encode("ascii"))
            if cut is None:
                break
            cuts.append(cut)
    if len(cuts) < 2:
        return None
    cuts.append(size)
    opening = f'<?xml version="1.0" encoding="{encoding}"?>'.encode("ascii") + tags[0]
    closing = tags[1]
    return [Part(start, end, b"" if i == 0 else opening, b"" if end == size else closing, row)
            for i, (start, end) in enumerate(zip(cuts, cuts[1:]))]


def _next_row_start(f, offset: int, row: bytes) -> int | None:
    pattern = re.compile(b"<" + re.escape(row) + rb"[\s/>]")
    while True:
        f.seek(offset)
        window = f.read(_WINDOW + len(row) + 1)
        if len(window) <= len(row) + 1:
            return None
        found = pattern.search(window)
        if found:
            return offset + found.start()
        offset += _WINDOW


class PartStream:
    """A part as the parser sees it: our opening, the file's bytes from start to end, our closing."""

    def __init__(self, path: Path, part: Part):
        self.name = str(path)
        self._file = open(path, "rb")
        self._file.seek(part.start)
        self._left = part.end - part.start
        self._head, self._tail = part.prefix, part.suffix

    def read(self, size: int = -1) -> bytes:
        if self._head:
            data, self._head = self._head, b""
            return data
        if self._left > 0:
            data = self._file.read(self._left if size < 0 else min(size, self._left))
            self._left -= len(data)
            if data:
                return data
            self._left = 0
        data, self._tail = self._tail, b""
        return data

    def close(self) -> None:
        self._file.close()


def part_batches(path: Path, part: Part, contract: Contract, shape: Shape, encoding: str, batch_rows: int,
                 expect: str | None = None) -> Iterator[pa.Table]:
    """The typed batches of one part; row numbers in errors count from the part's first row.

    Raises PartFailed when the part does not parse as cut, or holds rows of another table than `expect`."""
    from lxml import etree
    stream = PartStream(path, part)
    extras: list[str] = []
    rows: list[dict] = []
    first_row = 1
    try:
        for _, row in walk(stream, shape, encoding, part.tag, expect):
            if row is None:
                continue  # the end of the table's data
            rows.append(row)
            if len(rows) >= batch_rows:
                yield to_arrow(rows, first_row, path.name, contract, extras, shape.null_text)
                first_row += len(rows)
                rows = []
        if rows:
            yield to_arrow(rows, first_row, path.name, contract, extras, shape.null_text)
    except (etree.XMLSyntaxError, MixedRowTags, OtherTable) as e:
        raise PartFailed(str(e)) from None
    except DuplicateColumn as e:
        raise BadTableFile(path.name, e.reason(), row=first_row + len(rows), column=e.column) from None
    finally:
        stream.close()


def read_parts(path: Path, contract: Contract, shape: Shape, encoding: str, parts: list[Part], batch_rows: int,
               expect: str | None = None) -> Iterator[pa.Table]:
    """Every part's batches in file order: the first part here, the others in child processes."""
    with tempfile.TemporaryDirectory(prefix="caisse-parts-") as tmp:
        children = [_start(path, part, contract, shape, encoding, batch_rows, Path(tmp) / f"part{i}.arrow", expect)
                    for i, part in enumerate(parts[1:], 1)]
        try:
            offset = 0
            for table in part_batches(path, parts[0], contract, shape, encoding, batch_rows, expect):
                offset += table.num_rows
                yield table
            for child, output in children:
                for table in _finish(child, output, path.name, offset):
                    offset += table.num_rows
                    yield table
        finally:
            for child, _ in children:
                if child.poll() is None:
                    child.kill()
                child.wait()


def _start(path: Path, part: Part, contract: Contract, shape: Shape, encoding: str, batch_rows: int, output: Path,
           expect: str | None):
    spec = {"parent": os.getpid(), "path": str(path), "start": part.start, "end": part.end,
            "prefix": part.prefix.decode("ascii"), "suffix": part.suffix.decode("ascii"), "tag": part.tag,
            "batch_rows": batch_rows, "output": str(output), "contract": _contract_spec(contract),
            "shape": shape.to_dict(), "encoding": encoding, "expect": expect}
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(_ROOT), os.environ.get("PYTHONPATH")]))}
    child = subprocess.Popen([sys.executable, "-m", "pipeline.xmlparts"], stdin=subprocess.PIPE,
                             stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
    child.stdin.write(json.dumps(spec).encode())
    child.stdin.close()
    return child, output


def _finish(child: subprocess.Popen, output: Path, name: str, offset: int) -> Iterator[pa.Table]:
    error = child.stderr.read()
    code = child.wait()
    if code == BAD_ROWS_EXIT:
        bad = json.loads(error.decode().strip().splitlines()[-1])
        raise BadTableFile(name, bad["reason"], row=None if bad["row"] is None else offset + bad["row"],
                           column=bad["column"])
    if code != 0:
        raise PartFailed(error.decode(errors="replace").strip()[-500:])
    with pa.memory_map(str(output)) as source:
        reader = pa.ipc.open_stream(source)
        for batch in reader:
            yield pa.Table.from_batches([batch])


def _contract_spec(contract: Contract) -> dict:
    return {"name": contract.name, "role": contract.role, "primary_key": list(contract.primary_key),
            "columns": [[c.name, c.type, c.required, c.rule] for c in contract.columns],
            "max_extras": contract.max_extras}


def _contract_from(spec: dict) -> Contract:
    return Contract(spec["name"], tuple(Column(n, t, r, rule) for n, t, r, rule in spec["columns"]),
                    tuple(spec["primary_key"]), spec["role"], max_extras=spec["max_extras"])


def _die_with(parent: int) -> None:
    """Linux: end this process if the caller's dies (killed mid-import), instead of parsing for nobody."""
    try:
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        return
    if os.getppid() != parent:  # it died before the line above
        sys.exit(1)


def _child() -> int:
    """Read one part (its description on stdin) into an Arrow stream file."""
    spec = json.loads(sys.stdin.read())
    _die_with(spec["parent"])
    part = Part(spec["start"], spec["end"], spec["prefix"].encode("ascii"), spec["suffix"].encode("ascii"),
                spec["tag"])
    contract = _contract_from(spec["contract"])
    writer = schema = None
    try:
        for table in part_batches(Path(spec["path"]), part, contract, Shape.from_dict(spec["shape"]),
                                  spec["encoding"], spec["batch_rows"], spec["expect"]):
            if writer is None:
                schema = table.schema
                writer = pa.ipc.new_stream(spec["output"], schema)
            elif table.schema != schema:  # extras appeared after the first batch: a stream holds one schema
                raise PartFailed("extra columns vary within the part")
            writer.write_table(table)
        if writer is None:
            writer = pa.ipc.new_stream(spec["output"], contract.arrow_schema())
    except BadTableFile as e:
        print(json.dumps({"reason": e.reason, "row": e.row, "column": e.column}), file=sys.stderr)
        return BAD_ROWS_EXIT
    finally:
        if writer is not None:
            writer.close()
    return 0


if __name__ == "__main__":
    sys.exit(_child())
