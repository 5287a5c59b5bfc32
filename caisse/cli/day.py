"""The `caisse` commands of a register's day: import, open, sell, void, return, move, close, export, and the
printer's test page. Loaded by caisse/cli/main.py only when one of them runs, so that `caisse status` starts
without the sales, the printer and the import pipeline."""

from __future__ import annotations

import sys

from caisse.cli.arguments import article_request, drawer_count, payment_request, return_line
from caisse.cli.common import login as _login
from caisse.cli.common import password as _password
from caisse.cli.common import print_status as _printed
from caisse.cli.common import secret
from caisse.common.errors import BadArgument, ConfigError, ExportFailed
from caisse.common.money import eur, parse_amount, plural
from caisse.paper.printing import printer_words
from caisse.rules import auth
from caisse.rules.corrections import MOVE_TYPES
from caisse.rules.discounts import typed_discount
from caisse.rules.drafts import TicketDiscount
from caisse.rules.returns import REFUNDS
from caisse.rules.sales import connect_seller, disconnect_seller, ring_ticket
from caisse.services.after_sale import return_and_print, void_and_print
from caisse.services.export import run_export
from caisse.services.home import open_store
from caisse.services.open_register import open_register
from caisse.services.sync import run_import
from caisse.services.workflow import finish_day, print_pending, print_receipt, print_test_page, record_cash_move


def cmd_import(args, settings) -> int:
    password = _password(args)
    result = run_import(open_store(settings), settings, args.caisse, args.user, password, echo=print,
                        reapply=args.reapply, preview=args.apercu)
    if result.prices and result.prices.first:
        print("Prix qui changent (les plus grands écarts) :")
        for code, label, variant, before, after in result.prices.first:
            print(f"  {code:<14} {(label + ' ' + variant).strip()[:36]:<36} {eur(before):>12} -> {eur(after)}")
    for warning in result.warnings:
        print(f"Attention : {warning}", file=sys.stderr)
    return 0


def _pending(settings) -> None:
    """The original Z of a day whose closing was cut short before its print (the next start prints it)."""
    for printed in print_pending(open_store(settings), settings):
        print(f"Document original imprimé (la fermeture avait été interrompue avant) : {printed.text_path}.")


def cmd_open(args, settings) -> int:
    fond = parse_amount(args.fond, "Le fond de caisse")
    _pending(settings)
    opened = open_register(open_store(settings), settings, args.caisse, args.user, _password(args), fond, echo=print)
    print(f"Caisse {opened.caisse} ouverte par {opened.user.display}, fond de caisse {eur(opened.fond)}.")
    return 0


def cmd_sell(args, settings) -> int:
    lines, payments = [article_request(a) for a in args.article], [payment_request(p) for p in args.pay]
    discount = None
    if args.remise_ticket:
        euros, pct = typed_discount(args.remise_ticket)
        discount = TicketDiscount(euros, pct, args.motif)
    store, user, _ = _login(args, settings)
    approver = None
    if args.responsable:
        approver = auth.login(store, args.responsable, manager_password(args.responsable), caisse=args.caisse,
                              sign_in=False)
    connection = connect_seller(store, args.caisse, user, separate=True)  # its own: a tablet's stays as it is
    try:
        ticket = ring_ticket(store, args.caisse, user, lines, payments, discount=discount, approver=approver)
    finally:
        disconnect_seller(store, connection)
    print(f"Ticket n°{ticket.numero} validé : {eur(ticket.total_ttc)}"
          + (f", rendu {eur(ticket.rendu)}" if ticket.rendu else "")
          + (f", reste du chèque cadeau {eur(ticket.reste_cheque)}" if ticket.reste_cheque else "") + ".")
    _receipt(store, settings, ticket, user)
    return 0


def _receipt(store, settings, ticket, user) -> None:
    printed = print_receipt(store, settings, ticket, user)
    if printed.warning:
        print(f"Attention : le ticket n°{ticket.numero} est validé, mais {printed.warning}", file=sys.stderr)


def cmd_void(args, settings) -> int:
    store, user, _ = _login(args, settings)
    void = void_and_print(store, settings, args.caisse, user, args.ticket, args.reason)
    print(f"Ticket n°{args.ticket} annulé par le ticket n°{void.ticket.numero} ({eur(void.ticket.total_ttc)}, "
          f"{args.reason}).")
    if void.warning:
        print(f"Attention : l'annulation est enregistrée, mais {void.warning}", file=sys.stderr)
    return 0


