"""Each contender runs alone in a child process: `python -m benchmarks.contenders NAME FILE`.

It prints one JSON line: seconds of work (imports excluded), rows, peak resident memory.
"""

from __future__ import annotations

import json
import resource
import sys
import tempfile
import time
from pathlib import Path


def import_ours(path: Path) -> int:
    """Our reader, then the same DuckDB load as `caisse import` (one transaction)."""
    import duckdb

    from caisse.store import replace_table
    from pipeline import contract_for, read_arrow
    contract = contract_for("t_article")
    with tempfile.TemporaryDirectory() as tmp:
        con = duckdb.connect(f"{tmp}/bench.duckdb")
        con.execute(contract.ddl())
        con.begin()
        rows = replace_table(con, "t_article", read_arrow(path, contract))
        con.commit()
        con.close()
    return rows


def import_pandas(path: Path) -> int:
    """pandas.read_xml (lxml parser) then a DuckDB insert of the frame."""
    import duckdb
    import pandas as pd
    frame = pd.read_xml(path, parser="lxml", encoding="iso-8859-1")  # it ignores the XML declaration
    with tempfile.TemporaryDirectory() as tmp:
        con = duckdb.connect(f"{tmp}/bench.duckdb")
        con.register("frame", frame)
        con.execute("CREATE TABLE t_article AS SELECT * FROM frame")
        rows = con.execute("SELECT count(*) FROM t_article").fetchall()[0][0]
        con.close()
    return rows


def parse_floor(path: Path) -> int:
    """Bare lxml iterparse building nothing: what any lxml-based reader must at least pay."""
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
    name, file = sys.argv[1], Path(sys.argv[2])
    # Import the libraries before the clock starts: process start is not what is compared here.
    import duckdb  # noqa: F401
    import lxml.etree  # noqa: F401
    import pandas  # noqa: F401
    import pyarrow  # noqa: F401
    started = time.perf_counter()
    rows = CONTENDERS[name](file)
    seconds = time.perf_counter() - started
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"seconds": seconds, "rows": rows, "peak_mb": peak_mb}))
