"""A validated table kept on disk until it is loaded, so an import's memory stays bounded.

An import validates every file of the lot before it changes anything (DESIGN section 5). Keeping each
validated table in memory until then made a 1M-line file cost its whole typed table (about 270 MB) on
top of the database's own work. Instead each batch is appended to an Arrow stream file as it is read,
and the load streams the files back into DuckDB. Extra columns can appear in the middle of a file; an
Arrow stream holds one schema, so a new file starts whenever the columns change.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa

from .contracts import Contract
from .xmlread import BATCH_ROWS, DEFAULT_MAX_MB, Resolve, iter_tables

PREVIEW_ROWS = 5


@dataclass
class Staged:
    """A validated table: where its batches are, how many rows, its first rows, every column in order."""

    table: str
    files: list[Path] = field(default_factory=list)
    rows: int = 0
    preview: list[dict] = field(default_factory=list)
    columns: list[str] = field(default_factory=list)

    def readers(self) -> Iterator[pa.RecordBatchReader]:
        """One reader per file: its batches come off the disk one at a time."""
        for path in self.files:
            with pa.OSFile(str(path)) as source:
                yield pa.ipc.open_stream(source)

    def read_all(self) -> pa.Table:
        """The whole table in memory (for small tables and tests)."""
        tables = [reader.read_all() for reader in self.readers()]
        return pa.concat_tables(tables, promote_options="default") if tables else pa.table({})

    def remove(self) -> None:
        for path in self.files:
            path.unlink(missing_ok=True)


def stage(path: Path, contract: Contract, folder: Path, *, max_mb: float = DEFAULT_MAX_MB,
          batch_rows: int = BATCH_ROWS, progress: Callable[[int], None] | None = None) -> Staged:
    """Read and validate one table file into Arrow stream files in `folder`; raises BadTableFile."""
    staged = stage_file(path, {contract.name: contract, path.stem: contract}.get, folder, max_mb=max_mb,
                        batch_rows=batch_rows, progress=progress)
    return staged.get(contract.name) or Staged(contract.name, columns=contract.column_names)


def stage_file(path: Path, resolve: Resolve, folder: Path, *, max_mb: float = DEFAULT_MAX_MB,
               batch_rows: int = BATCH_ROWS, progress: Callable[[int], None] | None = None,
               notes: Callable[[str], None] | None = None) -> dict[str, Staged]:
    """Read and validate every table of a file (one, or a whole `mysqldump --xml`) into Arrow stream files
    in `folder`; {table: Staged}. Raises BadTableFile, and then leaves no file behind.

    `progress(rows)` is called after each batch with the rows of the file validated so far."""
    folder.mkdir(parents=True, exist_ok=True)
    staged: dict[str, Staged] = {}
    writers: dict[str, tuple] = {}  # table -> (writer, schema)
    total = 0
    try:
        for _, contract, batch in iter_tables(path, resolve, max_mb=max_mb, batch_rows=batch_rows, notes=notes):
            one = staged.setdefault(contract.name, Staged(contract.name))
            writer, schema = writers.get(contract.name, (None, None))
            if batch.schema != schema:
                if writer is not None:
                    writer.close()
                one.files.append(folder / f"{contract.name}.{len(one.files)}.arrow")
                writer, schema = pa.ipc.new_stream(str(one.files[-1]), batch.schema), batch.schema
                writers[contract.name] = (writer, schema)
                one.columns += [n for n in batch.schema.names if n not in one.columns]
            writer.write_table(batch)
            if len(one.preview) < PREVIEW_ROWS:
                one.preview += batch.slice(0, PREVIEW_ROWS - len(one.preview)).to_pylist()
            one.rows += batch.num_rows
            total += batch.num_rows
            if progress:
                progress(total)
    except BaseException:
        for writer, _ in writers.values():
            writer.close()
        for one in staged.values():
            one.remove()
        raise
    for writer, _ in writers.values():
        writer.close()
    for one in staged.values():
        if not one.files:
            one.columns = resolve(one.table).column_names
    return staged