def cmd_return(args, settings) -> int:
    if (args.ticket is None) == (not args.article):
        raise BadArgument("Indiquez le ticket de la vente (--ticket, avec --line) ou des articles sans ticket "
                          "(--article), l'un ou l'autre.")
    quantities = dict(return_line(item) for item in args.line) if args.ticket is not None else None
    articles = [article_request(a) for a in args.article] if args.article else None
    store, user, _ = _login(args, settings)
    connection = connect_seller(store, args.caisse, user, separate=True)
    try:
        done = return_and_print(store, settings, args.caisse, user, refund=args.refund, reason=args.reason,
                                sale=args.ticket, quantities=quantities, articles=articles)
    finally:
        disconnect_seller(store, connection)
    print(f"Retour enregistré : ticket n°{done.ticket.numero}, " + (
        f"avoir n°{done.avoir} de {eur(-done.ticket.total_ttc)} émis." if done.avoir else
        f"{eur(-done.ticket.total_ttc)} remboursés {REFUNDS[args.refund]}."))
    if done.warning:
        print(f"Attention : le retour est enregistré, mais {done.warning}", file=sys.stderr)
    return 0


def cmd_move(args, settings) -> int:
    amount = parse_amount(args.amount)
    store, user, _ = _login(args, settings)
    approver = None
    if args.responsable:
        approver = auth.login(store, args.responsable, manager_password(args.responsable), caisse=args.caisse)
    _, slip = record_cash_move(store, settings, args.caisse, user, args.type, amount, args.reason, approver)
    print(f"{MOVE_TYPES[args.type]} de {eur(amount)} enregistrée sur la caisse {args.caisse} : {args.reason.strip()}. "
          f"Bordereau : {slip.text_path}" + (" (imprimé)." if slip.printed else "."))
    if slip.warning:
        print(f"Attention : le mouvement est enregistré, mais {slip.warning}", file=sys.stderr)
    return 0


def manager_password(login: str) -> str:
    """The approving manager's password: CAISSE_RESPONSABLE_PASSWORD, or typed (never an argument)."""
    return secret("CAISSE_RESPONSABLE_PASSWORD", f"Mot de passe de {login} (responsable) : ",
                  "Mot de passe du responsable requis : définissez CAISSE_RESPONSABLE_PASSWORD ou lancez la commande "
                  "dans un terminal pour le saisir.")


def cmd_close(args, settings) -> int:
    if bool(args.count) == (args.especes is not None):
        raise ConfigError("Indiquez le comptage (--count VALEUR=NOMBRE ...) ou le montant des espèces (--especes), "
                          "l'un ou l'autre.")
    count = drawer_count(args.count) if args.count else None
    especes = parse_amount(args.especes, "Le montant des espèces") if args.especes is not None else None
    _pending(settings)
    store, user, _ = _login(args, settings)
    end = finish_day(store, settings, args.caisse, user, count=count, especes=especes, force=args.force,
                     accept_difference=args.accept_difference, comment=args.comment or "", echo=print)
    closed = end.closed
    print(f"Caisse {closed.caisse} fermée : Z n°{closed.numero_z}, {plural(closed.nb_tickets, 'ticket')}, "
          f"espèces comptées {eur(closed.especes_compte)} pour {eur(closed.especes_theorique)} attendues "
          f"(écart {eur(closed.ecart)}).")
    if end.z is not None:
        print(end.z.text_path.read_text(encoding="utf-8"), end="")
        print(f"Ticket Z archivé : {end.z.text_path}" + (" (imprimé)." if end.z.printed else "."))
    for warning in end.warnings:
        print(f"Attention : la journée est fermée (Z n°{closed.numero_z}), mais {warning}", file=sys.stderr)
    if settings.mode == "auto" and end.export is None:
        return ExportFailed.exit_code
    return 0


def cmd_export(args, settings) -> int:
    store, user, _ = _login(args, settings)
    result = run_export(store, settings, args.caisse, user, echo=print)
    print(f"Lot {result.lot} envoyé dans {result.where} ({plural(len(result.days), 'journée')}).")
    return 0


def cmd_print_test(args, settings) -> int:
    store, user, _ = _login(args, settings)
    printed = print_test_page(store, settings, user)
    return _printed(printed, f"Ticket de test envoyé ({printer_words(settings.printer)})")
