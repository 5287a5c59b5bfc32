"""The `caisse` command (DESIGN section 11). Exit status: 0 done, 1 refused, 2 usage, 3 the drop failed."""

from __future__ import annotations

import argparse
import getpass
import json
import os
import sys
from decimal import Decimal
from pathlib import Path

import duckdb

from pipeline import PipelineError
from pipeline.errors import os_words

from . import auth, disk, history, lifecycle
from .arguments import Parser, identifier, whole
from .config import load_settings
from .corrections import cash_move, void_ticket
from .errors import BadArgument, CaisseError, ConfigError, DiskFull, ExportFailed
from .export import run_export
from .fiscal.keys import load_keys
from .home import initialise, open_store, rotate_integrity_key
from .money import eur, parse_amount, parse_count, parse_quantity
from .opening import open_day, open_day_auto
from .payments import PaymentRequest
from .printing import PrintFailed, printer_words
from .returns import REFUNDS, return_goods
from .sales import LineRequest, connect_seller, disconnect_seller, ring_ticket
from .sync import run_import
from .verification import run_verify
from .workflow import (
    finish_day,
    print_credit_note,
    print_pending,
    print_receipt,
    print_test_page,
    print_x,
    print_z,
    x_document,
    z_document,
)


def _password(args) -> str:
    password = os.environ.get("CAISSE_PASSWORD")
    if password is not None:
        return password
    if not sys.stdin.isatty():
        raise ConfigError("Mot de passe requis : définissez CAISSE_PASSWORD ou lancez la commande dans un "
                          "terminal pour le saisir (jamais en argument).")
    return getpass.getpass(f"Mot de passe de {args.user} : ")


def cmd_init(args, settings) -> int:
    report = initialise(settings, demo=args.demo)
    print(f"Base {report.store} prête (schéma v{report.schema_version}).")
    print(f"Clé d'intégrité {settings.integrity_key_path} "
          + ("créée (mode 600) : sauvegardez-la hors du serveur." if report.key_created else "déjà présente, gardée."))
    if args.demo:
        print(f"Boutique de démonstration déposée dans {report.demo_folder} ({report.demo_files} fichiers).")
        print("Ensuite : caisse import --caisse C01 --user responsable (mot de passe de démo : resp2026).")
    return 0


def cmd_status(args, settings) -> int:
    store = open_store(settings)
    with store.connect() as con:
        states = lifecycle.register_states(con)
        blocker = lifecycle.import_blocker(con)
        runs = history.last_runs(con, args.runs)
    if args.json:
        print(json.dumps({
            "mode": settings.mode,
            "import_possible": blocker is None,
            "caisses": [{"code": s.code, "libelle": s.libelle, "etat": s.etat,
                         "jours_a_exporter": s.jours_a_exporter} for s in states],
            "synchronisations": [{"id": r.id_run, "sens": r.sens, "lot": r.lot, "caisse": r.caisse,
                                  "statut": r.statut, "debut": r.debut.isoformat(timespec="seconds"),
                                  "fichiers": r.fichiers, "lignes": r.lignes, "message": r.message} for r in runs],
        }, ensure_ascii=False, indent=2))
        return 0
    print(f"Mode de synchronisation : {settings.mode_words}\nServeur principal : {settings.drop_shown}")
    if not states:
        print("Aucune caisse : importez les données du serveur principal (caisse import --caisse C01 --user ...).")
    for s in states:
        pending = f"  ({s.jours_a_exporter} journée(s) à exporter)" if s.jours_a_exporter else ""
        print(f"  {s.code:<6} {s.libelle:<24} {s.etat:<13} {s.etat_libelle}{pending}")
    print("Import possible." if blocker is None else f"Import impossible : {blocker}")
    if runs:
        print("Derniers échanges :")
        for r in runs:
            detail = f"{r.fichiers} fichiers, {r.lignes} lignes" if r.statut == "reussi" else r.message
            outcome = history.RUN_WORDS.get(r.statut, r.statut)
            print(f"  {r.debut:%Y-%m-%d %H:%M:%S}  {r.sens:<6} {r.caisse:<5} {outcome:<7} {r.id_run}  {detail}")
    return 0


