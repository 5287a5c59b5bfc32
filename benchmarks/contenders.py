"""Each import contender runs alone in a child process: `python -m benchmarks.contenders NAME KIND FILE`.

KIND is `t_article` or `lignes22` (benchmarks.data). It prints one JSON line: seconds of work (imports
excluded), rows, and the peak resident memory of the process and of any process it started.
"""

from __future__ import annotations

import json
import sys
import tempfile
import time
from pathlib import Path

from .common import peak_mb


def import_ours(path: Path, kind: str) -> int:
    """What `caisse import` does with a file: validate it into Arrow files (its parts on every core), then
    stream them into DuckDB in one transaction."""
    import duckdb

    from caisse.storage.store import replace_table
    from pipeline.staging import stage

    from .data import contract_of
    contract = contract_of(kind)
    with tempfile.TemporaryDirectory() as tmp:
        staged = stage(path, contract, Path(tmp) / "validees")
        con = duckdb.connect(f"{tmp}/bench.duckdb")
        con.execute(contract.ddl())
        con.begin()
        rows = replace_table(con, contract.name, staged)
        con.commit()
        con.close()
    return rows


def import_pandas(path: Path, kind: str) -> int:
    """pandas.read_xml (lxml parser) then a DuckDB insert of the frame."""
    import duckdb
    import pandas as pd
    encoding = "iso-8859-1" if kind == "t_article" else "utf-8"  # read_xml ignores the XML declaration
    frame = pd.read_xml(path, parser="lxml", encoding=encoding)
    with tempfile.TemporaryDirectory() as tmp:
        con = duckdb.connect(f"{tmp}/bench.duckdb")
        con.register("frame", frame)
        con.execute("CREATE TABLE imported AS SELECT * FROM frame")
        rows = con.execute("SELECT count(*) FROM imported").fetchall()[0][0]
        con.close()
    return rows


def parse_floor(path: Path, kind: str) -> int:
    """Bare lxml iterparse building nothing: what any lxml-based reader pays in one process."""
    from lxml import etree
    rows = 0
    for _, el in etree.iterparse(str(path), events=("end",), tag="row"):
        rows += 1
        el.clear()
        while el.getprevious() is not None:
            del el.getparent()[0]
    return rows


CONTENDERS = {"ours": import_ours, "pandas.read_xml+insert": import_pandas, "parse floor (lxml)": parse_floor}


if __name__ == "__main__":
    name, kind, file = sys.argv[1], sys.argv[2], Path(sys.argv[3])
    # Import the libraries before the clock starts: process start is not what is compared here.
    import duckdb  # noqa: F401
    import lxml.etree  # noqa: F401
    import pandas  # noqa: F401
    import pyarrow  # noqa: F401
    started = time.perf_counter()
    rows = CONTENDERS[name](file, kind)
    seconds = time.perf_counter() - started
    print(json.dumps({"seconds": seconds, "rows": rows, "peak_mb": peak_mb()}))
