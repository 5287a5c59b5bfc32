"""The fiscal core (FISCAL.md): the key, the chains of every record that counts, the technical event log
(JET), the verifier, closings by period and archives. Versioned apart from the software (R28): FISCAL_VERSION
is printed on every document and written in every link."""

from __future__ import annotations

from caisse.common import version as software

FISCAL_VERSION = "1.3"
# 1.1: closings by period, the business date in a day's closing, archives, purge
# 1.2: the Z frozen in the day's closing record, relevés of every register's heads in the server's journal, heads
#      files with the commit under way, the float taken from the signed opening, Z originals chained
# 1.3: a ticket's discount and a line's variant, seller, forced price, discount's reason and reference price in the
#      ticket's record (records.TICKET_MORE, LINE_MORE: present when set, so that earlier records stay as signed)


def signature_line() -> str:
    """`Caisse web 0.3.0 · noyau fiscal 1.2` (R27: every printed document names both versions)."""
    return f"{software.SOFTWARE} {software.VERSION} · noyau fiscal {FISCAL_VERSION}"