def cmd_import(args, settings) -> int:
    password = _password(args)
    result = run_import(open_store(settings), settings, args.caisse, args.user, password, echo=print)
    for warning in result.warnings:
        print(f"Attention : {warning}", file=sys.stderr)
    return 0


def _login(args, settings):
    store = open_store(settings)
    password = _password(args)
    return store, auth.login(store, args.user, password, caisse=getattr(args, "caisse", None)), password


def _pending(settings) -> None:
    """The original Z of a day whose closing was cut short before its print (the next start prints it)."""
    for printed in print_pending(open_store(settings), settings):
        print(f"Ticket Z original imprimé (la fermeture avait été interrompue avant) : {printed.text_path}.")


def cmd_open(args, settings) -> int:
    fond = parse_amount(args.fond, "Le fond de caisse")
    _pending(settings)
    if settings.mode == "auto":  # the import comes first: on a new shop's first day it brings the users
        opened = open_day_auto(open_store(settings), settings, args.caisse, args.user, _password(args), fond,
                               echo=print)
    else:
        store, user, _ = _login(args, settings)
        opened = open_day(store, args.caisse, user, fond)
    print(f"Caisse {opened.caisse} ouverte par {opened.user.display}, fond de caisse {eur(opened.fond)}.")
    return 0


def _article(text: str) -> LineRequest:
    code, sep, qty = text.rpartition("x") if "x" in text[1:] else (text, "", "")
    if sep and qty.replace(",", ".").replace(".", "", 1).isdigit():
        return LineRequest(code, parse_quantity(qty))
    return LineRequest(text)


def _payment(text: str) -> PaymentRequest:
    code, sep, rest = text.partition("=")
    if not sep:
        raise ConfigError(f"Paiement « {text} » mal écrit : attendu CODE=MONTANT[:NUMERO], par exemple ESP=20.00.")
    amount, _, number = rest.partition(":")
    return PaymentRequest(code.strip().upper(), parse_amount(amount, f"Le montant payé en {code}"), number or None)


def cmd_sell(args, settings) -> int:
    lines, payments = [_article(a) for a in args.article], [_payment(p) for p in args.pay]
    store, user, _ = _login(args, settings)
    connection = connect_seller(store, args.caisse, user)
    try:
        ticket = ring_ticket(store, args.caisse, user, lines, payments)
    finally:
        disconnect_seller(store, connection)
    print(f"Ticket n°{ticket.numero} validé : {eur(ticket.total_ttc)}"
          + (f", rendu {eur(ticket.rendu)}" if ticket.rendu else "") + ".")
    _receipt(store, settings, ticket, user)
    return 0


def _receipt(store, settings, ticket, user) -> None:
    printed = print_receipt(store, settings, ticket, user)
    if printed.warning:
        print(f"Attention : le ticket n°{ticket.numero} est validé, mais {printed.warning}", file=sys.stderr)


def cmd_void(args, settings) -> int:
    store, user, _ = _login(args, settings)
    void = void_ticket(store, args.caisse, user, args.ticket, args.reason)
    print(f"Ticket n°{args.ticket} annulé par le ticket n°{void.numero} ({eur(void.total_ttc)}, {args.reason}).")
    _receipt(store, settings, void, user)
    return 0


def _line(item: str) -> tuple[int, object]:
    number, sep, quantity = item.partition("=")
    if not number.strip().isdigit():
        raise BadArgument(f"Ligne « {item} » mal écrite : attendu NUMERO_DE_LIGNE ou NUMERO=QUANTITE, par exemple 2=1.")
    return int(number), parse_quantity(quantity) if sep else parse_quantity("1")


