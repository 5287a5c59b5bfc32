"""The `caisse` command (DESIGN section 11). Exit status: 0 done, 1 refused, 2 usage, 3 the drop failed."""

from __future__ import annotations

import argparse
import getpass
import json
import os
import sys
from pathlib import Path

from pipeline import PipelineError

from . import history, lifecycle
from .config import load_settings
from .errors import CaisseError, ConfigError
from .home import initialise, open_store
from .sync import run_import


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
    print(f"Mode de synchronisation : {settings.mode}   Serveur principal : {settings.drop}")
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
            print(f"  {r.debut:%Y-%m-%d %H:%M:%S}  {r.sens:<6} {r.caisse:<5} {r.statut:<7} {r.id_run}  {detail}")
    return 0


def cmd_import(args, settings) -> int:
    password = _password(args)
    result = run_import(open_store(settings), settings, args.caisse, args.user, password, echo=print)
    for warning in result.warnings:
        print(f"Attention : {warning}", file=sys.stderr)
    return 0


def cmd_log(args, settings) -> int:
    with open_store(settings).connect() as con:
        run, lines = history.run_log(con, args.lot)
    print(f"{run.sens} {run.caisse} lot {run.lot} ({run.id_run}) : {run.statut}"
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
    app = Path(__file__).resolve().parent.parent / "app.py"
    command = [sys.executable, "-m", "streamlit", "run", str(app), "--server.port", str(args.port),
               "--server.headless", "true", "--browser.gatherUsageStats", "false"]
    os.execv(sys.executable, command)
    return 0  # not reached


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="caisse", description="Serveur caisse : import, ouverture, vente, "
                                     "fermeture et export des journées de caisse.")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMANDE")
    p = sub.add_parser("init", help="créer ou mettre à jour la base et la clé d'intégrité")
    p.add_argument("--demo", action="store_true", help="déposer la boutique de démonstration dans le dossier local")
    p.set_defaults(func=cmd_init)
    p = sub.add_parser("status", help="état des caisses et derniers échanges")
    p.add_argument("--json", action="store_true")
    p.add_argument("--runs", type=int, default=10, help="nombre d'échanges listés")
    p.set_defaults(func=cmd_status)
    p = sub.add_parser("import", help="importer les données du serveur principal pour une caisse")
    p.add_argument("--caisse", required=True)
    p.add_argument("--user", required=True, help="identifiant (mot de passe : CAISSE_PASSWORD ou saisie)")
    p.set_defaults(func=cmd_import)
    p = sub.add_parser("log", help="le journal complet d'un échange (identifiant ou lot)")
    p.add_argument("lot")
    p.set_defaults(func=cmd_log)
    p = sub.add_parser("docs", help="régénérer la référence des tables (docs/tables.md)")
    p.add_argument("--output", default="docs/tables.md")
    p.set_defaults(func=cmd_docs)
    p = sub.add_parser("serve", help="lancer l'application web")
    p.add_argument("--port", type=int, default=8501)
    p.set_defaults(func=cmd_serve)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args, load_settings())
    except (CaisseError, PipelineError) as e:
        print(f"Erreur : {e}", file=sys.stderr)
        return getattr(e, "exit_code", 1)
    except KeyboardInterrupt:
        print("Interrompu.", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
