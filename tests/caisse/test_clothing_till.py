"""The clothing shop's till (issue 24): variants by barcode and by grid, discounts under ceilings with reasons and a
manager's approval, forced prices, a seller per line, the reference price of a markdown, and all of it in the
receipt, the Z, the export and the chains."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from lxml import etree

from caisse.common.config import load_settings
from caisse.common.errors import SaleRefused
from caisse.fiscal.records import canonical
from caisse.paper.receipts import receipt_lines
from caisse.rules.auth import login
from caisse.rules.day_report import day_report
from caisse.rules.discounts import ApprovalNeeded
from caisse.rules.drafts import TicketDiscount
from caisse.rules.payments import PaymentRequest as Pay
from caisse.rules.sales import LineRequest, connect_seller, ring_ticket
from caisse.rules.sessions import open_session, resume
from caisse.services import till
from caisse.services.home import open_store
from caisse.services.sync import run_import
from pipeline.demo import DEMO_USERS, demo_tables, write_demo_shop
from tests.caisse.helpers import D, breaks, close_exact, export, new_lot, users

SHIRT_M_BLUE = "3780000100029"
SELLER2 = DEMO_USERS[2]
IDLE = timedelta(minutes=15)


def ean(store, code: str, taille: str, couleur: str | None = None) -> str:
    with store.connect() as con:
        return con.execute("SELECT d.ean FROM t_declinaison d JOIN t_article a USING (id_article) WHERE a.code = ? "
                           "AND d.taille = ? AND (? IS NULL OR d.couleur = ?)", [code, taille, couleur, couleur]
                           ).fetchall()[0][0]


@pytest.fixture
def counter(opened):
    manager, seller = users(opened)
    connect_seller(opened, "C01", seller)
    return opened, seller, manager


@pytest.fixture
def token(counter):
    """A seller's session on C01, as the Connecter button makes it."""
    store, seller, _ = counter
    with store.connect() as con:
        connection = con.execute("SELECT id_connexion FROM connexion WHERE fin IS NULL AND id_utilisateur = ?",
                                 [seller.id_utilisateur]).fetchall()[0][0]
    return open_session(store, seller, "C01", connection)


def do(store, token, **command):
    return till.run(store, load_settings(), resume(store, token, IDLE), command)


def ringing(store, token):
    return till.counter(store, resume(store, token, IDLE)).ticket


def sent_lines(settings, result):
    """The exported lot's t_ligne_ticket rows, as the main server receives them."""
    return etree.parse(str(settings.local_drop_dir / "export" / "C01" / result.lot / "t_ligne_ticket.xml")).getroot()


def test_a_variants_ean_sells_the_model_in_its_size_and_colour_down_to_the_export(counter, imported):
    store, seller, manager = counter
    shoes = ean(store, "BASK-CUIR", "42")
    ticket = ring_ticket(store, "C01", seller, [LineRequest(SHIRT_M_BLUE), LineRequest(shoes)],
                         [Pay("CB", D("138.90"))])
    assert [(li.code, li.taille, li.couleur, li.montant_ttc) for li in ticket.lines] == [
        ("CHEM-OXF", "M", "Bleu ciel", D("49.90")), ("BASK-CUIR", "42", "Noir", D("89.00"))]
    with store.connect() as con:
        text = "\n".join(receipt_lines(con, ticket.id_ticket))
        rows = con.execute("SELECT id_declinaison, taille, couleur, id_vendeur FROM t_ligne_ticket ORDER BY num_ligne"
                           ).fetchall()
    assert "Chemise Oxford M, Bleu ciel" in text and "Baskets cuir 42, Noir" in text
    assert [r[0] for r in rows] == [10002, 10000 + 8 + 7] and {r[3] for r in rows} == {seller.id_utilisateur}
    close_exact(store, manager, force=True)
    lines = sent_lines(imported, export(imported, store, manager))
    assert sorted(el.findtext("id_declinaison") for el in lines) == ["10002", "10015"]
    assert {el.findtext("id_vendeur") for el in lines} == {str(seller.id_utilisateur)}