def cmd_return(args, settings) -> int:
    if (args.ticket is None) == (not args.article):
        raise BadArgument("Indiquez le ticket de la vente (--ticket, avec --line) ou des articles sans ticket "
                          "(--article), l'un ou l'autre.")
    quantities = dict(_line(item) for item in args.line) if args.ticket is not None else None
    articles = [_article(a) for a in args.article] if args.article else None
    store, user, _ = _login(args, settings)
    connection = connect_seller(store, args.caisse, user)
    try:
        done = return_goods(store, args.caisse, user, refund=args.refund, reason=args.reason, sale=args.ticket,
                            quantities=quantities, articles=articles)
    finally:
        disconnect_seller(store, connection)
    print(f"Retour enregistré : ticket n°{done.ticket.numero}, {eur(-done.ticket.total_ttc)} remboursés "
          f"{REFUNDS[args.refund]}" + (f" (avoir n°{done.avoir})" if done.avoir else "") + ".")
    _receipt(store, settings, done.ticket, user)
    if done.avoir:
        printed = print_credit_note(store, settings, args.caisse, done.avoir, user)
        if printed.warning:
            print(f"Attention : l'avoir n°{done.avoir} est émis, mais {printed.warning}", file=sys.stderr)
    return 0


def cmd_move(args, settings) -> int:
    amount = parse_amount(args.amount)
    store, user, _ = _login(args, settings)
    cash_move(store, args.caisse, user, args.type, amount, args.reason)
    print(f"Mouvement {args.type} de {eur(amount)} enregistré.")
    return 0


def _count(items: list[str]) -> dict[Decimal, int]:
    count = {}
    for item in items:
        value, sep, number = item.partition("=")
        if not sep or not number.strip():
            raise ConfigError(f"Comptage « {item} » mal écrit : attendu VALEUR=NOMBRE, par exemple 20=3.")
        coupure = parse_amount(value, "La coupure")
        count[coupure] = count.get(coupure, 0) + parse_count(number, coupure)
    return count


