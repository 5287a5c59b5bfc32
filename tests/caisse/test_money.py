"""Money is Decimal end to end: random tickets (1,000 in the suite; CAISSE_MONEY_TICKETS=10000 for the deep run
before a release), every total checked against Decimal sums made here, then the closing and the exported lot."""

from __future__ import annotations

import os
import random
from decimal import ROUND_CEILING, ROUND_HALF_UP, Decimal

from caisse.rules.articles import WHOLE_UNITS
from caisse.rules.closing import close_day, read_summary
from caisse.rules.payments import PaymentRequest as Pay
from caisse.rules.sales import LineRequest, connect_seller, ring_ticket
from pipeline import read_table
from pipeline.demo import write_demo_shop
from tests.caisse.helpers import export, users

TICKETS = int(os.environ.get("CAISSE_MONEY_TICKETS", "1000"))  # about 40 ms each
CENT = Decimal("0.01")
QUANTITIES = [Decimal(q) for q in ("1", "1", "2", "3", "0.5", "1.25", "0.333", "12")]


def test_thousands_of_random_tickets_add_up_to_the_cent(imported, opened, tmp_path):
    write_demo_shop(tmp_path / "ref")
    articles = read_table(tmp_path / "ref" / "t_article.xml")
    rates = dict(zip(*read_table(tmp_path / "ref" / "tr_tva.xml")[["id_tva", "taux"]].T.values))
    units = dict(zip(*read_table(tmp_path / "ref" / "t_unite.xml")[["id_unite", "code"]].T.values))
    catalogue = [(r.code, r.prix_ttc, rates[r.id_tva], units.get(r.id_unite) in WHOLE_UNITS)
                 for r in articles.itertuples() if r.actif and r.code.startswith("ART")]  # no model sold by size
    assert {whole for *_, whole in catalogue} == {True, False}  # pieces and weights both drawn
    manager, seller = users(opened)
    connect_seller(opened, "C01", seller)
    rng = random.Random(20261123)
    cash_in, total_all, ht_all = Decimal("150.00"), Decimal("0"), Decimal("0")
    for _ in range(TICKETS):
        lines, total, total_ht = [], Decimal("0"), Decimal("0")
        for _ in range(rng.randint(1, 4)):
            code, price, rate, whole = rng.choice(catalogue)
            quantity = rng.choice(QUANTITIES)
            if whole:  # a piece is sold by whole numbers
                quantity = quantity.to_integral_value(ROUND_CEILING)
            gross = (quantity * price).quantize(CENT, ROUND_HALF_UP)
            discount = min(gross, Decimal(rng.choice([0, 0, 0, 5, 10, 99])) / 100)
            amount = gross - discount
            lines.append(LineRequest(code, quantity, discount, motif="GESTE"))
            total += amount
            total_ht += (amount * 100 / (100 + rate)).quantize(CENT, ROUND_HALF_UP)
        style = rng.randrange(3) if total >= Decimal("0.02") else 3
        if style == 3:  # a fully discounted ticket needs no payment at all
            payments, change = ([Pay("CB", total)] if total else []), Decimal("0")
        elif style == 0:
            payments, change = [Pay("CB", total)], Decimal("0")
        elif style == 1:
            handed = (total / 10).to_integral_value(rounding="ROUND_CEILING") * 10 + 10
            payments, change = [Pay("ESP", handed)], handed - total
            cash_in += total
        else:
            card = (total / 2).quantize(CENT)
            payments, change = [Pay("CB", card), Pay("ESP", total - card + Decimal("5"))], Decimal("5")
            cash_in += total - card
        ticket = ring_ticket(opened, "C01", seller, lines, payments, approver=manager)  # any discount
        assert (ticket.total_ttc, ticket.total_ht, ticket.rendu) == (total, total_ht, change), ticket.numero
        total_all += total
        ht_all += total_ht
    summary = read_summary(opened, "C01")
    assert (summary.nb_tickets, summary.total_ttc, summary.especes_theorique) == (TICKETS, total_all, cash_in)
    close_day(opened, "C01", manager, especes=cash_in, force=True)
    lot = export(imported, opened, manager)
    folder = imported.local_drop_dir / "export" / "C01" / lot.lot
    tickets = read_table(folder / "t_ticket.xml")
    assert len(tickets) == TICKETS
    assert tickets.total_ttc.sum() == total_all and tickets.total_ht.sum() == ht_all
    assert read_table(folder / "t_journee.xml").total_ttc.iloc[0] == total_all
    assert read_table(folder / "t_ligne_ticket.xml").montant_ttc.sum() == total_all