def test_a_suppliers_barcode_and_the_variants_own_price_resolve(counter):
    store, seller, _ = counter
    supplier = demo_tables()["t_code_barre"][0][0]["code_barre"]
    xl = ean(store, "CHEM-OXF", "XL", "Blanc")
    ticket = ring_ticket(store, "C01", seller, [LineRequest(supplier), LineRequest(xl)], [Pay("CB", D("104.80"))])
    assert [(li.taille, li.couleur, li.prix_unitaire_ttc) for li in ticket.lines] == [
        ("M", "Bleu ciel", D("49.90")), ("XL", "Blanc", D("54.90"))]


def test_a_model_sold_by_size_is_never_sold_without_one(counter):
    store, seller, _ = counter
    with pytest.raises(SaleRefused, match="par taille et couleur"):
        ring_ticket(store, "C01", seller, [LineRequest("CHEM-OXF")], [Pay("CB", D("49.90"))])


def test_the_models_code_opens_its_grid_and_a_pick_or_another_size_changes_the_line(token, counter):
    store, seller, _ = counter
    grid = do(store, token, kind="scan", text="CHEM-OXF").grid
    assert grid["sizes"] == ["S", "M", "L", "XL"] and grid["colours"] == ["Bleu ciel", "Blanc"]
    assert grid["cells"][1][3]["price"] == "54,90" and grid["cells"][0][0]["price"] == "49,90"
    added = do(store, token, kind="pick", code=grid["cells"][0][1]["code"])
    assert added.ok and "Chemise Oxford M, Bleu ciel" in added.message
    other = do(store, token, kind="size_grid", num=1)
    assert other.grid["command"] == {"kind": "change_size", "num": 1}
    changed = do(store, token, kind="change_size", num=1, code=grid["cells"][1][3]["code"])
    assert changed.ok, changed.message
    assert [(li.taille, li.couleur, li.montant_ttc) for li in ringing(store, token).lines] == [
        ("XL", "Blanc", D("54.90"))]
    refused = do(store, token, kind="change_size", num=1, code="ART00001")
    assert not refused.ok and "n'est pas une taille" in refused.message


def three_rates(store) -> list[str]:
    with store.connect() as con:
        return [r[0] for r in con.execute(
            "SELECT arg_min(a.code, a.id_article) FROM t_article a JOIN tr_tva t USING (id_tva) JOIN t_unite u "
            "USING (id_unite) WHERE u.code = 'U' AND coalesce(a.actif, true) AND t.taux IN (20, 5.5, 2.1) "
            "GROUP BY t.taux ORDER BY t.taux").fetchall()]


def test_a_ticket_discount_of_10_percent_keeps_the_vat_per_rate_exact_to_the_cent(counter):
    store, seller, manager = counter
    codes = three_rates(store)
    assert len(codes) == 3
    connect_seller(store, "C01", manager)
    lines = [LineRequest(codes[0], D(3)), LineRequest(codes[1], D(2)), LineRequest(codes[2], D(1))]
    plain = ring_ticket(store, "C01", seller, lines, [Pay("ESP", D("500"))])
    discounted = ring_ticket(store, "C01", manager, lines, [Pay("ESP", D("500"))],
                             discount=TicketDiscount(None, D(10), "SOLDES"))
    expected = plain.total_ttc - (plain.total_ttc * D("0.10")).quantize(D("0.01"))
    assert discounted.total_ttc == expected and discounted.remise_ticket == plain.total_ttc - expected
    assert sum(li.remise_ticket for li in discounted.lines) == discounted.remise_ticket
    with store.connect() as con:
        per_line = con.execute("SELECT l.taux_tva, sum(l.montant_ht), sum(l.montant_ttc) FROM t_ligne_ticket l "
                               "GROUP BY 1 ORDER BY 1").fetchall()
        _, id_journee = con.execute("SELECT id_caisse, id_journee FROM t_journee").fetchall()[0]
        report = day_report(con, "X", id_journee)
        text = "\n".join(receipt_lines(con, discounted.id_ticket))
    assert report.vat == per_line and len(per_line) == 3
    assert sum(ttc for _, _, ttc in report.vat) == plain.total_ttc + discounted.total_ttc
    assert "Remise ticket 10 % (SOLDES)" in text and "Part remise ticket" in text
    assert ("motif", "SOLDES", discounted.remise_ticket) in report.remises