def cmd_close(args, settings) -> int:
    if bool(args.count) == (args.especes is not None):
        raise ConfigError("Indiquez le comptage (--count VALEUR=NOMBRE ...) ou le montant des espèces (--especes), "
                          "l'un ou l'autre.")
    count = _count(args.count) if args.count else None
    especes = parse_amount(args.especes, "Le montant des espèces") if args.especes is not None else None
    _pending(settings)
    store, user, _ = _login(args, settings)
    end = finish_day(store, settings, args.caisse, user, count=count, especes=especes, force=args.force,
                     accept_difference=args.accept_difference, comment=args.comment or "", echo=print)
    closed = end.closed
    print(f"Caisse {closed.caisse} fermée : Z n°{closed.numero_z}, {closed.nb_tickets} ticket(s), "
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
    print(f"Lot {result.lot} envoyé à {result.host} ({len(result.days)} journée(s)).")
    return 0


def cmd_verify(args, settings) -> int:
    result = run_verify(open_store(settings), settings, use_drop=not args.local)
    for note in result.notes:
        print(f"Remarque : {note}", file=sys.stderr)
    if result.broken:
        for line in result.broken:
            print(f"Chaîne rompue : {line}", file=sys.stderr)
        print(f"{len(result.broken)} rupture(s) : l'événement est inscrit au journal (code 90).", file=sys.stderr)
        return 1
    print("Intégrité vérifiée : toutes les chaînes (tickets, clôtures, mouvements, duplicatas, événements) sont "
          "intactes et concordent avec les tickets archivés, les têtes de chaîne et le dernier lot envoyé.")
    return 0


def cmd_key(args, settings) -> int:
    store, user, _ = _login(args, settings)
    old, new = rotate_integrity_key(store, user)
    print(f"Nouvelle clé d'intégrité {new} (la précédente, {old}, reste dans {settings.integrity_key_path} pour "
          "vérifier les enregistrements qu'elle a signés). Sauvegardez le fichier de clés hors du serveur.")
    return 0


def _printed(printed, done: str) -> int:
    """Exit status of a command whose whole purpose was to print."""
    if printed.warning:
        print(f"Erreur : {printed.warning}", file=sys.stderr)
        return PrintFailed.exit_code
    print(f"{done}, archivé : {printed.text_path}.")
    return 0


def cmd_report(args, settings) -> int:
    store = open_store(settings)
    if args.print and not args.user:
        raise BadArgument("Imprimer un rapport demande l'identifiant de celui qui imprime (--user LOGIN) : une "
                          "réimpression est enregistrée avec son auteur.")
    if not args.print:
        doc = z_document(store, settings, args.caisse, args.numero) if args.kind == "z" else \
            x_document(store, settings, args.caisse)
        print("\n".join(doc.lines))
        return 0
    store, user, _ = _login(args, settings)
    if args.kind == "x":
        printed = print_x(store, settings, args.caisse, user)
    else:
        auth.require(user, "CAISSE_FERMER")  # before the pending originals: they print for this operator's asking
        pending = print_pending(store, settings)
        for done in pending:
            print(f"Ticket Z original imprimé (la fermeture avait été interrompue avant) : {done.text_path}.")
        wanted = z_document(store, settings, args.caisse, args.numero).ref
        if any(p.text_path.stem == wanted for p in pending):
            return 0  # the original just printed was the one asked for
        printed = print_z(store, settings, args.caisse, user, args.numero)
    print(printed.text_path.read_text(encoding="utf-8"), end="")
    return _printed(printed, f"Imprimé ({printer_words(settings.printer)})")


def cmd_print_test(args, settings) -> int:
    store, user, _ = _login(args, settings)
    printed = print_test_page(store, settings, user)
    return _printed(printed, f"Ticket de test envoyé ({printer_words(settings.printer)})")


def cmd_log(args, settings) -> int:
    with open_store(settings).connect() as con:
        run, lines = history.run_log(con, args.lot)
    print(f"{run.sens} {run.caisse} lot {run.lot} ({run.id_run}) : {history.RUN_WORDS.get(run.statut, run.statut)}"
          + (f" ({run.message})" if run.message else ""))
    for ts, message in lines:
        print(f"{ts:%Y-%m-%d %H:%M:%S} {message}")
    return 0


def cmd_docs(args, settings) -> int:
    from pipeline.contracts import table_reference_markdown
    Path(args.output).write_text(table_reference_markdown() + "\n", encoding="utf-8")
    print(f"Référence des tables écrite dans {args.output}.")
    return 0


def cmd_serve(args, settings) -> int:
    """The app on `address` (127.0.0.1 unless told: the shop's network is a choice), in HTTPS when a certificate
    is set, never calling out (pages/server.py: no usage statistics, no public-address lookup)."""
    root = Path(__file__).resolve().parent.parent
    address = args.address or settings.address
    command = [sys.executable, "-m", "pages.server", "run", str(root / "app.py"), "--server.port", str(args.port),
               "--server.address", address, "--server.headless", "true", "--browser.gatherUsageStats", "false",
               "--server.fileWatcherType", "none", "--client.showErrorDetails", "none"]
    if settings.tls_cert or settings.tls_key:
        for path in (settings.tls_cert, settings.tls_key):
            if not path or not Path(path).is_file():
                raise ConfigError("HTTPS demande le certificat et sa clé (tls_cert et tls_key, ou CAISSE_TLS_CERT et "
                                  f"CAISSE_TLS_KEY) : « {path or '—'} » est introuvable.")
        command += ["--server.sslCertFile", settings.tls_cert, "--server.sslKeyFile", settings.tls_key]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(root), os.environ.get("PYTHONPATH")]))}
    os.chdir(root)  # .streamlit/config.toml is read from here
    os.execve(sys.executable, command, env)
    return 0  # not reached


CODE = identifier("le code de caisse")
LOGIN = identifier("l'identifiant")


