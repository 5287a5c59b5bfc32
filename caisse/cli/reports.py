"""`caisse report`: the Z, the X, and the monthly and yearly closings, shown or printed (a reprint is recorded with
its operator)."""

from __future__ import annotations

from caisse.cli.common import login as _login
from caisse.cli.common import print_status as _printed
from caisse.common.errors import BadArgument
from caisse.fiscal import periods
from caisse.paper.printing import printer_words
from caisse.rules import auth
from caisse.services.home import open_store
from caisse.services.workflow import (
    consult_z,
    period_document,
    print_pending,
    print_period,
    print_x,
    print_z,
    x_document,
    z_document,
)


def cmd_report(args, settings) -> int:
    store = open_store(settings)
    if args.kind in ("month", "year"):
        return report_period(args, settings, store)
    if args.print and not args.user:
        raise BadArgument("Imprimer un rapport demande l'identifiant de celui qui imprime (--user LOGIN) : une "
                          "réimpression est enregistrée avec son auteur.")
    if not args.print:
        lines = consult_z(store, settings, args.caisse, args.numero, args.user) if args.kind == "z" else \
            x_document(store, settings, args.caisse).lines
        print("\n".join(lines))
        return 0
    store, user, _ = _login(args, settings)
    if args.kind == "x":
        printed = print_x(store, settings, args.caisse, user)
    else:
        auth.require(user, "CAISSE_FERMER")  # before the pending originals: they print for this operator's asking
        pending = print_pending(store, settings)
        for done in pending:
            print(f"Document original imprimé (la fermeture avait été interrompue avant) : {done.text_path}.")
        wanted = z_document(store, settings, args.caisse, args.numero).ref
        if any(p.text_path.stem == wanted for p in pending):
            return 0  # the original just printed was the one asked for
        printed = print_z(store, settings, args.caisse, user, args.numero)
    print(printed.text_path.read_text(encoding="utf-8"), end="")
    return _printed(printed, f"Imprimé ({printer_words(settings.printer)})")


def report_period(args, settings, store) -> int:
    kind = periods.MONTH if args.kind == "month" else periods.YEAR
    if not args.periode or periods.parse_period(args.periode)[0] != kind:
        wanted = "le mois avec --periode 2026-11" if kind == periods.MONTH else "l'exercice avec --periode 2026"
        raise BadArgument(f"Indiquez {wanted}.")
    if not args.print:
        print("\n".join(period_document(store, settings, args.caisse, kind, args.periode).lines))
        return 0
    if not args.user:
        raise BadArgument("Imprimer une clôture demande l'identifiant de celui qui imprime (--user LOGIN).")
    store, user, _ = _login(args, settings)
    printed = print_period(store, settings, args.caisse, kind, args.periode, user)
    print(printed.text_path.read_text(encoding="utf-8"), end="")
    return _printed(printed, f"Imprimé ({printer_words(settings.printer)})")