def test_a_discount_above_the_sellers_ceiling_needs_a_manager_on_the_spot_recorded_with_both(counter):
    store, seller, manager = counter
    over = LineRequest("ART00001", D(1), taux_remise=D(25), motif="GESTE")  # ceiling 20 % on a line
    with pytest.raises(ApprovalNeeded, match="dépasse votre plafond"):
        ring_ticket(store, "C01", seller, [over], [Pay("ESP", D("20"))])
    with pytest.raises(SaleRefused, match="n'a pas le droit d'autoriser"):
        ring_ticket(store, "C01", seller, [over], [Pay("ESP", D("20"))], approver=seller)
    done = ring_ticket(store, "C01", seller, [over], [Pay("ESP", D("20"))], approver=manager)
    assert done.lines[0].remise == D("2.68") and done.lines[0].motif_remise == "GESTE"
    with store.connect() as con:
        event = con.execute("SELECT login, detail FROM jet WHERE code = 178").fetchall()
    assert event == [(seller.login, f"remise sur {done.lines[0].libelle} (motif GESTE) : 2,68 € (25 %) sur une ligne, "
                                    f"autorisée par {manager.login} (la remise de 2,68 € (25 %) sur une ligne dépasse "
                                    "votre plafond (20 %, 30,00 €))")]
    within = ring_ticket(store, "C01", seller, [LineRequest("ART00001", D(1), taux_remise=D(10), motif="soldes")],
                         [Pay("ESP", D("20"))])
    assert within.lines[0].motif_remise == "SOLDES"
    with pytest.raises(SaleRefused, match="toujours un motif"):
        ring_ticket(store, "C01", seller, [LineRequest("ART00001", D(1), taux_remise=D(10))], [Pay("ESP", D("20"))])


def test_ceilings_per_group_come_from_tr_parametre_and_a_bad_one_refuses_the_lot(counter, imported):
    store, seller, manager = counter
    close_exact(store, manager, force=True)
    export(imported, store, manager)
    tables = demo_tables()
    tables["tr_parametre"][0].append({"cle": "remise_max_ligne_pct.2", "valeur": "5"})
    write_demo_shop(imported.local_drop_dir, lot=new_lot(), tables=tables)
    run_import(open_store(imported), imported, "C01", manager.login, DEMO_USERS[0].password)
    from caisse.rules.opening import open_day
    open_day(store, "C01", manager, D("150.00"))
    connect_seller(store, "C01", seller)
    with pytest.raises(ApprovalNeeded, match=r"plafond \(5 %"):
        ring_ticket(store, "C01", seller, [LineRequest("ART00001", D(1), taux_remise=D(6), motif="GESTE")],
                    [Pay("ESP", D("20"))])
    from caisse.common.errors import CaisseError
    from caisse.rules import parameters
    with pytest.raises(CaisseError, match="remise_max_ticket_pct « 120 »"):
        parameters.check({"remise_max_ticket_pct": "120"})


def test_a_forced_price_needs_its_right_and_is_recorded_as_such_and_printed_as_a_discount(counter):
    store, seller, manager = counter
    forced = LineRequest(SHIRT_M_BLUE, D(1), prix_force=D("39.90"), motif="DEFAUT")
    with pytest.raises(ApprovalNeeded, match="forcer un prix"):
        ring_ticket(store, "C01", seller, [forced], [Pay("CB", D("39.90"))])
    done = ring_ticket(store, "C01", seller, [forced], [Pay("CB", D("39.90"))], approver=manager)
    line = done.lines[0]
    assert (line.prix_unitaire_ttc, line.prix_force, line.remise, line.montant_ttc) == (
        D("49.90"), D("39.90"), D("10.00"), D("39.90"))
    with store.connect() as con:
        text = "\n".join(receipt_lines(con, done.id_ticket))
        assert con.execute("SELECT count(*) FROM jet WHERE code = 179").fetchall() == [(1,)]
    assert "1 x 49,90 €" in text and "Prix remisé 39,90 €" in text and "Motif : DEFAUT" in text
    connect_seller(store, "C01", manager)
    by_manager = ring_ticket(store, "C01", manager, [forced], [Pay("CB", D("39.90"))])
    assert by_manager.lines[0].prix_force == D("39.90")