def _who(p) -> None:
    p.add_argument("--caisse", required=True, type=CODE, metavar="CODE", help="la caisse, par exemple C01")
    p.add_argument("--user", required=True, type=LOGIN, metavar="IDENTIFIANT",
                   help="identifiant (mot de passe : CAISSE_PASSWORD ou saisie)")


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(prog="caisse", description="Serveur caisse : import, ouverture, vente, "
                                     "fermeture et export des journées de caisse.")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMANDE")
    p = sub.add_parser("init", help="créer ou mettre à jour la base et la clé d'intégrité")
    p.add_argument("--demo", action="store_true", help="déposer la boutique de démonstration dans le dossier local")
    p.set_defaults(func=cmd_init)
    p = sub.add_parser("status", help="état des caisses et derniers échanges")
    p.add_argument("--json", action="store_true")
    p.add_argument("--runs", type=whole("le nombre d'échanges listés", 1, 1000), default=10,
                   help="nombre d'échanges listés (1 à 1000)")
    p.set_defaults(func=cmd_status)
    p = sub.add_parser("import", help="importer les données du serveur principal pour une caisse")
    _who(p)
    p.set_defaults(func=cmd_import)
    p = sub.add_parser("open", help="ouvrir une journée (mode auto : importe d'abord)")
    _who(p)
    p.add_argument("--fond", required=True, help="fond de caisse, par exemple 150.00")
    p.set_defaults(func=cmd_open)
    p = sub.add_parser("sell", help="encaisser un ticket complet")
    _who(p)
    p.add_argument("--article", action="append", required=True, metavar="CODE[xQTE]",
                   help="article par code, EAN ou identifiant, quantité après x (répétable)")
    p.add_argument("--pay", action="append", required=True, metavar="CODE=MONTANT[:NUMERO]",
                   help="règlement, par exemple ESP=20.00 ou AVOIR=10.00:AV000001 (répétable)")
    p.set_defaults(func=cmd_sell)
    p = sub.add_parser("void", help="annuler un ticket validé de la journée (avec un motif)")
    _who(p)
    p.add_argument("--ticket", type=whole("le numéro du ticket", 1, 10**9), required=True)
    p.add_argument("--reason", required=True)
    p.set_defaults(func=cmd_void)
    p = sub.add_parser("return", help="reprendre des articles : d'un ticket de vente, ou sans ticket")
    _who(p)
    p.add_argument("--ticket", help="numéro du ticket de vente, ou son code-barres (C01-T000012)")
    p.add_argument("--line", action="append", default=[], metavar="NUMERO[=QTE]",
                   help="ligne du ticket à reprendre et sa quantité (répétable ; toute la ligne par défaut)")
    p.add_argument("--article", action="append", default=[], metavar="CODE[xQTE]",
                   help="sans ticket : article repris (droit CAISSE_RETOUR_LIBRE, répétable)")
    p.add_argument("--refund", required=True, choices=list(REFUNDS), help="ESP, ORIGINE (moyen de la vente) ou AVOIR")
    p.add_argument("--reason", required=True)
    p.set_defaults(func=cmd_return)
    p = sub.add_parser("move", help="entrée, sortie ou remise d'espèces (avec un motif)")
    _who(p)
    p.add_argument("--type", required=True, choices=["ENTREE", "SORTIE", "REMISE"])
    p.add_argument("--amount", required=True)
    p.add_argument("--reason", required=True)
    p.set_defaults(func=cmd_move)
    p = sub.add_parser("close", help="fermer la journée sur un comptage (mode auto : exporte ensuite)")
    _who(p)
    p.add_argument("--count", action="append", default=[], metavar="VALEUR=NOMBRE",
                   help="comptage par coupure, par exemple 20=3 0.50=4 (répétable)")
    p.add_argument("--especes", help="ou le montant des espèces comptées, sans détail")
    p.add_argument("--force", action="store_true", help="déconnecter les vendeurs encore connectés")
    p.add_argument("--accept-difference", action="store_true", help="valider un écart hors tolérance")
    p.add_argument("--comment", help="commentaire de l'écart")
    p.set_defaults(func=cmd_close)
    p = sub.add_parser("export", help="exporter les journées fermées vers le serveur principal")
    _who(p)
    p.set_defaults(func=cmd_export)
    p = sub.add_parser("verify", help="vérifier toutes les chaînes d'intégrité et leurs témoins extérieurs")
    p.add_argument("--local", action="store_true", help="sans relire le dernier lot sur le serveur principal")
    p.set_defaults(func=cmd_verify)
    p = sub.add_parser("key", help="la clé d'intégrité")
    p.add_argument("action", choices=["rotate"], help="rotate : signer désormais avec une nouvelle clé")
    p.add_argument("--user", required=True, type=LOGIN, metavar="IDENTIFIANT",
                   help="identifiant d'un responsable (mot de passe : "
                   "CAISSE_PASSWORD)")
    p.set_defaults(func=cmd_key)
    p = sub.add_parser("report", help="le ticket Z d'une journée fermée, ou le rapport X de la journée en cours")
    p.add_argument("kind", choices=["z", "x"])
    p.add_argument("--caisse", required=True, type=CODE, metavar="CODE", help="la caisse, par exemple C01")
    p.add_argument("--numero", type=whole("le numéro du Z", 1, 10**9), help="numéro du Z (par défaut : le dernier)")
    p.add_argument("--print", action="store_true", help="imprimer (un Z réimprimé porte DUPLICATA et son numéro)")
    p.add_argument("--user", type=LOGIN, metavar="IDENTIFIANT",
                   help="qui imprime (obligatoire avec --print ; mot de passe : "
                   "CAISSE_PASSWORD)")
    p.set_defaults(func=cmd_report)
    p = sub.add_parser("print-test", help="imprimer un ticket de test (accents, euro, largeur)")
    p.add_argument("--user", required=True, type=LOGIN, metavar="IDENTIFIANT",
                   help="qui imprime (droit back-office ; mot de passe : "
                   "CAISSE_PASSWORD)")
    p.set_defaults(func=cmd_print_test)
    p = sub.add_parser("log", help="le journal complet d'un échange (identifiant ou lot)")
    p.add_argument("lot")
    p.set_defaults(func=cmd_log)
    p = sub.add_parser("docs", help="régénérer la référence des tables (docs/tables.md)")
    p.add_argument("--output", default="docs/tables.md")
    p.set_defaults(func=cmd_docs)
    p = sub.add_parser("serve", help="lancer l'application web")
    p.add_argument("--port", type=whole("le port", 1, 65535), default=8501)
    p.add_argument("--address", help="adresse d'écoute (127.0.0.1 par défaut ; 0.0.0.0 : le réseau du magasin)")
    p.set_defaults(func=cmd_serve)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        settings = load_settings()
        if args.command not in ("init", "docs") and settings.integrity_key_path.exists():
            load_keys(settings.integrity_key_path)  # a key others can read is refused at every start
        return args.func(args, settings)
    except (CaisseError, PipelineError) as e:
        print(f"Erreur : {e}", file=sys.stderr)
        return getattr(e, "exit_code", 1)
    except BrokenPipeError:  # `caisse status | head`: the reader left, nothing to say
        sys.stderr.close()
        return 0
    except OSError as e:  # a write path that met the disk full or refused (every rule's own errors are above)
        if disk.is_no_space(e):
            print(f"Erreur : {DiskFull(e.filename or 'disque')}", file=sys.stderr)
        else:
            print(f"Erreur : écriture ou lecture impossible ({os_words(e)} : {e.filename or '—'}). Vérifiez le "
                  "disque et les droits du dossier du serveur caisse, puis recommencez.", file=sys.stderr)
        return DiskFull.exit_code
    except duckdb.Error as e:
        words = str(DiskFull("base")) if disk.is_no_space(e) else (
            f"la base n'a pas pu être lue ou écrite ({str(e).splitlines()[0][:200]}). Rien n'a été enregistré à "
            "moitié : recommencez ; si cela persiste, lancez « caisse verify » et contactez la hotline.")
        print(f"Erreur : {words[:1].upper()}{words[1:]}", file=sys.stderr)
        return DiskFull.exit_code
    except KeyboardInterrupt:
        print("Interrompu.", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
