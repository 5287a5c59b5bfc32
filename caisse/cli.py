"""The `caisse` command (DESIGN section 11). Exit status: 0 done, 1 refused, 2 usage, 3 the drop failed."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import duckdb

from pipeline import PipelineError
from pipeline.errors import os_words

from . import auth, cli_fiscal, disk, history, lifecycle, training
from .arguments import article_request, build_parser, drawer_count, payment_request, return_line
from .cli_common import login as _login
from .cli_common import password as _password
from .cli_common import print_status as _printed
from .config import load_settings
from .corrections import cash_move, void_ticket
from .errors import BadArgument, CaisseError, ConfigError, DiskFull, ExportFailed
from .export import run_export
from .fiscal.keys import load_keys
from .home import initialise, open_store, rotate_integrity_key
from .money import eur, parse_amount
from .opening import open_day, open_day_auto
from .printing import printer_words
from .returns import REFUNDS, return_goods
from .sales import connect_seller, disconnect_seller, ring_ticket
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
    practising = training.trained(store)
    if args.json:
        print(json.dumps({
            "mode": settings.mode,
            "import_possible": blocker is None,
            "caisses": [{"code": s.code, "libelle": s.libelle, "etat": s.etat,
                         "jours_a_exporter": s.jours_a_exporter, "formation": s.code in practising} for s in states],
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
        practice = "  — MODE FORMATION (caisse training off pour revenir au réel)" if s.code in practising else ""
        print(f"  {s.code:<6} {s.libelle:<24} {s.etat:<13} {s.etat_libelle}{pending}{practice}")
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


def _pending(settings) -> None:
    """The original Z of a day whose closing was cut short before its print (the next start prints it)."""
    for printed in print_pending(open_store(settings), settings):
        print(f"Document original imprimé (la fermeture avait été interrompue avant) : {printed.text_path}.")


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






def cmd_sell(args, settings) -> int:
    lines, payments = [article_request(a) for a in args.article], [payment_request(p) for p in args.pay]
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




def cmd_return(args, settings) -> int:
    if (args.ticket is None) == (not args.article):
        raise BadArgument("Indiquez le ticket de la vente (--ticket, avec --line) ou des articles sans ticket "
                          "(--article), l'un ou l'autre.")
    quantities = dict(return_line(item) for item in args.line) if args.ticket is not None else None
    articles = [article_request(a) for a in args.article] if args.article else None
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


def cmd_report(args, settings) -> int:
    store = open_store(settings)
    if args.kind in ("month", "year"):
        return cli_fiscal.report_period(args, settings, store)
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
            print(f"Document original imprimé (la fermeture avait été interrompue avant) : {done.text_path}.")
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


COMMANDS = {
    "init": cmd_init,
    "status": cmd_status,
    "import": cmd_import,
    "open": cmd_open,
    "sell": cmd_sell,
    "void": cmd_void,
    "return": cmd_return,
    "move": cmd_move,
    "close": cmd_close,
    "export": cmd_export,
    "verify": cmd_verify,
    "key": cmd_key,
    "report": cmd_report,
    "archive": cli_fiscal.cmd_archive,
    "verify-archive": cli_fiscal.cmd_verify_archive,
    "purge": cli_fiscal.cmd_purge,
    "training": cli_fiscal.cmd_training,
    "print-test": cmd_print_test,
    "log": cmd_log,
    "docs": cmd_docs,
    "serve": cmd_serve,
}


ON_A_REGISTER = {"import", "open", "sell", "void", "return", "move", "close", "export", "report"}


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        settings = load_settings()
        if args.command not in ("init", "docs") and settings.integrity_key_path.exists():
            load_keys(settings.integrity_key_path)  # a key others can read is refused at every start
        if args.command in ON_A_REGISTER:  # a register in training works in its training home
            settings = training.settings_for(settings, args.caisse)
            if settings.formation:
                print(f"{training.MARK} caisse {args.caisse} : ventes d'entraînement, qui ne comptent nulle part.")
        return COMMANDS[args.command](args, settings)
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