def test_a_sellers_badge_names_the_next_lines_and_the_z_and_export_carry_the_seller(token, counter, imported):
    store, seller, manager = counter
    second = login(store, SELLER2.login, SELLER2.password)
    connect_seller(store, "C01", second)
    do(store, token, kind="scan", text="ART00001")
    badge = do(store, token, kind="scan", text=SELLER2.login)
    assert badge.ok and badge.message == "Vendeur des prochaines lignes : Julie Petit."
    do(store, token, kind="scan", text="ART00002")
    assert [li.vendeur for li in ringing(store, token).lines] == ["Paul Durand", "Julie Petit"]
    assert do(store, token, kind="line_seller", num=1, login=SELLER2.login).ok
    assert do(store, token, kind="pay", code="CB").ok
    assert do(store, token, kind="validate").ok
    with store.connect() as con:
        assert con.execute("SELECT DISTINCT id_vendeur FROM t_ligne_ticket").fetchall() == [(second.id_utilisateur,)]
        id_journee = con.execute("SELECT id_journee FROM t_journee").fetchall()[0][0]
    close_exact(store, manager, force=True)
    with store.connect() as con:
        report = day_report(con, "Z", id_journee)
    assert [name for name, _, _ in report.par_vendeur] == ["Julie Petit"]
    sent = sent_lines(imported, export(imported, store, manager))
    assert {el.findtext("id_vendeur") for el in sent} == {str(second.id_utilisateur)}


def test_a_markdown_prints_the_lowest_price_of_the_30_days_before_it(counter, imported):
    store, seller, manager = counter
    close_exact(store, manager, force=True)
    export(imported, store, manager)
    later = datetime.now() + timedelta(days=40)
    tables = demo_tables()
    shirt = next(row for row in tables["t_article"][0] if row["code"] == "CHEM-OXF")
    shirt["prix_ttc"] = "39,90"
    write_demo_shop(imported.local_drop_dir, lot=new_lot(), tables=tables)
    preview = run_import(open_store(imported), imported, "C01", manager.login, DEMO_USERS[0].password, now=later,
                         preview=True)
    assert preview.preview and (preview.prices.up, preview.prices.down, preview.prices.new) == (0, 1, 0)
    assert preview.prices.first[0][:2] == ("CHEM-OXF", "Chemise Oxford")
    assert list(imported.local_drop_dir.iterdir()), "a preview leaves the lot where it is"
    with store.connect() as con:
        assert con.execute("SELECT prix_ttc FROM t_article WHERE code = 'CHEM-OXF'").fetchall() == [(D("49.90"),)]
    applied = run_import(open_store(imported), imported, "C01", manager.login, DEMO_USERS[0].password, now=later)
    assert applied.prices.down == 1 and not applied.preview
    from caisse.rules.opening import open_day
    open_day(store, "C01", manager, D("150.00"), now=later)
    connect_seller(store, "C01", seller, now=later)
    sold = ring_ticket(store, "C01", seller, [LineRequest(SHIRT_M_BLUE)], [Pay("CB", D("39.90"))],
                       now=later + timedelta(days=3))
    assert sold.lines[0].prix_reference == D("49.90")
    with store.connect() as con:
        text = "\n".join(receipt_lines(con, sold.id_ticket))
    assert "Prix de référence : 49,90 €" in text


