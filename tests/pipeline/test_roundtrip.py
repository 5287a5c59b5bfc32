"""For every contract, read(write(frame)) equals the frame as the reader normalises values (XML white space
trimmed at both ends of texts, empty as NULL): accents, markup, quotes, NULLs, control characters, zero rows,
large decimals."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import pandas as pd
import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipeline import CONTRACTS, read_table, write_table
from pipeline.values import garbled

TRICKY = ["Crème brûlée", "<b>&amp;</b>", "l'été \"chaud\"", "ligne\r\nsuivante", "\x00\x1d\x1f", "\uf8ff\uf700",
          " espace "]
# Text nobody could mean (C1 controls, U+FFFD, UTF-8 read byte by byte) is refused by the reader on purpose.
TEXT = (st.text(st.characters(exclude_categories=("Cs",)), min_size=1, max_size=12) | st.sampled_from(TRICKY)) \
    .filter(lambda v: garbled(v) is None)
VALUES = {
    "INT": st.integers(-(2**63), 2**63 - 1),
    "DEC": st.decimals(min_value=Decimal("-9999999999999999.99"), max_value=Decimal("9999999999999999.99"),
                       places=2, allow_nan=False, allow_infinity=False),
    "QTY": st.decimals(min_value=Decimal("-999999999999999.999"), max_value=Decimal("999999999999999.999"),
                       places=3, allow_nan=False, allow_infinity=False),
    "TXT": TEXT,
    "DATE": st.dates(),
    "TS": st.datetimes(min_value=datetime(1900, 1, 1), max_value=datetime(2200, 1, 1)),
    "BOOL": st.booleans(),
}
RULES = {"identifiant": st.from_regex(r"\A[A-Za-z0-9][A-Za-z0-9_@-]{0,20}\Z"),
         "taux": st.decimals(min_value=0, max_value=100, places=2, allow_nan=False, allow_infinity=False)}
XML_SPACE = " \t\r\n"


def normalised(frame: pd.DataFrame, contract) -> pd.DataFrame:
    """What the reader gives back: texts trimmed of XML white space, NULL when nothing is left, a line break as
    XML reads one (CR LF and CR alone are LF); an extra column that is NULL on every row is not in the file."""
    out = frame.copy()
    for name in out.columns:
        unwritten = name not in contract.by_name and out[name].isna().all()
        if str(out[name].dtype).startswith("string"):
            values = [None if v is None or pd.isna(v) or not v.strip(XML_SPACE) else
                      v.strip(XML_SPACE).replace("\r\n", "\n").replace("\r", "\n") for v in out[name]]
            out[name] = pd.Series(values, dtype=out[name].dtype, index=out.index)
        if unwritten:  # NULL on every row: no element of it is written
            out = out.drop(columns=[name])
    return out


@st.composite
def frames(draw, contract):
    n = draw(st.integers(0, 6))
    columns = {}
    for column in contract.columns:
        values = RULES[column.rule] if column.rule else VALUES[column.type]
        if column.type == "TXT" and column.required:  # a key or a required value stays what it was once read
            values = values.filter(lambda v: v.strip(XML_SPACE) == v != "")
        if column.name in contract.primary_key:
            values = st.lists(values, min_size=n, max_size=n, unique=True)
        else:
            values = st.lists(values if column.required else st.none() | values, min_size=n, max_size=n)
        columns[column.name] = pa.array(draw(values), column.arrow_type)
    if n and draw(st.booleans()):  # a file of zero rows cannot say which extra columns it would have had
        columns["colonne_en_plus"] = pa.array(draw(st.lists(st.none() | TEXT, min_size=n, max_size=n)), pa.string())
    return pa.table(columns).to_pandas(types_mapper=pd.ArrowDtype)


@pytest.mark.parametrize("name", CONTRACTS)
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_reading_what_was_written_gives_the_same_frame(tmp_path, name, data):
    contract = CONTRACTS[name]
    frame = data.draw(frames(contract))
    path = tmp_path / f"{name}.xml"
    written = write_table(frame, path, name)
    back = read_table(path, contract)
    assert written.rows == len(frame)
    pd.testing.assert_frame_equal(back, normalised(frame, contract), check_dtype=True)


def test_written_files_follow_the_exchange_format(tmp_path):
    frame = pd.DataFrame({"id_caisse": [1], "code": ["C<1>&"], "libelle": [None], "id_emplacement": [2],
                          "actif": [True]})
    written = write_table(frame, tmp_path / "t_caisse.xml")
    text = (tmp_path / "t_caisse.xml").read_text(encoding="utf-8")
    assert text.startswith('<?xml version="1.0" encoding="UTF-8"?>\n<t_caisse>\n<row>')
    assert "<code>C&lt;1&gt;&amp;</code><id_emplacement>" in text and text.endswith("</t_caisse>\n")  # NULL: absent
    assert written.rows == 1 and len(written.sha256) == 64


def test_many_batches_built_in_parallel_are_written_in_order(tmp_path):
    import hashlib

    rows = 10 * 997
    table = pa.table({"id_caisse": pa.array(range(rows), pa.int64()),
                      "code": pa.array([f"C{i}" for i in range(rows)], pa.string()),
                      "libelle": pa.array([f"L{i}\r&" if i % 7 else None for i in range(rows)], pa.string())})
    path = tmp_path / "t_caisse.xml"
    written = write_table(table.to_batches(max_chunksize=997), path)
    back = read_table(path)
    assert written.rows == rows and list(back.id_caisse) == list(range(rows))
    assert back.libelle.iloc[1] == "L1\n&" and back.libelle.isna().iloc[0]
    assert written.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