def test_r07_a_lines_variant_discount_and_seller_are_in_its_chained_record(counter):
    store, seller, _ = counter
    done = ring_ticket(store, "C01", seller, [LineRequest(SHIRT_M_BLUE, D(1), D("5.00"), motif="GESTE")],
                       [Pay("CB", D("43.90"))], discount=TicketDiscount(D("1.00"), None, "FIDELITE"))
    with store.connect() as con:
        record = canonical(con, "ticket", 1, [done.id_ticket])[done.id_ticket]
    assert record["ticket"][-1] == {"remise_ticket": D("1.00"), "motif_remise": "FIDELITE"}
    assert record["lignes"][0][-1] == {"id_declinaison": 10002, "taille": "M", "couleur": "Bleu ciel",
                                       "id_vendeur": seller.id_utilisateur, "motif_remise": "GESTE",
                                       "remise_ticket": D("1.00"), "prix_reference": D("49.90")}
    assert breaks(store) == []
    for change in ("motif_remise = 'SOLDES'", "id_vendeur = 3", "taille = 'L'", "remise_ticket = 0.50"):
        with store.transaction() as con:
            con.execute(f"UPDATE t_ligne_ticket SET {change}")
        assert any("ticket n°" in b for b in breaks(store)), change
        with store.transaction() as con:
            con.execute("UPDATE t_ligne_ticket SET motif_remise = 'GESTE', id_vendeur = ?, taille = 'M', "
                        "remise_ticket = 1.00", [seller.id_utilisateur])
    assert breaks(store) == []


def test_the_readmes_clothing_sale_from_the_command_line_and_its_refusals(settings):
    from tests.caisse.test_cli import caisse
    from tests.conftest import MANAGER, SELLER

    def run(*args, user=MANAGER, expect=0, env=None):
        done = caisse(*args, password=user.password, env=env)
        assert done.returncode == expect, done.stdout + done.stderr
        return done

    run("init", "--demo")
    seen = run("import", "--caisse", "C01", "--user", MANAGER.login, "--apercu")
    assert "Aperçu seulement" in seen.stdout and "Prix : 2" in seen.stdout
    run("import", "--caisse", "C01", "--user", MANAGER.login)
    run("open", "--caisse", "C01", "--user", MANAGER.login, "--fond", "150,00")
    sell = ["sell", "--caisse", "C01", "--user", SELLER.login]
    done = run(*sell, "--article", "3780000100029:remise=10%:motif=SOLDES", "--article", "3780000100159",
               "--remise-ticket", "5,00", "--motif", "FIDELITE", "--pay", "CB=128,91", user=SELLER)
    assert "Ticket n°1 validé : 128,91 €." in done.stdout
    over = run(*sell, "--article", "3780000100029:remise=25%:motif=SOLDES", "--pay", "CB=37,42", user=SELLER,
               expect=1)
    assert "dépasse votre plafond" in over.stderr and "responsable" in over.stderr
    allowed = run(*sell, "--article", "3780000100029:remise=25%:motif=SOLDES", "--pay", "CB=37,42",
                  "--responsable", MANAGER.login, user=SELLER, env={"CAISSE_RESPONSABLE_PASSWORD": MANAGER.password})
    assert "Ticket n°2 validé : 37,42 €." in allowed.stdout
    bad = run(*sell, "--article", "ART00001:rabais=2", "--pay", "CB=10,70", user=SELLER, expect=2)
    assert "mal écrit" in bad.stderr and "remise (10% ou 5,00)" in bad.stderr
    model = run(*sell, "--article", "CHEM-OXF", "--pay", "CB=49,90", user=SELLER, expect=1)
    assert "se vend par taille et couleur" in model.stderr


def test_a_return_takes_back_the_variant_its_seller_and_the_price_actually_paid(counter):
    from caisse.rules.returns import return_goods
    store, seller, manager = counter
    sold = ring_ticket(store, "C01", seller, [LineRequest(SHIRT_M_BLUE, D(2), taux_remise=D(10), motif="SOLDES")],
                       [Pay("CB", D("87.82"))], discount=TicketDiscount(D("2.00"), None, "FIDELITE"))
    back = return_goods(store, "C01", seller, refund="AVOIR", reason="Taille", sale=str(sold.numero),
                        quantities={1: D(1)}).ticket
    line = back.lines[0]
    assert (line.taille, line.couleur, line.vendeur, line.motif_remise) == ("M", "Bleu ciel", "Paul Durand", "SOLDES")
    assert line.montant_ttc == -D("43.91") and line.remise_ticket == -D("1.00")  # half of 87.82 paid for two


def test_r21_a_month_archive_carries_variants_discounts_and_sellers_and_verifies_standalone(settings, store,
                                                                                            manager, seller):
    from caisse.fiscal.archive import public_key_hex
    from caisse.rules.closing import close_day, read_summary
    from caisse.rules.opening import open_day
    from caisse.services.workflow import finish_day
    from tests.caisse.test_periods import verifier
    day = datetime(2027, 1, 4, 9)
    open_day(store, "C01", manager, D("150.00"), now=day)
    connect_seller(store, "C01", seller, now=day)
    ring_ticket(store, "C01", seller, [LineRequest(SHIRT_M_BLUE, D(1), taux_remise=D(10), motif="SOLDES")],
                [Pay("CB", D("43.91"))], now=day + timedelta(minutes=5),
                discount=TicketDiscount(D("1.00"), None, "FIDELITE"))
    close_day(store, "C01", manager, especes=read_summary(store, "C01").especes_theorique, force=True,
              now=day + timedelta(hours=9))
    open_day(store, "C01", manager, D("150.00"), now=datetime(2027, 2, 1, 9))
    finish_day(store, settings, "C01", manager, especes=read_summary(store, "C01").especes_theorique)
    archive = settings.home / "archives" / "C01" / "C01-2027-01.xml"
    root = etree.parse(str(archive)).getroot()
    line = root.find(".//ligne")
    assert (line.get("taille"), line.get("motif_remise"), line.get("remise_ticket")) == ("M", "SOLDES", "1.00")
    assert root.find(".//ticket").get("motif_remise") == "FIDELITE"
    with store.connect() as con:
        key = public_key_hex(con)
    done = verifier(archive, "--cle-publique", key)
    assert done.returncode == 0 and "Intacte" in done.stdout, done.stdout + done.stderr


def test_a_discount_never_grows_past_the_ceiling_by_a_later_change_of_the_ticket(counter):
    """The family: euros kept on fewer pieces, a percentage of a basket that grew, a size changed, a discount slipped
    into the line's addition; each asks for a manager (or is refused), and what a manager let through stays."""
    from caisse.rules import drafts
    from caisse.rules.sales import pay_ticket
    store, seller, manager = counter
    draft = drafts.start_draft(store, "C01", seller)
    drafts.add_to_draft(store, draft, seller, LineRequest(SHIRT_M_BLUE, D(3)))  # 149,70 €
    drafts.discount_line(store, draft, seller, 1, (D("25.00"), None), "GESTE")  # 16,7 %: within 20 % and 30 €
    with pytest.raises(ApprovalNeeded, match="50,1 %"):
        drafts.set_quantity(store, draft, seller, 1, D(1))  # 25 € on one shirt of 49,90 €
    drafts.set_quantity(store, draft, seller, 1, D(1), approver=manager)
    drafts.set_quantity(store, draft, seller, 1, D(2))  # back to 25 % of two: within what was let through
    drafts.set_quantity(store, draft, seller, 1, D(1))
    xl = ean(store, "CHEM-OXF", "XL", "Blanc")
    drafts.change_variant(store, draft, seller, 1, f"declinaison:{10004}")  # the XL: the same 25 € still approved
    drafts.discount_ticket(store, draft, seller, (None, D(10)), "FIDELITE")  # 10 % of 29,90 € (the line after)
    drafts.add_to_draft(store, draft, seller, LineRequest(xl, D(5)))  # the basket grows: 10 % is now 30,44 €
    with pytest.raises(ApprovalNeeded, match="sur le ticket"):
        pay_ticket(store, draft, seller, [Pay("CB", D("273.96"))])
    done = pay_ticket(store, draft, seller, [Pay("CB", D("273.96"))], approver=manager)
    assert done.remise_ticket == D("30.44") and done.total_ttc == D("273.96")
    with pytest.raises(SaleRefused, match="se donne sur la ligne"):
        drafts.add_to_draft(store, drafts.start_draft(store, "C01", seller), seller,
                            LineRequest(SHIRT_M_BLUE, D(1), D("40.00")))
    with store.connect() as con:
        assert con.execute("SELECT count(*) FROM jet WHERE code = 178").fetchall() == [(2,)]
